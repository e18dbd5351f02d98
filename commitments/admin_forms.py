"""Admin forms that refuse to overwrite a colleague's save (optimistic concurrency).

The form carries the version it was opened with. On save it compares that with the stored
version under a row lock (the admin's change view runs in a transaction, so the lock holds until
the save commits). If they differ, the form is shown again with a message saying who changed what
meanwhile and the new version, so saving again is a decision. What this person typed stays; a field
they did not touch now shows the colleague's saved value, so saving again does not quietly put the
old value back. "Did not touch" is judged against the history record of the version they opened.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils import formats, timezone
from django.utils.text import capfirst, get_text_list
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import dates

SHOWN_VALUE_LENGTH = 120
SHOWN_ENTRIES = 10


def _record_at(instance, version):
    """The history record of ``version`` as last saved (a save's many-to-many changes come after it)."""
    if version is None:
        return None
    return instance.history.filter(version=version).order_by("history_date", "history_id").last()


def _entries(model, pks) -> list[str]:
    """Names of related entries, sorted; one deleted since shows as its number."""
    found = model._base_manager.in_bulk(pks)
    names = sorted(str(found[pk]) if pk in found else gettext("#%(id)s (deleted)") % {"id": pk} for pk in pks)
    if len(names) > SHOWN_ENTRIES:
        more = len(names) - SHOWN_ENTRIES
        names = [*names[:SHOWN_ENTRIES], ngettext("%(count)d more", "%(count)d more", more) % {"count": more}]
    return names


def _describe(model, change) -> str:
    """One field's change, as staff read it: names for related entries, labels for choices."""
    field = model._meta.get_field(change.field)
    label = capfirst(field.verbose_name)
    if field.many_to_many:
        related = field.m2m_reverse_field_name()
        old = {row[related] for row in change.old}
        new = {row[related] for row in change.new}
        moves = ((gettext("added %(entries)s"), new - old), (gettext("removed %(entries)s"), old - new))
        said = [verb % {"entries": get_text_list(_entries(field.related_model, pks), gettext("and"))}
                for verb, pks in moves if pks]
        return f"{label}: {', '.join(said) or gettext('reordered')}"
    new = change.new
    if field.many_to_one and new is not None:
        new = (_entries(field.related_model, [new]) or [new])[0]
    elif field.choices:
        new = dict(field.flatchoices).get(new, new)
    shown = "" if new is None else str(new)
    if not shown:
        return gettext("%(field)s is now empty") % {"field": label}
    if len(shown) > SHOWN_VALUE_LENGTH:
        shown = shown[:SHOWN_VALUE_LENGTH] + "…"
    return gettext("%(field)s is now “%(value)s”") % {"field": label, "value": shown}


def _changes_since(instance, base) -> str:
    """Who changed what since the history record ``base``."""
    history = instance.history.order_by("history_date", "history_id")
    latest = history.last()
    if base is None or latest is None or base.pk == latest.pk:
        return gettext("it was changed")
    delta = latest.diff_against(base)
    people = sorted(
        {str(r.history_user) for r in history.filter(version__gt=base.version) if r.history_user}
        or {gettext("someone")}
    )
    what = "; ".join(_describe(type(instance), change) for change in delta.changes)
    local = timezone.localtime(latest.history_date)
    return gettext("%(people)s saved it at %(when)s: %(what)s") % {
        "people": ", ".join(people), "when": f"{dates.render(local.date())} {local:%H:%M}",
        "what": what or gettext("no field you can see changed")}


def _as_form_values(record) -> dict:
    """A history record's tracked values in the shape a model form's ``initial`` has."""
    values = model_to_dict(record, fields={f.name for f in record.tracked_fields})
    for field in record._history_m2m_fields:
        values[field.name] = list(getattr(record, field.name).values_list(field.m2m_reverse_field_name(), flat=True))
    return values


def _as_data(field: forms.Field, value):
    """A value as a browser would submit it for ``field``."""
    value = field.prepare_value(value)
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if value is None:
        return ""
    if isinstance(value, date):
        return formats.localize_input(value)
    return str(value)


class VersionedAdminForm(forms.ModelForm):
    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        # The row lock makes a colleague's save wait (or this one wait for theirs); the values are
        # read after it, so they are the saved ones even if the page was loaded before that save.
        stored = type(self.instance).objects.select_for_update().filter(pk=self.instance.pk).first()
        seen = cleaned.get("seen_version")
        if stored is None or seen == stored.version:
            return cleaned
        base = _record_at(stored, seen)
        # The next save is a decision made knowing the other changes: accept it then.
        self.data = self.data.copy()
        self.data[self.add_prefix("seen_version")] = str(stored.version)
        refreshed = self._show_saved_values(base, stored) if base is not None else []
        values = {"changes": _changes_since(stored, base), "fields": ", ".join(refreshed)}
        message = (
            gettext("Not saved: while you were editing, %(changes)s. Your changes are still in the form below. Fields "
                    "you had not changed now show their saved values (%(fields)s). Check theirs (see History), then "
                    "save again to keep yours.") if refreshed else
            gettext("Not saved: while you were editing, %(changes)s. Your changes are still in the form below. Check "
                    "theirs (see History), then save again to keep yours.")
        )
        raise ValidationError(message % values, code="edit_conflict")

    def _show_saved_values(self, base, stored) -> list[str]:
        """Put the saved value in each field this person left as they found it; the labels of those that moved.

        A field the history does not track (so unknown as opened) keeps what was submitted.
        """
        opened = _as_form_values(base)
        saved = model_to_dict(stored, fields=list(self.fields))
        refreshed = []
        for name, field in self.fields.items():
            if name == "seen_version" or name not in opened or name not in saved:
                continue
            submitted = self[name].data
            if field.has_changed(opened[name], submitted):
                continue  # typed by this person: theirs to keep
            key = self.add_prefix(name)
            value = _as_data(field, saved[name])
            if isinstance(value, list) and hasattr(self.data, "setlist"):
                self.data.setlist(key, value)
            else:
                self.data[key] = value
            if field.has_changed(opened[name], value):
                refreshed.append(str(field.label or name))
        return refreshed


class PublicReasonForm(forms.Form):
    """The public reason a publish, withdrawal or archiving needs (the bulk actions' intermediate page)."""

    reason = forms.CharField(
        label=_("Public reason"),
        required=False,  # an empty reason gets public_log's message, not Django's generic one
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=_("One sentence, shown to readers in the change history (and in the feed for a withdrawal)."),
    )

    def clean_reason(self) -> str:
        from .public_log import clean_reason

        return clean_reason(self.cleaned_data.get("reason"))


class StatusUpdateAdminForm(VersionedAdminForm):
    """The update form: its public reason is required when the publisher chooses “Save and publish”.

    ``publishing`` is set per request by ``StatusUpdateAdmin.get_form``; without it the reason may
    stay empty (a draft), and whatever was typed is kept either way.
    """

    publishing = False

    def clean_publish_reason(self) -> str:
        from .public_log import clean_reason

        value = (self.cleaned_data.get("publish_reason") or "").strip()
        return clean_reason(value) if self.publishing or value else value


class ShownOnlyForm(forms.ModelForm):
    """A row of a read-only inline (every field read-only, nothing added or deleted): shown, never saved.

    So it is not validated as a model: its record would be judged against the parent's unsaved form values
    (a status update against a proposed change of its commitment's scope), and an error about a field the
    row does not show cannot be put on the form.
    """

    def _post_clean(self):
        return None
