"""The staff admin. Editors write commitments, draft updates and evidence; Publishers publish.

Every publish, withdrawal and state change goes through ``services``, each with a public reason
the admin asks for (an intermediate page for the bulk actions, a field beside “Save and publish”);
the admin only collects input and reports the outcome.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .admin_actions import error_text, with_public_reason
from .admin_forms import StatusUpdateAdminForm, VersionedAdminForm
from .models import Actor, Commitment, Country, Evidence, Source, StatusUpdate, Theme
from .status import STALE_AFTER_TEXT

# --- taxonomies -------------------------------------------------------------------------


class TaxonomyAdmin(SimpleHistoryAdmin):
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
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ["title", "kind", "issuer", "date"]
    list_filter = ["kind"]
    search_fields = ["title", "issuer", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "date"


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
        if obj.is_withdrawn:
            return f"Withdrawn {obj.withdrawn_at:%d %b %Y}: {obj.withdraw_reason}"
        return f"Published {obj.published_at:%d %b %Y}" if obj.is_published else "Draft"


class CommitmentEvidenceInline(admin.StackedInline):
    """Evidence on file for the commitment that no status update uses yet: material to judge."""

    model = Evidence
    fk_name = "commitment"
    extra = 0
    fields = ["title", "publisher", "date", "url", "document", "indicates", "description", "quote", "note"]
    verbose_name = "evidence not yet used in an assessment"
    verbose_name_plural = "Evidence not yet used in an assessment"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status_update__isnull=True)


@admin.register(Commitment)
class CommitmentAdmin(SimpleHistoryAdmin):
    form = VersionedAdminForm
    list_display = ["title", "state", "status_label", "due_date", "overdue", "date_made", "source"]
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
    readonly_fields = ["state", "current_status", "current_status_date", "created_at", "updated_at"]
    inlines = [StatusUpdateInline, CommitmentEvidenceInline]
    actions = ["publish_commitments", "archive_commitments"]
    change_form_template = "admin/commitments/commitment/change_form.html"
    view_on_site = False  # the template links to the public page only once it is published
    fieldsets = [
        (None, {"fields": ["title", "slug", "state", ("current_status", "current_status_date"), "seen_version"]}),
        ("What was promised", {"fields": ["quote", "quote_context", "statement_type", "scope_note"]}),
        ("Where it was said", {"fields": ["source", "attributed_to", "location", ("date_made", "date_note")]}),
        ("When it is due", {"fields": [("due_date", "due_text")]}),
        ("Who and where", {"fields": ["actors", "actors_basis", "actors_note", "countries", "other_countries",
                                      "countries_note", "themes", "related"]}),
        ("Research", {"fields": ["research_note", ("created_at", "updated_at")]}),
    ]

    @admin.display(description="Status", ordering="current_status")
    def status_label(self, obj) -> str:
        return obj.get_current_status_display()

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

    def _set_state(self, request, queryset, state: str, *, action: str, title: str, verb: str, explanation: str):
        def call(commitment, reason):
            services.set_commitment_state(commitment=commitment, state=state, user=request.user, reason=reason)

        return with_public_reason(self, request, queryset, call, action=action, title=title, verb=verb,
                                  noun="commitment", button=title, explanation=explanation)

    @admin.action(description="Publish selected commitments", permissions=["publish"])
    def publish_commitments(self, request, queryset):
        return self._set_state(
            request, queryset, Commitment.State.PUBLISHED, action="publish_commitments", title="Publish commitments",
            verb="Published", explanation="They become public. The reason is shown in each one’s change history "
            "(“published”, or “restored” for an archived one).",
        )

    @admin.action(description="Archive selected commitments (withdraw from public view)", permissions=["publish"])
    def archive_commitments(self, request, queryset):
        return self._set_state(
            request, queryset, Commitment.State.ARCHIVED, action="archive_commitments", title="Archive commitments",
            verb="Archived", explanation="They leave every list, count and report from now on; each one’s address "
            "then says it was archived, with this reason, and shows what it said when archived.",
        )

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
        return [("1", "Published"), ("w", "Withdrawn"), ("0", "Draft")]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.published()
        if self.value() == "w":
            return queryset.withdrawn()
        if self.value() == "0":
            return queryset.drafts()
        return queryset


class UpdateEvidenceInline(admin.StackedInline):
    model = Evidence
    fk_name = "status_update"
    extra = 1
    fields = ["stance", "title", "publisher", "date", "url", "document", "indicates", "description", "quote", "note"]
    verbose_name = "evidence"
    verbose_name_plural = "Evidence (at least one item is needed to publish)"

    def _locked(self, obj) -> bool:
        return obj is not None and obj.was_published

    def has_add_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)


@admin.register(StatusUpdate)
class StatusUpdateAdmin(SimpleHistoryAdmin):
    form = StatusUpdateAdminForm
    list_display = ["__str__", "commitment", "status", "as_of", "confidence", "published", "published_at"]
    list_filter = [PublishedFilter, "status", "confidence"]
    search_fields = ["summary", "commitment__title", "commitment__slug"]
    list_select_related = ["commitment"]
    autocomplete_fields = ["commitment"]
    date_hierarchy = "as_of"
    inlines = [UpdateEvidenceInline]
    actions = ["publish_updates", "withdraw_updates"]
    change_form_template = "admin/commitments/statusupdate/change_form.html"
    fields = ["commitment", "status", "as_of", "confidence", "summary", "publish_reason", "publication", "seen_version"]

    @admin.display(description="Published", boolean=True)
    def published(self, obj) -> bool:
        return obj.is_published

    @admin.display(description="Publication")
    def publication(self, obj) -> str:
        if obj is None or not obj.was_published:
            return "Draft: not visible to the public until a publisher publishes it."
        by = f" by {obj.published_by}" if obj.published_by else ""
        said = f"Published {timezone.localtime(obj.published_at):%d %b %Y %H:%M}{by}."
        if obj.is_withdrawn:
            by = f" by {obj.withdrawn_by}" if obj.withdrawn_by else ""
            said += (f" Withdrawn {timezone.localtime(obj.withdrawn_at):%d %b %Y %H:%M}{by}: {obj.withdraw_reason} "
                     "(still listed on the public page as withdrawn; counts for no status).")
        return said

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # The public reason is required when this publisher saves and publishes (a fresh class per request).
        form.publishing = "_publish" in request.POST and self.has_publish_permission(request)
        return form

    def get_readonly_fields(self, request, obj=None):
        # Published (and withdrawn) updates are part of the record: supersede them with a newer update instead.
        if obj is not None and obj.was_published:
            return [f for f in self.fields if f != "seen_version"]
        return ["publication"]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.was_published:
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

    def _publish_from_form(self, request, obj) -> None:
        try:
            services.publish_status_update(update=obj, user=request.user, reason=obj.publish_reason)
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
        context["can_publish"] = self.has_publish_permission(request) and not (obj and obj.was_published)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _bulk(self, request, queryset, service, **labels):
        return with_public_reason(
            self,
            request,
            queryset.select_related("commitment"),
            lambda update, reason: service(update=update, user=request.user, reason=reason),
            noun="status update",
            name=lambda update: f"{update.commitment}: {update}",
            **labels,
        )

    @admin.action(description="Publish selected status updates", permissions=["publish"])
    def publish_updates(self, request, queryset):
        return self._bulk(
            request, queryset, services.publish_status_update, action="publish_updates",
            title="Publish status updates", button="Publish status updates", verb="Published",
            explanation="Each becomes public and counts for its commitment's status. The reason is shown with "
            "each update and in the change history; to give each update its own reason, publish it from its page.",
        )

    @admin.action(description="Withdraw selected status updates (stay listed as withdrawn)", permissions=["publish"])
    def withdraw_updates(self, request, queryset):
        return self._bulk(
            request, queryset, services.withdraw_status_update, action="withdraw_updates",
            title="Withdraw status updates", button="Withdraw status updates", verb="Withdrew",
            explanation="Each stays on its commitment's page and in the feed as “Withdrawn on <date>: <reason>”, "
            "and counts for no status from now on. A withdrawal cannot be undone: publish a new update instead.",
        )

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm(services.PUBLISH_UPDATE_PERM)
