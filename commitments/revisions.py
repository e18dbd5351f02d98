"""Changes to published content go through review: propose, approve (apply) or reject a ``Revision``.

An edit of a public commitment, source, actor, theme or country is not applied: ``propose_revision``
stores the proposed values and the published values it started from (``base``). A publisher then
approves it, which applies the changed fields in one transaction, with a public reason recorded in
the change history (``public_log``), or rejects it with a reason the editor sees. Revisions are never
deleted, so nothing typed is lost. A published status update and its evidence take revisions of
their translations only (``update_translations``): the rest of them stays as published.

Values are stored as JSON, field by field: dates as ISO text, a foreign key as the related primary
key, a many-to-many field as the sorted list of primary keys.

Why an own model rather than django-reversion or simple-history: simple-history (already here) records
what happened to a row, and reversion stores versions of what was saved; neither holds a proposal
that is not applied, with its review state and reasons. Approving still writes a simple-history
record (with the reason and the approving publisher), so the staff history stays complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import capfirst, get_text_list
from django.utils.translation import gettext

from . import public_log, services, update_translations
from .models import Commitment, PublicChange, Revision, Source

REVIEW_PERM = "commitments.review_revision"

MODELS: dict[str, type[models.Model]] = {subject: model for model, subject in public_log.SUBJECTS.items()}
REVIEWED_STATES = (Commitment.State.PUBLISHED, Commitment.State.ARCHIVED)


def needs_review(instance: models.Model) -> bool:
    """Whether an edit of ``instance`` must wait for a publisher: the public sees (or saw) it.

    A commitment: published or archived (as stored, not as an unsaved form left it). A source or a
    taxonomy entry: public, i.e. used by a published commitment. A status update: published (withdrawn
    too), and the evidence of such an update. Other models and new rows: never.
    """
    model = type(instance)
    if instance.pk is None or model not in public_log.SUBJECTS:
        return False
    if model in update_translations.LIMITED:
        return update_translations.on_record(instance)
    if model is Commitment:
        # Not public(): an archived commitment was public and may be restored, so its edits wait too.
        return Commitment.objects.filter(pk=instance.pk).values_list("state", flat=True).first() in REVIEWED_STATES
    return model.objects.public().filter(pk=instance.pk).exists()


# --- values as JSON ------------------------------------------------------------------------------


def reviewed_fields(model: type[models.Model], names: Iterable[str]) -> list[models.Field]:
    """The model fields among ``names`` a revision may carry: editable, concrete or many-to-many."""
    out = []
    for name in names:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # a form field that is not the model's (seen_version)
            continue
        if field.primary_key or not field.editable or field.auto_created or not (field.concrete or field.many_to_many):
            continue
        out.append(field)
    return sorted(out, key=lambda field: field.creation_counter)  # the model's order (a jsonb object has none)


def _pk(value):
    return value.pk if isinstance(value, models.Model) else value


def serialise(field: models.Field, value):
    """A value as a revision stores it (JSON): ISO dates, primary keys, sorted lists of primary keys."""
    if field.many_to_many:
        return sorted(int(_pk(v)) for v in (value or []))
    if field.many_to_one:
        value = _pk(value)
        return None if value in (None, "") else int(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def stored_values(instance: models.Model, names: Iterable[str]) -> dict:
    """The record's stored values of ``names``, serialised (many-to-many read from the database)."""
    out = {}
    for field in reviewed_fields(type(instance), names):
        if field.many_to_many:
            out[field.name] = sorted(getattr(instance, field.name).values_list("pk", flat=True))
        elif field.many_to_one:
            out[field.name] = getattr(instance, field.attname)
        else:
            out[field.name] = serialise(field, getattr(instance, field.attname))
    return out


def as_python(model: type[models.Model], data: Mapping) -> dict:
    """A revision's values as Python values a model form takes as ``initial`` (dates as dates)."""
    out = {}
    for field in reviewed_fields(model, data):
        value = data[field.name]
        out[field.name] = value if field.is_relation else field.to_python(value)
    return out


def proposed_changes(*, instance: models.Model, data: Mapping) -> list[str]:
    """The fields whose value in ``data`` (a form's cleaned data) differs from the stored record's."""
    model = type(instance)
    fields = reviewed_fields(model, data)
    stored = stored_values(model._base_manager.get(pk=instance.pk), [field.name for field in fields])
    return [field.name for field in fields if serialise(field, data[field.name]) != stored[field.name]]


def changed_fields(revision: Revision) -> list[str]:
    """The fields whose proposed value differs from the published value the edit started from."""
    model = MODELS[revision.subject_type]
    return [
        field.name
        for field in reviewed_fields(model, revision.data)
        if revision.data[field.name] != revision.base.get(field.name)
    ]


def subject_of(revision: Revision) -> models.Model | None:
    """The record a revision changes (None if it was deleted since)."""
    return MODELS[revision.subject_type]._base_manager.filter(pk=revision.subject_id).first()


def label(model: type[models.Model], name: str) -> str:
    return str(capfirst(model._meta.get_field(name).verbose_name))


# --- services ------------------------------------------------------------------------------------


def _require_reviewer(user) -> None:
    if user is None or not user.has_perm(REVIEW_PERM):
        raise PermissionDenied(gettext("Only publishers can approve or reject a revision of published content."))


@transaction.atomic
def propose_revision(*, instance: models.Model, data: Mapping, user, note: str = "") -> Revision:
    """Store an edit of a published record as a pending revision; the record itself is not changed.

    ``data`` is a model form's cleaned data (fields that are not the model's are ignored). ``base``
    is what is stored now, read from the database (the form has already put its values on
    ``instance`` in memory).
    """
    model = type(instance)
    subject = public_log.subject_type(instance)
    fields = reviewed_fields(model, data)
    stored = model._base_manager.get(pk=instance.pk)
    if (allowed := update_translations.LIMITED.get(model)) is not None:
        # Only the translations: any other field must be as stored (a form sends some, e.g. an
        # evidence row's update), and is left out of the revision.
        current = stored_values(stored, [field.name for field in fields])
        _refuse_immutable(model, [field.name for field in fields if field.name not in allowed
                                  and serialise(field, data[field.name]) != current[field.name]])
        fields = [field for field in fields if field.name in allowed]
    names = [field.name for field in fields]
    return Revision.objects.create(
        subject_type=subject,
        subject_id=instance.pk,
        data={field.name: serialise(field, data[field.name]) for field in fields},
        base=stored_values(stored, names),
        base_version=getattr(stored, "version", None),
        note=note,
        created_by=user,
    )


def _refuse_immutable(model: type[models.Model], names: list[str]) -> None:
    if names:
        fields = get_text_list([label(model, name) for name in names], "and")
        raise ValidationError(update_translations.IMMUTABLE % {"fields": fields})


def _pending(revision: Revision) -> Revision:
    locked = Revision.objects.select_for_update().get(pk=revision.pk)
    if locked.review_state != Revision.State.PENDING:
        values = {"state": locked.get_review_state_display().lower(), "user": locked.reviewed_by}
        raise ValidationError((gettext("This revision was already %(state)s by %(user)s.") if locked.reviewed_by
                               else gettext("This revision was already %(state)s.")) % values)
    return locked


def _clean_failure(model: type[models.Model], exc: ValidationError) -> ValidationError:
    """A ``full_clean`` failure as one message naming each field, for the reviewer."""
    if not hasattr(exc, "error_dict"):
        return ValidationError(gettext("Not applied: %(errors)s") % {"errors": " ".join(exc.messages)})
    said = []
    for name, messages in exc.message_dict.items():
        text = " ".join(messages)
        if name == NON_FIELD_ERRORS:
            said.append(text)
        else:
            try:
                said.append(f"{label(model, name)}: {text}")
            except FieldDoesNotExist:  # an error keyed by something that is not a field
                said.append(f"{name}: {text}")
    return ValidationError(
        gettext("Not applied, the record would not be valid. %(errors)s") % {"errors": " ".join(said)})


@transaction.atomic
def approve_revision(*, revision: Revision, user, reason: str) -> Revision:
    """Apply a pending revision to its record, with a public reason (publishers only).

    Only the fields the revision changes are written. Refused (nothing applied) when one of them
    changed on the record since the edit began, when a related entry it names no longer exists, or
    when the result would not pass the model's validation. Writes a simple-history record (reason,
    approving publisher) and one ``PublicChange``; saving the record bumps the public data version
    (``signals``), so cached pages and counts follow at once.
    """
    _require_reviewer(user)
    reason = public_log.clean_reason(reason)
    revision = _pending(revision)
    model = MODELS[revision.subject_type]
    instance = model._base_manager.select_for_update().filter(pk=revision.subject_id).first()
    if instance is None:
        raise ValidationError(gettext("Not applied: the record this revision changes no longer exists."))

    fields = changed_fields(revision)
    allowed = update_translations.LIMITED.get(model)
    if allowed is not None:  # a revision made otherwise than by ``propose_revision``
        _refuse_immutable(model, [name for name in fields if name not in allowed])
    current = stored_values(instance, fields)
    moved = [name for name in fields if current.get(name) != revision.base.get(name)]
    if moved:
        labels = get_text_list([label(model, name) for name in moved], gettext("and"))
        raise ValidationError(
            gettext("Not applied: since this edit began, %(fields)s changed on the published record (another "
                    "revision was approved). Reject this revision with that reason; its author can open a new edit "
                    "from it.") % {"fields": labels}
        )

    many = {}
    for field in reviewed_fields(model, fields):
        value = revision.data[field.name]
        if field.many_to_many:
            found = set(field.related_model._base_manager.filter(pk__in=value).values_list("pk", flat=True))
            if missing := sorted(set(value) - found):
                ids = ", ".join(map(str, missing))
                raise ValidationError(gettext("Not applied: %(field)s names entries deleted since (%(ids)s).")
                                      % {"field": label(model, field.name), "ids": ids})
            many[field.name] = value
        elif field.many_to_one:
            if value is not None and not field.related_model._base_manager.filter(pk=value).exists():
                raise ValidationError(gettext("Not applied: the %(field)s it names was deleted since.")
                                      % {"field": label(model, field.name).lower()})
            setattr(instance, field.attname, value)
        else:
            setattr(instance, field.attname, field.to_python(value))
    # A published update or its evidence: only the changed translations are judged, with the model's
    # ``clean`` (the rest was judged when it was published and stays as it is).
    exclude = None if allowed is None else [f.name for f in model._meta.fields if f.name not in fields]
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise _clean_failure(model, exc) from None

    # Many-to-many first, without history rows of their own: the one record made by save() then
    # holds the whole new state, with the reason and the approving publisher.
    instance.skip_history_when_saving = True
    try:
        for name, pks in many.items():
            getattr(instance, name).set(pks)
    finally:
        del instance.skip_history_when_saving
    instance._change_reason = reason  # a text column (SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD)
    instance._history_user = user
    instance.save()
    # A date made, a source or a source's date may have moved when an undated commitment is known from.
    if isinstance(instance, Source):
        services.refresh_known_since(source=instance)
    elif isinstance(instance, Commitment):
        services.refresh_known_since(commitment=instance)

    revision.review_state = Revision.State.APPROVED
    revision.reviewed_by = user
    revision.reviewed_at = timezone.now()
    revision.review_reason = reason
    revision.save(update_fields=["review_state", "reviewed_by", "reviewed_at", "review_reason"])
    public_log.record(
        kind=PublicChange.Kind.REVISED,
        subject=instance,
        reason=reason,
        by=user,
        revision=revision,
        changes=public_log.field_changes(
            subject=revision.subject_type,
            model=model,
            old=current,
            new={name: revision.data[name] for name in fields},
            fields=fields,
        ),
        when=revision.reviewed_at,
    )
    return revision


@transaction.atomic
def reject_revision(*, revision: Revision, user, reason: str) -> Revision:
    """Reject a pending revision with a reason its author sees; its values are kept (publishers only)."""
    _require_reviewer(user)
    reason = public_log.clean_reason(reason)
    revision = _pending(revision)
    revision.review_state = Revision.State.REJECTED
    revision.reviewed_by = user
    revision.reviewed_at = timezone.now()
    revision.review_reason = reason
    revision.save(update_fields=["review_state", "reviewed_by", "reviewed_at", "review_reason"])
    return revision


# --- reads ---------------------------------------------------------------------------------------

NAME_FIELDS: dict[str, str] = {
    Revision.Subject.COMMITMENT: "title",
    Revision.Subject.SOURCE: "title",
    Revision.Subject.ACTOR: "name",
    Revision.Subject.THEME: "name",
    Revision.Subject.COUNTRY: "name",
    Revision.Subject.UPDATE: "commitment__title",  # an update has no name of its own: its commitment's
    Revision.Subject.EVIDENCE: "title",
}


def with_subject_names(queryset: models.QuerySet) -> models.QuerySet:
    """Revisions annotated with ``subject_name`` (the record's title or name), in the same query."""
    whens = [
        models.When(
            subject_type=subject,
            then=models.Subquery(
                MODELS[subject]._base_manager.filter(pk=models.OuterRef("subject_id")).values(NAME_FIELDS[subject])[:1]
            ),
        )
        for subject in MODELS
    ]
    return queryset.annotate(subject_name=models.Case(*whens, output_field=models.CharField()))


def visible_to(user, queryset: models.QuerySet | None = None) -> models.QuerySet:
    """The revisions a staff member may see: all for publishers, their own for editors."""
    queryset = Revision.objects.all() if queryset is None else queryset
    return queryset if user.has_perm(REVIEW_PERM) else queryset.filter(created_by=user)


def pending_for(instance: models.Model) -> models.QuerySet:
    """Pending revisions of one record, oldest first."""
    return Revision.objects.filter(
        subject_type=public_log.subject_type(instance), subject_id=instance.pk, review_state=Revision.State.PENDING
    ).order_by("created_at", "id")


def pending_evidence_of(update) -> models.QuerySet:
    """Pending revisions of the evidence of one status update, oldest first."""
    return Revision.objects.filter(
        subject_type=Revision.Subject.EVIDENCE, subject_id__in=update.evidence.values("pk"),
        review_state=Revision.State.PENDING,
    ).order_by("created_at", "id")
