"""Report periods: ``2026-Q3``, ``2026-H2``, a year ``2026``, or explicit start and end dates."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError

from ..dates import render
from ..languages import CODES, column

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?P<kind>[QqHh])(?P<n>\d))?$")


@dataclass(frozen=True)
class Period:
    slug: str
    label: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(text: str) -> Period:
    """``2026-Q3`` → 1 Jul–30 Sep 2026; ``2026-H2`` → 1 Jul–31 Dec 2026; ``2026`` → the year."""
    match = _PERIOD.match(text.strip())
    if not match:
        raise ValidationError(
            f"“{text}” is not a period: use a quarter such as 2026-Q3, a half-year such as 2026-H2, "
            "or a year such as 2026."
        )
    year = int(match["year"])
    if year < 1900:
        raise ValidationError(f"The year {year} is out of range.")
    kind, n = (match["kind"] or "").upper(), int(match["n"] or 0)
    if kind == "Q":
        if not 1 <= n <= 4:
            raise ValidationError(f"“{text}”: a year has quarters Q1 to Q4.")
        first = 3 * (n - 1) + 1
        return Period(f"{year}-q{n}", f"{year} Q{n}", date(year, first, 1), _month_end(year, first + 2))
    if kind == "H":
        if not 1 <= n <= 2:
            raise ValidationError(f"“{text}”: a year has halves H1 and H2.")
        first = 6 * (n - 1) + 1
        return Period(f"{year}-h{n}", f"{year} H{n}", date(year, first, 1), _month_end(year, first + 5))
    return Period(f"{year}", f"{year}", date(year, 1, 1), date(year, 12, 31))


def period_from_dates(start: date, end: date) -> Period:
    if end < start:
        raise ValidationError(f"The period ends ({render(end)}) before it starts ({render(start)}).")
    return Period(f"{start.isoformat()}-to-{end.isoformat()}", f"{render(start)} – {render(end)}", start, end)


def check_complete(period: Period, *, today: date) -> None:
    """A report describes a period that has ended: refuse future and unfinished periods."""
    if period.end < period.start:
        raise ValidationError(f"The period ends ({render(period.end)}) before it starts ({render(period.start)}).")
    if period.start > today:
        raise ValidationError(f"The period {period.label} is in the future (it starts {render(period.start)}).")
    if period.end >= today:
        raise ValidationError(
            f"The period {period.label} has not ended yet (it ends {render(period.end)}); "
            "a report can be made from the day after."
        )


# A new report's title in each language (content, stored in ``title``/``title_<code>``; staff may edit them
# while it is a draft). A language with no entry here gets its title from staff in the admin.
TITLES = {
    "en": ("Progress report {label}", "Progress report {label} (correction)"),
    "ru": ("Отчёт о выполнении обязательств за {label}", "Отчёт о выполнении обязательств за {label} (исправление)"),
}


def report_titles(label: str, *, correction: bool) -> dict[str, str]:
    """The ``title`` and ``title_<code>`` fields of a new report for the period ``label``."""
    return {column("title", code): TITLES[code][correction].format(label=label)
            for code in CODES if code in TITLES}
