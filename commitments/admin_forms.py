"""Admin forms that refuse to overwrite a colleague's save (optimistic concurrency).

The form carries the version it was opened with. On save it compares that with the stored
version under a row lock (the admin's change view runs in a transaction, so the lock holds until
the save commits). If they differ, the form is shown again with what this person typed, a
message saying who changed what meanwhile, and the new version, so saving again is a decision.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

SHOWN_VALUE_LENGTH = 120


def _changes_since(instance, seen: int) -> str:
    """Who changed what since version ``seen``, from the object's history."""
    history = instance.history.order_by("history_date", "history_id")
    base = history.filter(version=seen).last()
    latest = history.last()
    if base is None or latest is None or base.pk == latest.pk:
        return "it was changed"
    delta = latest.diff_against(base)
    people = sorted({str(r.history_user) for r in history.filter(version__gt=seen) if r.history_user} or {"someone"})
    parts = []
    for change in delta.changes:
        label = instance._meta.get_field(change.field).verbose_name
        new = change.new if not isinstance(change.new, list) else "(changed)"
        shown = str(new)
        if len(shown) > SHOWN_VALUE_LENGTH:
            shown = shown[:SHOWN_VALUE_LENGTH] + "…"
        parts.append(f"{label} is now “{shown}”")
    when = timezone.localtime(latest.history_date).strftime("%d %b %Y %H:%M")
    what = "; ".join(parts) if parts else "no field you can see changed"
    return f"{', '.join(people)} saved it at {when}: {what}"


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
        model = type(self.instance)
        stored = model.objects.select_for_update().filter(pk=self.instance.pk).values_list("version", flat=True).first()
        seen = cleaned.get("seen_version")
        if stored is not None and seen != stored:
            message = (
                f"Not saved: while you were editing, {_changes_since(self.instance, seen)}. "
                "Your changes are still in the form below. Check theirs (see History), then save again "
                "to keep yours."
            )
            # The next save is a decision made knowing the other changes: accept it then.
            self.data = self.data.copy()
            self.data[self.add_prefix("seen_version")] = str(stored)
            raise ValidationError(message, code="edit_conflict")
        return cleaned
