"""The staff admin. Editors write commitments, draft updates and evidence; Publishers publish.

Every publish, unpublish and state change goes through ``services``; the admin only collects
input and reports the outcome.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from . import dates, services
from . import status as status_rules
from .admin_actions import error_text, run_service_action
from .admin_forms import VersionedAdminForm
from .admin_review import ReviewedChangesMixin
from .models import Actor, Commitment, Country, Evidence, Source, StatusUpdate, Theme
from .status import STALE_AFTER_TEXT


class PrecisionFields:
    """Admin mixin: a ``<date>_precision`` field left out of a form (an older form, a script) means a day."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name.endswith("_precision"):
            field.required, field.empty_value = False, dates.Precision.DAY
        return field

# --- taxonomies -------------------------------------------------------------------------


class TaxonomyAdmin(ReviewedChangesMixin, SimpleHistoryAdmin):
    list_display = ["name", "slug", "commitment_count"]
    search_fields = ["name", "slug"]
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_commitments=Count("commitments"))

    @admin.display(description="Commitments", ordering="_commitments")
    def commitment_count(self, obj) -> int:
        return obj._commitments


admin.site.register(Theme, TaxonomyAdmin)
admin.site.register(Actor, TaxonomyAdmin)


@admin.register(Country)
class CountryAdmin(TaxonomyAdmin):
    prepopulated_fields = {}


@admin.register(Source)
class SourceAdmin(ReviewedChangesMixin, PrecisionFields, SimpleHistoryAdmin):
    list_display = ["title", "kind", "issuer", "dated"]
    list_filter = ["kind"]
    search_fields = ["title", "issuer", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "date"

    @admin.display(description="Date", ordering="date")
    def dated(self, obj) -> str:
        return dates.render(obj.date, obj.date_precision)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # An undated commitment taken from this source is known to exist from the source's date.
        services.refresh_known_since(source=obj)


# --- commitments ------------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("1", "Overdue"), ("0", "Not overdue")]

    def queryset(self, request, queryset):
        overdue = Q(pk__in=Commitment.objects.overdue().values("pk"))
        if self.value() == "1":
            return queryset.filter(overdue)
        if self.value() == "0":
            return queryset.exclude(overdue)
        return queryset


class StaleFilter(admin.SimpleListFilter):
    title = f"stale (no update for {STALE_AFTER_TEXT})"
    parameter_name = "stale"

    def lookups(self, request, model_admin):
        return [("1", "Stale")]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.stale()
        return queryset


class StatusUpdateInline(admin.TabularInline):
    """The commitment's updates, read-only here: each is edited on its own page with its evidence."""

    model = StatusUpdate
    fields = ["status", "as_of", "confidence", "publication", "summary"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "Status updates (open one to edit its evidence, or use “Add a status update” above)"

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Publication")
    def publication(self, obj) -> str:
        return f"Published {obj.published_at:%d %b %Y}" if obj.is_published else "Draft"


class CommitmentEvidenceInline(PrecisionFields, admin.StackedInline):
    """Evidence on file for the commitment that no status update uses yet: material to judge."""

    model = Evidence
    fk_name = "commitment"
    extra = 0
    fields = ["title", "publisher", ("date", "date_precision"), "url", "document", "indicates", "description", "quote",
              "note"]
    verbose_name = "evidence not yet used in an assessment"
    verbose_name_plural = "Evidence not yet used in an assessment"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status_update__isnull=True)


@admin.register(Commitment)
class CommitmentAdmin(ReviewedChangesMixin, PrecisionFields, SimpleHistoryAdmin):
    form = VersionedAdminForm
    list_display = ["title", "state", "status_label", "due", "overdue", "made", "source"]
    list_filter = [
        "state",
        "current_status",
        OverdueFilter,
        StaleFilter,
        "statement_type",
        "themes",
        "countries",
        "actors",
        "source",
    ]
    search_fields = ["title", "quote", "slug"]
    list_select_related = ["source"]
    date_hierarchy = "date_made"
    autocomplete_fields = ["source", "attributed_to", "actors", "countries", "themes", "related"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["state", "current_status", "current_status_date", "known_since", "created_at", "updated_at"]
    inlines = [StatusUpdateInline, CommitmentEvidenceInline]
    actions = ["publish_commitments", "archive_commitments", "return_to_draft"]
    change_form_template = "admin/commitments/commitment/change_form.html"
    view_on_site = False  # the template links to the public page only once it is published
    fieldsets = [
        (None, {"fields": ["title", "slug", "state", ("current_status", "current_status_date"), "seen_version"]}),
        ("What was promised", {"fields": ["quote", "quote_context", "statement_type", "scope_note"]}),
        ("Where it was said", {"fields": ["source", "attributed_to", "location",
                                          ("date_made", "date_made_precision"), "date_note", "known_since"]}),
        ("When it is due", {
            "fields": [("due_date", "due_precision"), "due_text", ("expected_end", "expected_end_precision"),
                       "expected_end_note"],
            "description": "A due date only where the source states one, with the source's own words for it "
            "(due text). An inferred end, such as the end of the programme the commitment belongs to, goes in "
            "“expected end”: it is shown to readers as inferred and never makes the commitment overdue.",
        }),
        ("Who and where", {"fields": ["actors", "actors_basis", "actors_note", "countries", "other_countries",
                                      "countries_note", "themes", "related"]}),
        ("Research", {"fields": ["research_note", ("created_at", "updated_at")]}),
    ]

    @admin.display(description="Status", ordering="current_status")
    def status_label(self, obj) -> str:
        return obj.get_current_status_display()

    @admin.display(description="Due date", ordering="due_date")
    def due(self, obj) -> str:
        return dates.render(obj.due_date, obj.due_precision)

    @admin.display(description="Date made", ordering="date_made")
    def made(self, obj) -> str:
        return dates.render(obj.date_made, obj.date_made_precision)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # After the evidence inline is saved too: the date made, else the source's date, else the first evidence.
        services.refresh_known_since(commitment=form.instance)

    @admin.display(description="Overdue", boolean=True)
    def overdue(self, obj) -> bool:
        return obj.is_overdue

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            messages.error(
                request,
                "A commitment with published status updates cannot be deleted: it is part of the public "
                "record. Archive it instead (action “Archive selected commitments”).",
            )
        return deleted, model_count, perms_needed, protected

    def _set_state(self, request, queryset, state: str, verb: str) -> None:
        def call(commitment):
            services.set_commitment_state(commitment=commitment, state=state, user=request.user)

        run_service_action(self, request, queryset, call, verb=verb, noun="commitment")

    @admin.action(description="Publish selected commitments", permissions=["publish"])
    def publish_commitments(self, request, queryset):
        self._set_state(request, queryset, Commitment.State.PUBLISHED, "Published")

    @admin.action(description="Archive selected commitments (withdraw from public view)", permissions=["publish"])
    def archive_commitments(self, request, queryset):
        self._set_state(request, queryset, Commitment.State.ARCHIVED, "Archived")

    @admin.action(description="Return selected commitments to draft", permissions=["publish"])
    def return_to_draft(self, request, queryset):
        self._set_state(request, queryset, Commitment.State.DRAFT, "Returned to draft")

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm(services.PUBLISH_COMMITMENT_PERM)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["add_update_url"] = f"{reverse('admin:commitments_statusupdate_add')}?commitment={obj.pk}"
        return super().render_change_form(request, context, add, change, form_url, obj)


# --- status updates ---------------------------------------------------------------------


class PublishedFilter(admin.SimpleListFilter):
    title = "publication"
    parameter_name = "published"

    def lookups(self, request, model_admin):
        return [("1", "Published"), ("0", "Draft")]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.published()
        if self.value() == "0":
            return queryset.drafts()
        return queryset


class EvidenceFormSet(BaseInlineFormSet):
    """An update's evidence. On "Save and publish" by a publisher, checked against the status's evidence
    rule (``status.evidence_problems``) first, so a refusal is said here, beside the evidence, and nothing
    is saved until it is put right (what was typed stays in the form)."""

    publishing = False  # set per request by ``UpdateEvidenceInline.get_formset``

    def clean(self):
        super().clean()
        update = self.instance
        if not self.publishing or not update.status or not update.as_of or any(f.errors for f in self.forms):
            return
        items = [
            (f.cleaned_data.get("stance"), f.cleaned_data.get("indicates"), f.cleaned_data.get("date"),
             f.cleaned_data.get("date_precision") or dates.Precision.DAY)
            for f in self.forms
            if f.has_changed() or f.instance.pk
            if getattr(f, "cleaned_data", None) and not f.cleaned_data.get("DELETE")
        ]
        if not items:
            return  # the service says that an update needs evidence at all
        problems = status_rules.evidence_problems(
            status=update.status, as_of=update.as_of, items=items,
            as_of_precision=update.as_of_precision or dates.Precision.DAY,
        )
        if problems:
            raise ValidationError(["Not published, and not saved yet: the evidence does not support this status.",
                                   *problems])


class UpdateEvidenceInline(PrecisionFields, admin.StackedInline):
    model = Evidence
    fk_name = "status_update"
    formset = EvidenceFormSet
    extra = 1
    fields = ["stance", "title", "publisher", ("date", "date_precision"), "url", "document", "indicates",
              "description", "quote", "note"]
    verbose_name = "evidence"
    verbose_name_plural = "Evidence (at least one item is needed to publish, of the kind its status needs)"

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.publishing = "_publish" in request.POST and request.user.has_perm(services.PUBLISH_UPDATE_PERM)
        return formset

    def _locked(self, obj) -> bool:
        return obj is not None and obj.is_published

    def has_add_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)


@admin.register(StatusUpdate)
class StatusUpdateAdmin(PrecisionFields, SimpleHistoryAdmin):
    form = VersionedAdminForm
    list_display = ["__str__", "commitment", "status", "as_of_shown", "confidence", "published", "published_at"]
    list_filter = [PublishedFilter, "status", "confidence"]
    search_fields = ["summary", "commitment__title", "commitment__slug"]
    list_select_related = ["commitment"]
    autocomplete_fields = ["commitment"]
    date_hierarchy = "as_of"
    inlines = [UpdateEvidenceInline]
    actions = ["publish_updates", "unpublish_updates"]
    change_form_template = "admin/commitments/statusupdate/change_form.html"
    fields = ["commitment", "status", ("as_of", "as_of_precision"), "confidence", "summary", "publication",
              "seen_version"]

    @admin.display(description="Published", boolean=True)
    def published(self, obj) -> bool:
        return obj.is_published

    @admin.display(description="As of", ordering="as_of")
    def as_of_shown(self, obj) -> str:
        return dates.render(obj.as_of, obj.as_of_precision)

    @admin.display(description="Publication")
    def publication(self, obj) -> str:
        if obj is None or not obj.is_published:
            return "Draft: not visible to the public until a publisher publishes it."
        by = f" by {obj.published_by}" if obj.published_by else ""
        return f"Published {timezone.localtime(obj.published_at):%d %b %Y %H:%M}{by}."

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "status":
            field.help_text = evidence_rules_help()
        return field

    def get_readonly_fields(self, request, obj=None):
        # Published updates are part of the record: supersede them with a newer update instead.
        if obj is not None and obj.is_published:
            return [name for f in self.fields for name in (f if isinstance(f, tuple) else (f,))
                    if name != "seen_version"]
        return ["publication"]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("as_of", timezone.localdate())
        return initial

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        # Evidence entered on an update belongs to that update's commitment.
        for evidence_form in formset.forms:
            evidence_form.instance.commitment_id = form.instance.commitment_id
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.refresh_known_since(commitment=form.instance.commitment)  # its first evidence may have changed

    def _publish_from_form(self, request, obj) -> None:
        try:
            services.publish_status_update(update=obj, user=request.user)
        except (PermissionDenied, ValidationError) as exc:
            self.message_user(request, f"Saved as a draft, but not published: {error_text(exc)}", messages.ERROR)
        else:
            self.message_user(request, f"Published “{obj}” for “{obj.commitment}”.", messages.SUCCESS)

    def response_add(self, request, obj, post_url_continue=None):
        if "_publish" in request.POST:
            self._publish_from_form(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if "_publish" in request.POST:
            self._publish_from_form(request, obj)
        return super().response_change(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_publish"] = self.has_publish_permission(request) and not (obj and obj.is_published)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _bulk(self, request, queryset, service, verb: str) -> None:
        run_service_action(
            self,
            request,
            queryset.select_related("commitment"),
            lambda update: service(update=update, user=request.user),
            verb=verb,
            noun="status update",
            name=lambda update: f"{update.commitment}: {update}",
        )

    @admin.action(description="Publish selected status updates", permissions=["publish"])
    def publish_updates(self, request, queryset):
        self._bulk(request, queryset, services.publish_status_update, "Published")

    @admin.action(description="Unpublish selected status updates (back to draft)", permissions=["publish"])
    def unpublish_updates(self, request, queryset):
        self._bulk(request, queryset, services.unpublish_status_update, "Unpublished")

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm(services.PUBLISH_UPDATE_PERM)


def evidence_rules_help() -> str:
    """The status field's help: the scale's evidence rules, one line per status (``status.EVIDENCE_RULES``)."""
    rules = format_html_join(
        "", "<li><strong>{}</strong>: {}</li>", ((r.label, r.statement) for r in status_rules.evidence_rules())
    )
    return format_html(
        "Rate outcomes, not intentions: an announcement is not delivery. To publish, the evidence below must "
        "show what the status claims (its “indicates”):<ul class=\"evidence-rules\">{}</ul>{}",
        rules, status_rules.EVIDENCE_DATE_RULE,
    )
