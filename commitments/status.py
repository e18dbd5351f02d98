"""The status scale: slugs, labels and definitions, and the overdue and stale rules.

The slugs are part of the public URL contract (``?status=in_progress``); never rename one.
Everything else in the project asks this module what a status means.
"""

import calendar
from dataclasses import dataclass
from datetime import date

from django.db import models


class Status(models.TextChoices):
    NOT_ASSESSED = "not_assessed", "Not yet assessed"
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    STALLED = "stalled", "Stalled"
    PARTIALLY_ACHIEVED = "partially_achieved", "Partially achieved"
    ACHIEVED = "achieved", "Achieved"
    ABANDONED = "abandoned", "Abandoned"


DEFINITIONS: dict[str, str] = {
    Status.NOT_ASSESSED: "No published update yet.",
    Status.NOT_STARTED: "No evidence of any action.",
    Status.IN_PROGRESS: "Action is under way, not complete.",
    Status.STALLED: "Action began but has stopped or is blocked.",
    Status.PARTIALLY_ACHIEVED: "Delivered in part, or in weaker form than promised.",
    Status.ACHIEVED: "Delivered as committed.",
    Status.ABANDONED: "Dropped, or can no longer be delivered.",
}

# A status update claims one of these; "not assessed" is the absence of a published update.
ASSESSABLE = [(s.value, s.label) for s in Status if s != Status.NOT_ASSESSED]

# Closed statuses end the overdue and stale clocks.
CLOSED = frozenset({Status.ACHIEVED, Status.ABANDONED})

# A commitment with no published update for this many calendar months is stale.
STALE_AFTER_MONTHS = 9


@dataclass(frozen=True)
class StatusInfo:
    slug: str
    label: str
    definition: str


def info(slug: str) -> StatusInfo:
    """Label and definition for a status slug (raises ValueError for an unknown slug)."""
    status = Status(slug)
    return StatusInfo(slug=status.value, label=status.label, definition=DEFINITIONS[status])


def scale() -> list[StatusInfo]:
    """The whole scale in display order."""
    return [info(s) for s in Status.values]


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def stale_cutoff(on: date) -> date:
    """Open commitments whose last published update is on or before this day are stale."""
    return months_before(on, STALE_AFTER_MONTHS)


def is_overdue(*, status: str, due_date: date | None, on: date) -> bool:
    """Overdue: a due date in the past and not achieved or abandoned."""
    return due_date is not None and due_date < on and status not in CLOSED


def is_stale(*, status: str, last_update: date | None, date_made: date | None, on: date) -> bool:
    """Stale: open, and no published update for nine months (no update counts from date made)."""
    if status in CLOSED:
        return False
    since = last_update or date_made
    return since is not None and since <= stale_cutoff(on)
