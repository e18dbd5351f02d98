"""Dates as precise as their sources: a day, a month or a year.

A date known only to the month or the year is stored as the one day each rule needs, and shown as
the period it stands for:

- a deadline ("by July 2022", ``due_date``, ``expected_end``) is stored as the **last** day of the
  period, so it is overdue only once the whole period has passed;
- everything else ("since", "on": ``date_made``, a source's date, an evidence date, an ``as_of``)
  is stored as the **first** day, so it sorts and compares as the earliest day it can mean.

Every date field with a precision has a sibling ``<field>_precision`` column (``Precision``).
``clean_dated`` checks a stored day is the one its precision allows; ``render`` shows it;
``parse`` reads the fixtures' spelling (``2022-07-15``, ``2022-07``, ``2022``).
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from django.db import models
from django.utils import dateformat, translation
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _


class Precision(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


START, END = "start", "end"  # which day of its period a date is stored as (see the module docstring)

PRECISION_HELP = _("How precise the source is: a date known only to the month is shown as “July 2022”.")


def period_start(day: date, precision: str) -> date:
    """The first day of the period ``day`` falls in, at ``precision``."""
    if precision == Precision.YEAR:
        return date(day.year, 1, 1)
    if precision == Precision.MONTH:
        return date(day.year, day.month, 1)
    return day


def period_end(day: date, precision: str) -> date:
    """The last day of the period ``day`` falls in, at ``precision``."""
    if precision == Precision.YEAR:
        return date(day.year, 12, 31)
    if precision == Precision.MONTH:
        return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    return day


def stored_day(day: date, precision: str, bound: str = START) -> date:
    """The day a date of ``precision`` is stored as: the period's first day, or its last for a deadline."""
    return period_end(day, precision) if bound == END else period_start(day, precision)


def clean_dated(day: date | None, precision: str, bound: str = START) -> str | None:
    """An error message if ``day`` is not the day its precision stores (else None)."""
    if day is None or precision == Precision.DAY:
        return None
    expected = stored_day(day, precision, bound)
    if day != expected:
        return _CLEAN_DATED[(precision, bound)]() % {"expected": expected.isoformat(), "day": day.isoformat()}
    return None


# One whole sentence per case (a translation cannot assemble "month" and "first" into a sentence).
_CLEAN_DATED = {
    (Precision.MONTH, START): lambda: gettext(
        "A date known only to the month is stored as the first day of that month (%(expected)s), not %(day)s."),
    (Precision.MONTH, END): lambda: gettext(
        "A date known only to the month is stored as the last day of that month (%(expected)s), not %(day)s."),
    (Precision.YEAR, START): lambda: gettext(
        "A date known only to the year is stored as the first day of that year (%(expected)s), not %(day)s."),
    (Precision.YEAR, END): lambda: gettext(
        "A date known only to the year is stored as the last day of that year (%(expected)s), not %(day)s."),
}


# English whatever the process's locale (``calendar.month_name`` follows LC_TIME).
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def render(day: date | None, precision: str = Precision.DAY) -> str:
    """``2 December 2026``, ``July 2022`` or ``2022``; empty for no date.

    The site's one date style for readers (pages, the report PDF, feed titles); ISO (``iso``) is for
    machines: exports, the feed's timestamps, ``<time datetime>``, URLs and form values."""
    if day is None:
        return ""
    lang = translation.get_language() or "en"
    if lang == "en" or lang.startswith("en-"):  # the common case, without the localisation lookups
        if precision == Precision.YEAR:
            return str(day.year)
        if precision == Precision.MONTH:
            return f"{MONTHS[day.month - 1]} {day.year}"
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    return _localized(day, precision, lang)


# Languages that write a month's name in lower case in running text, where Django's catalogue gives the
# nominative capitalised (a calendar heading): "декабрь 2026 г.", not "Декабрь 2026 г.".
LOWER_CASE_MONTHS = frozenset({"ru", "uk", "be", "kk", "ky", "tg", "uz"})


def _localized(day: date, precision: str, lang: str) -> str:
    """``day`` in the active language: a Django date format per precision (each a translatable message,
    like Django's own ``DATE_FORMAT``), month names from Django's catalogue (the genitive, ``E``, beside a
    day: "2 декабря 2026 г.")."""
    if precision == Precision.YEAR:
        return dateformat.format(day, pgettext("date format: a year alone (Django date syntax)", "Y"))
    if precision == Precision.MONTH:
        text = dateformat.format(day, pgettext("date format: a month and year (Django date syntax)", "F Y"))
        if lang.split("-")[0] in LOWER_CASE_MONTHS:
            month = dateformat.format(day, "F")
            text = text.replace(month, month.lower(), 1)
        return text
    return dateformat.format(day, pgettext("date format: a day, month and year (Django date syntax)", "j F Y"))


def iso(day: date | None, precision: str = Precision.DAY) -> str:
    """ISO 8601 at its precision: ``2022-07-15``, ``2022-07`` or ``2022`` (for exports and feeds)."""
    if day is None:
        return ""
    if precision == Precision.YEAR:
        return f"{day.year:04d}"
    if precision == Precision.MONTH:
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


_SPELLINGS = (
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), Precision.DAY),
    (re.compile(r"^(\d{4})-(\d{2})$"), Precision.MONTH),
    (re.compile(r"^(\d{4})$"), Precision.YEAR),
)


def parse(value, bound: str = START) -> tuple[date, str]:
    """A fixture's date (a ``date``, ``2022-07``, ``2022`` or an int year) as ``(stored day, precision)``.

    Raises ValueError with a message naming the accepted spellings.
    """
    if isinstance(value, date):
        return value, Precision.DAY
    text = str(value).strip()
    for pattern, precision in _SPELLINGS:
        match = pattern.match(text)
        if match:
            parts = [int(p) for p in match.groups()] + [1] * (3 - len(match.groups()))
            try:
                return stored_day(date(*parts), precision, bound), precision
            except ValueError:
                raise ValueError(f"{value!r} is not a real date.") from None
    raise ValueError(f"{value!r} is not a date: write 2022-07-15, 2022-07 (a month) or 2022 (a year).")
