"""The public change history: one writer for ``PublicChange`` rows, used by every service that changes public data.

Services call ``record`` inside their own transaction, so a change and its history entry commit
together or not at all. ``field_changes`` says which fields differ between two sets of values and,
for the words readers cite (``CITED_FIELDS``), keeps the old and the new text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from .languages import CODES, column
from .models import Actor, Commitment, Country, Evidence, PublicChange, Revision, Source, StatusUpdate, Theme

REASON_MAX = 300
# English (tests look for it); ``gettext(REASON_REQUIRED)`` where it is said.
REASON_REQUIRED = gettext_noop("Give a short public reason: it is shown to readers in the change history.")

SUBJECTS: dict[type[models.Model], str] = {
    Commitment: Revision.Subject.COMMITMENT,
    Source: Revision.Subject.SOURCE,
    Actor: Revision.Subject.ACTOR,
    Theme: Revision.Subject.THEME,
    Country: Revision.Subject.COUNTRY,
    StatusUpdate: Revision.Subject.UPDATE,
    Evidence: Revision.Subject.EVIDENCE,
}


def _in_every_language(*names: str) -> frozenset[str]:
    return frozenset(column(name, code) for name in names for code in CODES)


# The words readers quote and cite, in every language (a quote's translations too): a change to these
# shows the old and the new text publicly.
CITED_FIELDS: dict[str, frozenset[str]] = {
    Revision.Subject.COMMITMENT: _in_every_language("title") | {"quote"}
    | {f"quote_translation_{code}" for code in CODES},
    Revision.Subject.SOURCE: _in_every_language("title") | {"url"},
    Revision.Subject.ACTOR: _in_every_language("name"),
    Revision.Subject.THEME: _in_every_language("name"),
    Revision.Subject.COUNTRY: _in_every_language("name"),
    Revision.Subject.UPDATE: _in_every_language("summary"),
    Revision.Subject.EVIDENCE: _in_every_language("description") | {f"quote_translation_{code}" for code in CODES},
}


def clean_reason(reason: str | None) -> str:
    """The reason, stripped; ValidationError when it is empty or too long."""
    text = (reason or "").strip()
    if not text:
        raise ValidationError(gettext(REASON_REQUIRED))
    if len(text) > REASON_MAX:
        raise ValidationError(gettext("Keep the public reason under %(max)d characters (it has %(length)d).")
                              % {"max": REASON_MAX, "length": len(text)})
    return text


def subject_type(instance: models.Model) -> str:
    return SUBJECTS[type(instance)]


def field_changes(
    *, subject: str, model: type[models.Model], old: Mapping, new: Mapping, fields: Iterable[str] | None = None
) -> list[dict]:
    """The fields whose value differs between ``old`` and ``new``, each ``{"field", "label", "old", "new"}``.

    ``old``/``new`` are kept only for ``CITED_FIELDS`` (as text); other fields are named, not shown,
    because their values may be ids or staff-only.
    """
    cited = CITED_FIELDS.get(subject, frozenset())
    out = []
    for name in fields if fields is not None else new.keys():
        before, after = old.get(name), new.get(name)
        if isinstance(before, list | tuple | set) or isinstance(after, list | tuple | set):
            before, after = sorted(before or []), sorted(after or [])
        if before == after:
            continue
        with translation.override(settings.LANGUAGE_CODE):  # stored, and shown in every language: not staff's
            label = str(model._meta.get_field(name).verbose_name)
        entry = {"field": name, "label": label[:1].upper() + label[1:], "old": None, "new": None}
        if name in cited:
            entry["old"], entry["new"] = str(before or ""), str(after or "")
        out.append(entry)
    return out


def record(
    *,
    kind: str,
    subject: models.Model,
    reason: str,
    by=None,
    commitment: Commitment | None = None,
    status_update: StatusUpdate | None = None,
    revision: Revision | None = None,
    changes: list[dict] | None = None,
    when: datetime | None = None,
) -> PublicChange:
    """Add one entry to the public change history (call inside the service's transaction).

    An entry about a commitment, a status update or an update's evidence names the commitment (and the
    update), so it is listed on the commitment's page.
    """
    if status_update is None and isinstance(subject, StatusUpdate):
        status_update = subject
    elif status_update is None and isinstance(subject, Evidence):
        status_update = subject.status_update
    if commitment is None and isinstance(subject, Commitment):
        commitment = subject
    elif commitment is None and status_update is not None:
        commitment = status_update.commitment
    return PublicChange.objects.create(
        kind=kind,
        subject_type=subject_type(subject),
        subject_id=subject.pk,
        commitment=commitment,
        status_update=status_update,
        revision=revision,
        reason=clean_reason(reason),
        changes=changes or [],
        by=by,
        happened_at=when or timezone.now(),
    )
