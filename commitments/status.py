"""The status scale (slugs, labels, definitions) and the rules over it: overdue, stale, status on a date,
made by a date (``known_since``), and the evidence each status needs before it can be published.

The slugs are part of the public URL contract (``?status=in_progress``); never rename one.
Everything else in the project asks this module what a status means.

Each rule is written here in every form the project evaluates it in, side by side: a SQL
condition (``Q`` or expression, for querysets), a numpy mask (for ``facet_index``, over arrays of
status codes and date ordinals) and a Python predicate (for reports and single rows).
``tests/test_rules.py`` checks that the three agree around every boundary day.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db import models
from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThanOrEqual
from django.utils.functional import lazy
from django.utils.translation import get_language, gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from . import dates


class Status(models.TextChoices):
    NOT_ASSESSED = "not_assessed", _("Not yet assessed")
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    STALLED = "stalled", _("Stalled")
    PARTIALLY_ACHIEVED = "partially_achieved", _("Partially achieved")
    ACHIEVED = "achieved", _("Achieved")
    ABANDONED = "abandoned", _("Abandoned")


DEFINITIONS: dict[str, str] = {
    Status.NOT_ASSESSED: _("No published update yet."),
    Status.NOT_STARTED: _("No evidence of any action."),
    Status.IN_PROGRESS: _("Action is under way, not complete."),
    Status.STALLED: _("Action began but has stopped or is blocked."),
    Status.PARTIALLY_ACHIEVED: _("Delivered in part, or in weaker form than promised."),
    Status.ACHIEVED: _("Delivered as committed."),
    Status.ABANDONED: _("Dropped, or can no longer be delivered."),
}

# A status update claims one of these; "not assessed" is the absence of a published update.
ASSESSABLE = [(s.value, s.label) for s in Status if s != Status.NOT_ASSESSED]

# Closed statuses end the overdue and stale clocks.
CLOSED = frozenset({Status.ACHIEVED, Status.ABANDONED})

# A commitment with no published update for this many calendar months is stale.
STALE_AFTER_MONTHS = 9
_NUMBER_WORDS = (
    gettext_noop("zero"), gettext_noop("one"), gettext_noop("two"), gettext_noop("three"), gettext_noop("four"),
    gettext_noop("five"), gettext_noop("six"), gettext_noop("seven"), gettext_noop("eight"), gettext_noop("nine"),
    gettext_noop("ten"), gettext_noop("eleven"), gettext_noop("twelve"),
)
# "nine months": how the English data dictionary of the exports says the stale period (never translated:
# exports' English text is fixed at import).
STALE_AFTER_TEXT = f"{_NUMBER_WORDS[STALE_AFTER_MONTHS]} months"


def _stale_after_text() -> str:
    return ngettext("%(number)s month", "%(number)s months", STALE_AFTER_MONTHS) % {
        "number": gettext(_NUMBER_WORDS[STALE_AFTER_MONTHS])}


# The same in the active language, for pages, labels and the admin ("девять месяцев" on a Russian page).
stale_after_text = lazy(_stale_after_text, str)()


@dataclass(frozen=True)
class StatusInfo:
    slug: str
    label: str
    definition: str


def info(slug: str) -> StatusInfo:
    """Label and definition for a status slug (raises ValueError for an unknown slug)."""
    found = _by_slug(get_language()).get(slug)
    return found if found is not None else _info(Status(slug))  # Status() raises the ValueError


def _info(status: Status) -> StatusInfo:
    # Plain text in the active language: callers put these in JSON (the report's snapshot) and f-strings.
    return StatusInfo(slug=status.value, label=str(status.label), definition=str(DEFINITIONS[status]))


def scale() -> list[StatusInfo]:
    """The whole scale in display order, in the active language."""
    return list(_scale(get_language()))


@functools.lru_cache(maxsize=8)
def _scale(language: str | None) -> tuple[StatusInfo, ...]:
    # Per language, as Django keeps each language's catalog per process: a page draws the scale once per status
    # bar (56 bars on the overview), and translating seven labels and definitions each time cost about 10 ms.
    return tuple(_info(s) for s in Status)


@functools.lru_cache(maxsize=8)
def _by_slug(language: str | None) -> dict[str, StatusInfo]:
    return {i.slug: i for i in _scale(language)}


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def stale_cutoff(on: date) -> date:
    """Open commitments whose last published update is on or before this day are stale."""
    return months_before(on, STALE_AFTER_MONTHS)


# --- the forms' shared vocabulary -----------------------------------------------------------

# numpy's code for each status (its index in the scale); ``facet_index`` stores statuses as these.
CODES = {slug: code for code, slug in enumerate(Status.values)}
_CLOSED_SLUGS = sorted(CLOSED)
NO_DAY = 0  # numpy's ordinal for "no date": real ordinals start at 1 (1 January of year 1)


def ordinals(days: Iterable[date | None]) -> np.ndarray:
    """Dates as the ordinals the masks compare (``NO_DAY`` for none)."""
    return np.fromiter((d.toordinal() if d else NO_DAY for d in days), dtype=np.int32)


# --- open: not achieved or abandoned (the half both clocks share) -----------------------------


def open_q(status: str) -> Q:
    """SQL: the status column ``status`` is open."""
    return ~Q(**{f"{status}__in": _CLOSED_SLUGS})


_OPEN_BY_CODE = np.array([slug not in CLOSED for slug in CODES])


def open_mask(status: np.ndarray) -> np.ndarray:
    return _OPEN_BY_CODE[status]  # a look-up per row: a quarter of ``np.isin``'s time


def is_open(status: str) -> bool:
    return status not in CLOSED


# --- overdue: a due date in the past, and open ------------------------------------------------


def past_due_q(on: date, via: str = "") -> Q:
    """SQL, the date half of overdue: due before ``on`` (``via``: the path to the commitment)."""
    return Q(**{f"{via}due_date__lt": on})


def overdue_q(*, status: str, on: date) -> Q:
    """SQL: overdue on ``on``, reading the status from the column ``status``."""
    return open_q(status) & past_due_q(on)


def past_due_mask(due: np.ndarray, on: date) -> np.ndarray:
    return (due != NO_DAY) & (due < on.toordinal())


def overdue_mask(*, status: np.ndarray, due: np.ndarray, on: date) -> np.ndarray:
    """numpy: overdue on ``on``; ``status`` in ``CODES``, ``due`` in ordinals."""
    return past_due_mask(due, on) & open_mask(status)


def is_overdue(*, status: str, due_date: date | None, on: date) -> bool:
    """Overdue: a due date in the past and not achieved or abandoned."""
    return due_date is not None and due_date < on and is_open(status)


# --- stale: open, and no published update for STALE_AFTER_MONTHS (none: since it was made) --


def quiet_q(*, status_date: str, on: date, via: str = "") -> Q:
    """SQL, the date half of stale: last assessed (column ``status_date``), or else made, on or before the cutoff."""
    # Written without an OR so that SQLite walks the (state, date, made) index in the overview's
    # order instead of sorting.
    return Q(LessThanOrEqual(Coalesce(F(status_date), F(f"{via}date_made")), stale_cutoff(on)))


def stale_q(*, status: str, status_date: str, on: date) -> Q:
    """SQL: stale on ``on``, reading the status and its date from the columns ``status`` and ``status_date``."""
    return open_q(status) & quiet_q(status_date=status_date, on=on)


def quiet_mask(last_news: np.ndarray, on: date) -> np.ndarray:
    return (last_news != NO_DAY) & (last_news <= stale_cutoff(on).toordinal())


def stale_mask(*, status: np.ndarray, last_news: np.ndarray, on: date) -> np.ndarray:
    """numpy: stale on ``on``; ``last_news`` is the ordinal of the status date, else of the date made."""
    return quiet_mask(last_news, on) & open_mask(status)


def is_stale(*, status: str, last_update: date | None, date_made: date | None, on: date) -> bool:
    """Stale: open, and no published update for ``STALE_AFTER_MONTHS`` (no update counts from date made)."""
    if not is_open(status):
        return False
    since = last_update or date_made
    return since is not None and since <= stale_cutoff(on)


# --- status on a date: the latest published update with an as-of date up to that day ---------
# "Latest" is the effective order: by as-of date, ties to the update published last, then the id.

EFFECTIVE_ORDER = ("-as_of", "-published_at", "-id")


def effective_key(as_of, published_at, pk) -> tuple:
    """Python: the effective order as a sort key; of several published updates, the largest holds."""
    return (as_of, published_at, pk)


def status_on_subquery(published: models.QuerySet, day: date, *, field: str = "status", commitment=None) -> Subquery:
    """SQL, per outer commitment row: ``field`` of the update of ``published`` that holds on ``day``.

    ``commitment``: how the outer row names its commitment (default ``OuterRef("pk")``).
    """
    holding = published.filter(commitment=OuterRef("pk") if commitment is None else commitment, as_of__lte=day)
    return Subquery(holding.order_by(*EFFECTIVE_ORDER).values(field)[:1])


def status_on_expression(published: models.QuerySet, day: date) -> Coalesce:
    """SQL: the status on ``day`` (``not_assessed`` when no published update counts yet)."""
    return Coalesce(status_on_subquery(published, day), Value(Status.NOT_ASSESSED.value))


def statuses_on_array(*, rows: np.ndarray, as_of: np.ndarray, status: np.ndarray, day: date, size: int) -> np.ndarray:
    """numpy: each of ``size`` commitments' status code on ``day``.

    One entry per published update: its commitment's row, as-of ordinal and status code, sorted by
    row and then in the effective order (so each row's first counting update is the one that holds).
    """
    counting = as_of <= day.toordinal()
    found, first = np.unique(rows[counting], return_index=True)
    out = np.full(size, CODES[Status.NOT_ASSESSED], dtype=np.int8)
    out[found] = status[counting][first]
    return out


def status_on(updates: Iterable[tuple], day: date) -> tuple[str, date | None]:
    """Python: the status on ``day`` and its date, from published updates' ``(as_of, published_at, id, status)``."""
    counting = [u for u in updates if u[0] <= day]
    if not counting:
        return Status.NOT_ASSESSED.value, None
    latest = max(counting, key=lambda u: effective_key(*u[:3]))
    return latest[3], latest[0]


def first_day_case(days: list[date]) -> Case:
    """SQL, per update: the index of the first of ``days`` (ascending) it counts on (``as_of`` up to that day)."""
    # Latest days tested first: most updates are recent.
    return Case(
        *(When(as_of__gt=days[i - 1], then=Value(i)) for i in range(len(days) - 1, 0, -1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def statuses_on_days(updates: Iterable[tuple], n_days: int) -> dict:
    """Python, many days at once: commitment -> its status on each day, from ``(commitment, first day, status)``.

    ``updates``: published updates up to the last day, ordered by commitment and then in the
    effective order, each with ``first_day_case``. Each update holds from its first day until a
    later update's; commitments with none are left out (not assessed on every day).
    """
    found: dict = {}
    statuses: list[str] = []
    current, upper = None, 0
    for pk, first, status in updates:
        if pk != current:
            current, upper = pk, n_days
            statuses = found[pk] = [Status.NOT_ASSESSED.value] * n_days
        if first < upper:  # latest first: it holds from its first day until a later update's
            statuses[first:upper] = [status] * (upper - first)
            upper = first
    return found


# --- made by a day: a commitment exists in a view of a past day from the day it is known to exist ---
# ``known_since`` (derived by ``services.refresh_known_since``): the date made, else its source's date,
# else its earliest evidence date. With none at all it is absent from every view of a past day.
# (No numpy form: the facet index never answers ``as_of``; such lists count in SQL.)


def made_by_q(day: date, via: str = "") -> Q:
    """SQL: the commitment is known to exist on ``day``."""
    return Q(**{f"{via}known_since__lte": day})


def is_made_by(*, known_since: date | None, day: date) -> bool:
    """Python: the commitment is known to exist on ``day`` (reports' charts and lists)."""
    return known_since is not None and known_since <= day


# --- evidence: what a status needs before it can be published --------------------------------
# The values of ``Evidence.Indicates`` (this module never imports models).
ANNOUNCED, UNDER_WAY, DONE, NOT_BEGUN, DROPPED = "announced", "under way", "done", "not begun", "dropped"
SUPPORTS = "supports"


@dataclass(frozen=True)
class EvidenceRule:
    """What a status needs: at least one supporting item showing one of ``indicates`` (dated, if ``dated``)."""

    indicates: frozenset[str]
    dated: bool
    # The rule in one plain sentence, for staff beside the status choices and for readers; English (a
    # ``gettext_noop``): ``gettext`` it where it is shown.
    statement: str


_ACTION = frozenset({UNDER_WAY, DONE})
EVIDENCE_RULES: dict[str, EvidenceRule] = {
    Status.NOT_STARTED: EvidenceRule(
        frozenset({ANNOUNCED, NOT_BEGUN}),
        dated=True,
        statement=gettext_noop(
            "At least one dated supporting item showing it was announced or planned but nothing began "
            "(“announced”), or a source saying nothing had begun, e.g. after the due date passed (“not begun”)."),
    ),
    Status.IN_PROGRESS: EvidenceRule(
        _ACTION,
        dated=False,
        statement=gettext_noop(
            "At least one supporting item showing action under way or done (“under way” or “done”): "
            "an announcement, an aim or a plan alone is not enough."),
    ),
    Status.STALLED: EvidenceRule(
        _ACTION,
        dated=False,
        statement=gettext_noop(
            "At least one supporting item showing that action began (“under way” or “done”); "
            "the summary says what stopped or blocks it."),
    ),
    Status.PARTIALLY_ACHIEVED: EvidenceRule(
        _ACTION,
        dated=False,
        statement=gettext_noop(
            "At least one supporting item showing action under way or done (“under way” or “done”), "
            "for the part delivered."),
    ),
    Status.ACHIEVED: EvidenceRule(
        frozenset({DONE}),
        dated=False,
        statement=gettext_noop("At least one supporting item showing it done (“done”)."),
    ),
    Status.ABANDONED: EvidenceRule(
        frozenset({DROPPED}),
        dated=True,
        statement=gettext_noop(
            "At least one dated supporting item showing it dropped: a statement of abandonment, or that "
            "delivery became impossible (“dropped”)."),
    ),
}
# English (tests and callers look for it in text); ``gettext(EVIDENCE_DATE_RULE)`` where it is shown.
EVIDENCE_DATE_RULE = gettext_noop("No evidence may be dated later than the update’s as-of date.")


@dataclass(frozen=True)
class StatusRule:
    """A status of the scale with the rule its evidence must meet (for the methodology page and the admin)."""

    slug: str
    label: str
    definition: str
    statement: str


def evidence_rules() -> list[StatusRule]:
    """Each assessable status, in scale order, with its evidence rule in a sentence."""
    return [
        StatusRule(i.slug, i.label, i.definition, gettext(EVIDENCE_RULES[i.slug].statement))
        for i in scale()
        if i.slug in EVIDENCE_RULES
    ]


def evidence_problems(
    *, status: str, as_of: date | None, items: Iterable[tuple], as_of_precision: str = dates.Precision.DAY
) -> list[str]:
    """Why an update of ``status`` as of ``as_of`` cannot be published on this evidence (empty: it can).

    ``items``: each evidence item's ``(stance, indicates, date)``, optionally with its date precision
    fourth. An as-of date known to the month or year (stored as its first day) allows evidence from
    anywhere in that period.
    """
    items = [tuple(item) for item in items]
    problems = []
    rule = EVIDENCE_RULES.get(status)
    if rule is not None:
        shown = [i for i in items if i[0] == SUPPORTS and i[1] in rule.indicates and (i[2] or not rule.dated)]
        if not shown:
            problems.append(gettext("“%(status)s” needs evidence of the right kind. %(rule)s")
                            % {"status": Status(status).label, "rule": gettext(rule.statement)})
    if as_of is not None:
        last = dates.period_end(as_of, as_of_precision)
        for item in items:
            day = item[2]
            if day is not None and day > last:
                precision = item[3] if len(item) > 3 else dates.Precision.DAY
                problems.append(
                    gettext("Evidence dated %(day)s is later than the as-of date (%(as_of)s). %(rule)s") % {
                        "day": dates.render(day, precision), "as_of": dates.render(as_of, as_of_precision),
                        "rule": gettext(EVIDENCE_DATE_RULE)}
                )
    return problems
