"""Review of changes to published content in the admin: the diversion of edits, and the review queue.

``ReviewedChangesMixin`` goes on the admin of each reviewed model (commitment, source, actor, theme,
country; a status update, with its evidence's translations: ``admin.StatusUpdateAdmin``): saving the
change form of a record the public sees stores a pending ``Revision`` instead of changing the record
(for editors and publishers alike; a publisher then approves it in the queue). Drafts and records not
yet public save as usual. ``RevisionAdmin`` is the queue: pending revisions oldest first, each opened
as a field-by-field diff with approve/reject and a reason. The writes are ``revisions``' services;
this module only collects input and reports the outcome.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import revisions
from .admin_actions import error_text
from .models import Evidence, Revision

DIVERTED = _("Saved as a revision pending a publisher's review; the public still sees the published version.")
NOTHING_CHANGED = _("No published field was changed, so there is nothing to review.")
EMPTY = _("(empty)")
PREFILL_PARAM = "from_revision"
CHOOSE = _("Choose to approve or to reject.")


def revision_url(revision: Revision) -> str:
    return reverse("admin:commitments_revision_change", args=[revision.pk])


def queue_url() -> str:
    return f"{reverse('admin:commitments_revision_changelist')}?{urlencode({'review_state__exact': 'pending'})}"


class ReviewedChangesMixin:
    """For the ModelAdmin of a reviewed model: an edit of a public record becomes a pending revision."""

    def _diversion(self, request):
        return getattr(request, "_revision_outcome", None)

    def save_model(self, request, obj, form, change):
        if change and revisions.needs_review(obj):
            # The form has put its values on ``obj`` in memory only; the stored record stays as it is.
            if revisions.proposed_changes(instance=obj, data=form.cleaned_data):
                request._revision_outcome = revisions.propose_revision(
                    instance=obj, data=form.cleaned_data, user=request.user
                )
            else:
                request._revision_outcome = NOTHING_CHANGED
            return
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if self._diversion(request) is None:
            return super().save_related(request, form, formsets, change)
        # The form's many-to-many values are in the revision. Inlines (evidence not yet used in an
        # assessment: staff material, never public) save as usual.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def log_change(self, request, obj, message):
        outcome = self._diversion(request)
        if isinstance(outcome, Revision):
            message = gettext("Proposed revision #%(id)s for review (not applied).") % {"id": outcome.pk}
            # ``obj`` carries the proposed values in memory: name the entry by what is stored, or
            # "Recent actions" would show an unapproved title as if it were the record's.
            obj = type(obj)._base_manager.get(pk=obj.pk)
        elif outcome is not None:
            return None
        return super().log_change(request, obj, message)

    def response_change(self, request, obj):
        outcome = self._diversion(request)
        if outcome is None:
            return super().response_change(request, obj)
        if isinstance(outcome, Revision):
            self.message_user(request, DIVERTED, messages.SUCCESS)
            return HttpResponseRedirect(revision_url(outcome))
        self.message_user(request, outcome, messages.INFO)
        return HttpResponseRedirect(request.path)

    def _prefill_revision(self, request, obj) -> Revision | None:
        """The revision whose values a new edit starts from (``?from_revision=<id>``), if it is this record's."""
        if obj is None or request.method != "GET" or PREFILL_PARAM not in request.GET:
            return None
        try:
            pk = int(request.GET[PREFILL_PARAM])
        except ValueError:
            return None
        return (
            revisions.visible_to(request.user)
            .filter(pk=pk, subject_type=revisions.public_log.subject_type(obj), subject_id=obj.pk)
            .first()
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        revision = self._prefill_revision(request, obj)
        if revision is None:
            return form
        values = revisions.as_python(type(obj), revision.data)

        class PrefilledForm(form):
            def __init__(self, *args, **kw):
                kw["initial"] = {**values, **(kw.get("initial") or {})}
                super().__init__(*args, **kw)

        request._prefilled_from = revision
        return PrefilledForm

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change:
            prefilled = getattr(request, "_prefilled_from", None)
            if prefilled is not None:
                self.message_user(
                    request,
                    format_html(
                        gettext("This form shows the values of <a href=\"{url}\">revision #{id}</a>, not the "
                                "published ones. Saving it proposes a new revision."),
                        url=revision_url(prefilled),
                        id=prefilled.pk,
                    ),
                    messages.INFO,
                )
            if revisions.needs_review(obj):
                pending = list(revisions.pending_for(obj).select_related("created_by"))
                for revision in pending:
                    self.message_user(
                        request,
                        format_html(
                            gettext("A change to this record is waiting for a publisher's review: "
                                    "<a href=\"{url}\">revision #{id}</a> by {user}."),
                            url=revision_url(revision),
                            id=revision.pk,
                            user=revision.created_by or gettext("someone"),
                        ),
                        messages.WARNING,
                    )
                self.message_user(
                    request,
                    gettext("This record is public: saving stores your changes as a revision for a publisher to "
                            "review; the public keeps seeing the published version until then."),
                    messages.INFO,
                )
        return super().render_change_form(request, context, add, change, form_url, obj)


# --- the review queue ----------------------------------------------------------------------------


class ReviewForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[("approve", _("Approve and apply")), ("reject", _("Reject"))],
        error_messages={"required": CHOOSE, "invalid_choice": CHOOSE},
    )
    reason = forms.CharField(
        max_length=revisions.public_log.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        strip=True,
        label=_("Reason"),
        error_messages={
            "required": _("Give a reason. Approving: a public sentence shown in the change history. "
                          "Rejecting: why, for the editor.")
        },
        help_text=_("Approving: shown to readers in the change history. Rejecting: shown to the editor."),
    )


def _display(field, value, names: dict) -> str:
    """A stored value as staff read it: names for related entries, labels for choices."""
    if field.many_to_many:
        shown = sorted(names.get((field.name, pk), _deleted(pk)) for pk in value or [])
        return ", ".join(shown) or str(EMPTY)
    if field.many_to_one:
        return str(EMPTY) if value is None else names.get((field.name, value), _deleted(value))
    if field.choices:
        value = dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    return str(EMPTY) if value in (None, "") else str(value)


def _deleted(pk) -> str:
    return gettext("#%(id)s (deleted)") % {"id": pk}


def diff_rows(revision: Revision, subject) -> list[dict]:
    """One row per changed field: label, the published value, the proposed value (names, not ids)."""
    model = revisions.MODELS[revision.subject_type]
    names_changed = revisions.changed_fields(revision)
    fields = revisions.reviewed_fields(model, names_changed)
    pending = revision.review_state == Revision.State.PENDING
    current = revisions.stored_values(subject, names_changed) if subject is not None and pending else {}
    names: dict = {}
    for field in fields:
        if not field.is_relation:
            continue
        pks = set()
        for values in (revision.data, revision.base, current):
            value = values.get(field.name)
            pks.update(value if isinstance(value, list) else [value] if value is not None else [])
        for pk, entry in field.related_model._base_manager.in_bulk(pks).items():
            names[(field.name, pk)] = str(entry)
    rows = []
    for field in fields:
        base = revision.base.get(field.name)
        published = current.get(field.name, base) if pending else base
        rows.append({
            "label": revisions.label(model, field.name),
            "published": _display(field, published, names),
            "proposed": _display(field, revision.data[field.name], names),
            "moved": pending and published != base,
            "started_from": _display(field, base, names),
        })
    return rows


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    """Pending, approved and rejected revisions. Publishers see all; editors their own. Never deleted."""

    list_display = ["review_link", "subject_label", "review_state", "created_by", "created_at", "reviewed_by",
                    "review_reason"]
    list_filter = ["review_state", "subject_type"]
    list_select_related = ["created_by", "reviewed_by"]
    ordering = ["created_at", "id"]  # the queue: oldest first
    list_display_links = None

    def get_queryset(self, request):
        return revisions.with_subject_names(revisions.visible_to(request.user, super().get_queryset(request)))

    @admin.display(description=_("Revision"), ordering="id")
    def review_link(self, obj) -> str:
        return format_html('<a href="{}">#{}</a>', revision_url(obj), obj.pk)

    @admin.display(description=_("Record"))
    def subject_label(self, obj) -> str:
        return f"{obj.get_subject_type_display()}: {obj.subject_name or _deleted(obj.subject_id)}"

    def has_add_permission(self, request):
        return False  # made by saving the change form of a public record

    def has_change_permission(self, request, obj=None):
        return False  # reviewed (approve/reject) on its own page, not edited

    def has_delete_permission(self, request, obj=None):
        return False  # never deleted: nothing typed is lost

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The review page: the diff, and for publishers approve/reject with a reason."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            revision = self.get_queryset(request).select_related("created_by", "reviewed_by").get(pk=int(object_id))
        except (ValueError, Revision.DoesNotExist):
            raise Http404(gettext("No such revision (or not one of yours).")) from None
        can_review = request.user.has_perm(revisions.REVIEW_PERM)
        pending = revision.review_state == Revision.State.PENDING
        form = ReviewForm(request.POST or None)
        if request.method == "POST":
            if not can_review:
                raise PermissionDenied(gettext("Only publishers can approve or reject a revision."))
            if form.is_valid():
                approve = form.cleaned_data["action"] == "approve"
                service = revisions.approve_revision if approve else revisions.reject_revision
                try:
                    service(revision=revision, user=request.user, reason=form.cleaned_data["reason"])
                except (PermissionDenied, ValidationError) as exc:
                    form.add_error(None, error_text(exc))
                else:
                    done = (gettext("Approved and applied revision #%(id)s (%(name)s).") if approve
                            else gettext("Rejected revision #%(id)s (%(name)s)."))
                    self.message_user(request, done % {"id": revision.pk, "name": revision.subject_name},
                                      messages.SUCCESS)
                    return HttpResponseRedirect(queue_url())
        subject = revisions.subject_of(revision)
        # Evidence is edited on its status update's page (no pre-filled form there: the revision shows its values).
        edited = subject.status_update if isinstance(subject, Evidence) else subject
        subject_admin = self.admin_site._registry.get(type(edited)) if edited is not None else None
        edit_url = None
        if subject_admin is not None and subject_admin.has_change_permission(request, edited):
            info = (edited._meta.app_label, edited._meta.model_name)
            edit_url = reverse("admin:{}_{}_change".format(*info), args=[edited.pk])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Revision #%(id)s: %(subject)s “%(name)s”") % {
                "id": revision.pk, "subject": revision.get_subject_type_display().lower(),
                "name": revision.subject_name or revision.subject_id},
            "revision": revision,
            "subject": subject,
            "rows": diff_rows(revision, subject),
            "form": form,
            "can_review": can_review and pending,
            "edit_url": edit_url,
            "prefill_url": f"{edit_url}?{urlencode({PREFILL_PARAM: revision.pk})}" if edit_url and edited is subject
            else None,
            "queue_url": queue_url(),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/commitments/revision/review.html", context)
