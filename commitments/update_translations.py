"""Translations of a published status update and of its evidence: the one part of them that may still change.

A published update (withdrawn or not) is part of the public record: its English summary, status,
dates and evidence stay as published, and a correction of those is a withdrawal and a newer update.
Its texts in the other languages (``summary_ru``, the evidence's ``description_ru`` and quote
translation, and who made each) may be added or corrected later, but only through review, like any
change to published content: ``revisions`` takes an edit of these columns, and only of these, as a
pending ``Revision`` for a publisher to approve with a public reason.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy

from .languages import OTHERS, column, translated_fields
from .models import Evidence, StatusUpdate
from .querysets import on_record_q
from .translation_status import has_quote

IMMUTABLE = gettext_lazy(
    "A published status update keeps its summary, status, dates and evidence as published; only its texts in "
    "other languages can be proposed for review (%(fields)s cannot). To correct the rest, withdraw the update "
    "and publish a new one."
)


def translation_columns(model: type[models.Model]) -> frozenset[str]:
    """The columns of ``model`` that hold its texts in the languages besides the default, and their provenance."""
    names = {column(name, code) for name in translated_fields(model) for code in OTHERS}
    names |= {f"translation_source_{code}" for code in OTHERS}
    if has_quote(model):
        names |= {f"quote_translation{part}_{code}" for part in ("", "_source", "_url") for code in OTHERS}
    return frozenset(names)


# The models whose published rows take revisions of these columns only.
LIMITED: dict[type[models.Model], frozenset[str]] = {
    StatusUpdate: translation_columns(StatusUpdate),
    Evidence: translation_columns(Evidence),
}


def on_record(instance: models.Model) -> bool:
    """Whether the stored update (or the update the stored evidence backs) was published: then it takes review."""
    if isinstance(instance, StatusUpdate):
        return StatusUpdate.objects.on_record().filter(pk=instance.pk).exists()
    return Evidence.objects.filter(on_record_q("status_update__"), pk=instance.pk).exists()
