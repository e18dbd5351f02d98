"""The staff admin. Editors write commitments, draft updates and evidence; Publishers publish.

Every publish, withdrawal and state change goes through ``services``, each with a public reason
the admin asks for (an intermediate page for the bulk actions, a field beside “Save and publish”);
the admin only collects input and reports the outcome.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import CharField, Count, Q, Value
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import dates, revisions, selectors, services, update_translations
from . import status as status_rules
from .admin_actions import error_text, with_public_reason
from .admin_forms import ShownOnlyForm, StatusUpdateAdminForm, VersionedAdminForm
from .admin_review import ReviewedChangesMixin, queue_url, revision_url
from .admin_translations import NeedsTranslationFilter, SideBySideTranslations, columns
from .models import Actor, Commitment, Country, Evidence, Revision, Source, StatusUpdate, Theme
from .status import Status, stale_after_text
from .taxonomy import Entry


class PrecisionFields:
    """Admin mixin: a ``<date>_precision`` field left out of a form (an older form, a script) means a day."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name.endswith("_precision"):
            field.required, field.empty_value = False, dates.Precision.DAY
        return field

# --- taxonomies -------------------------------------------------------------------------


class TaxonomyAdmin(ReviewedChangesMixin, SideBySideTranslations, SimpleHistoryAdmin):
    list_display = ["name", "slug", "commitment_count"]
    list_filter = [NeedsTranslationFilter]
    search_fields = ["name", "slug"]
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_commitments=Count("commitments"))

    @admin.display(description=_("Commitments"), ordering="_commitments")
    def commitment_count(self, obj) -> int:
        return obj._commitments


admin.site.register(Theme, TaxonomyAdmin)
admin.site.register(Actor, TaxonomyAdmin)


@admin.register(Country)
class CountryAdmin(TaxonomyAdmin):
    prepopulated_fields = {}


@admin.register(Source)
class SourceAdmin(ReviewedChangesMixin, SideBySideTranslations, PrecisionFields, SimpleHistoryAdmin):
    list_display = ["title", "kind", "issuer", "dated"]
    list_filter = ["kind", NeedsTranslationFilter]
    search_fields = ["title", "issuer", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "date"

    @admin.display(description=_("Date"), ordering="date")
    def dated(self, obj) -> str:
        return dates.render(obj.date, obj.date_precision)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # An undated commitment taken from this source is known to exist from the source's date.
        services.refresh_known_since(source=obj)


# --- commitments ------------------------------------------------------------------------


# A list filter's title (message context "admin list filter title") is a heading of its own: "By <title>" in
# English, the title alone in Django's Russian (so a noun in the nominative there).


class OverdueFilter(admin.SimpleListFilter):
    title = pgettext_lazy("admin list filter title", "overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("1", _("Overdue")), ("0", _("Not overdue"))]

    def queryset(self, request, queryset):
        overdue = Q(pk__in=Commitment.objects.overdue().values("pk"))
        if self.value() == "1":
            return queryset.filter(overdue)
        if self.value() == "0":
            return queryset.exclude(overdue)
        return queryset


class StaleFilter(admin.SimpleListFilter):
    title = format_lazy(pgettext_lazy("admin list filter title", "stale (no update for {})"), stale_after_text)
    parameter_name = "stale"

    def lookups(self, request, model_admin):
        return [("1", _("Stale"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.stale()
        return queryset


class CountryFilter(admin.SimpleListFilter):
    """One country: the commitments filed under it, each annotated (``CommitmentQuerySet.at``) with its status
    in that country, which the status column then shows and ``StatusInCountryFilter`` filters by."""

    title = pgettext_lazy("admin list filter title", "country")
    parameter_name = "country"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in Country.objects.order_by("name").values_list("pk", "name")]

    def queryset(self, request, queryset):
        country = chosen_country(request)
        if country is None:
            return queryset
        return queryset.filter(countries=country.pk).at(country=country.pk).annotate(
            status_country=Value(country.name, output_field=CharField()))


class StatusInCountryFilter(admin.SimpleListFilter):
    """The status *in the chosen country* (``country_status``: a regional commitment's overall status, a
    per-country one's own country status, else "Not yet assessed"); offered once a country is chosen."""

    title = pgettext_lazy("admin list filter title", "status in the chosen country")
    parameter_name = "status_in_country"

    def lookups(self, request, model_admin):
        return Status.choices if chosen_country(request) is not None else []

    def queryset(self, request, queryset):
        country = chosen_country(request)
        if country is None or self.value() not in Status.values:
            return queryset
        if "eff_status" not in queryset.query.annotations:  # ``CountryFilter`` comes first, but be sure
            queryset = queryset.at(country=country.pk)
        return queryset.filter(eff_status=self.value())


def chosen_country(request) -> Country | None:
    """The country ``CountryFilter`` chose (``?country=<id>``), once per request; None for none or a bad id."""
    if not hasattr(request, "_chosen_country"):
        raw = request.GET.get(CountryFilter.parameter_name, "")
        valid = raw.isascii() and raw.isdigit() and len(raw) < 10
        request._chosen_country = Country.objects.filter(pk=int(raw)).first() if valid else None
    return request._chosen_country


class StatusUpdateInline(admin.TabularInline):
    """The commitment's updates, read-only here: each is edited on its own page with its evidence."""

    model = StatusUpdate
    form = ShownOnlyForm
    fields = ["status", "country", "as_of", "confidence", "publication", "summary", *columns("summary")]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("Status updates (open one to edit its evidence, or use “Add a status update” above)")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Publication"))
    def publication(self, obj) -> str:
        if obj.is_withdrawn:
            return gettext("Withdrawn %(date)s: %(reason)s") % {
                "date": dates.render(timezone.localtime(obj.withdrawn_at).date()), "reason": obj.withdraw_reason}
        if obj.is_published:
            return gettext("Published %(date)s") % {"date": dates.render(timezone.localtime(obj.published_at).date())}
        return gettext("Draft")


class CommitmentEvidenceInline(SideBySideTranslations, PrecisionFields, admin.StackedInline):
    """Evidence on file for the commitment that no status update uses yet: material to judge."""

    model = Evidence
    fk_name = "commitment"
    extra = 0
    fields = ["title", "publisher", ("date", "date_precision"), "url", "document", "indicates", "description", "quote",
              "note"]
    verbose_name = _("evidence not yet used in an assessment")
    verbose_name_plural = _("Evidence not yet used in an assessment")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status_update__isnull=True)


@admin.register(Commitment)
class CommitmentAdmin(ReviewedChangesMixin, SideBySideTranslations, PrecisionFields, SimpleHistoryAdmin):
    form = VersionedAdminForm
    list_display = ["title", "state", "status_label", "due", "overdue", "made", "source"]
    list_filter = [
        "state",
        "current_status",
        OverdueFilter,
        StaleFilter,
        "statement_type",
        "themes",
        CountryFilter,
        StatusInCountryFilter,
        "actors",
        "source",
        NeedsTranslationFilter,
    ]
    search_fields = ["title", "quote", "slug"]
    list_select_related = ["source"]
    date_hierarchy = "date_made"
    autocomplete_fields = ["source", "attributed_to", "actors", "countries", "themes", "related"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["state", "current_status", "current_status_date", "known_since", "created_at", "updated_at"]
    inlines = [StatusUpdateInline, CommitmentEvidenceInline]
    actions = ["publish_commitments", "archive_commitments"]
    change_form_template = "admin/commitments/commitment/change_form.html"
    view_on_site = False  # the template links to the public page only once it is published
    fieldsets = [
        (None, {"fields": ["title", "slug", "state", ("current_status", "current_status_date"), "seen_version"]}),
        (_("What was promised"), {"fields": ["quote", "quote_context", "statement_type", "scope_note"]}),
        (_("Where it was said"), {"fields": ["source", "attributed_to", "location",
                                          ("date_made", "date_made_precision"), "date_note", "known_since"]}),
        (_("When it is due"), {
            "fields": [("due_date", "due_precision"), "due_text", ("expected_end", "expected_end_precision"),
                       "expected_end_note"],
            "description": _("A due date only where the source states one, with the source's own words for it "
            "(due text). An inferred end, such as the end of the programme the commitment belongs to, goes in "
            "“expected end”: it is shown to readers as inferred and never makes the commitment overdue."),
        }),
        (_("Who and where"), {"fields": ["actors", "actors_basis", "actors_note", "countries", "other_countries",
                                      "countries_note", "assessment_scope", "themes", "related"]}),
        (_("Research"), {"fields": ["research_note", ("created_at", "updated_at")]}),
    ]

    @admin.display(description=_("Status"), ordering="current_status")
    def status_label(self, obj) -> str:
        """The overall status; with a country chosen (``CountryFilter``), the status in that country."""
        if not hasattr(obj, "status_country"):
            return obj.get_current_status_display()
        if obj.assessment_scope == Commitment.Scope.REGIONAL:
            return gettext("%(status)s (regional)") % {"status": Status(obj.eff_status).label}
        return gettext("%(status)s (in %(country)s)") % {"status": Status(obj.eff_status).label,
                                                          "country": obj.status_country}

    @admin.display(description=_("Due date"), ordering="due_date")
    def due(self, obj) -> str:
        return dates.render(obj.due_date, obj.due_precision)

    @admin.display(description=_("Date made"), ordering="date_made")
    def made(self, obj) -> str:
        return dates.render(obj.date_made, obj.date_made_precision)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # After the evidence inline is saved too: the date made, else the source's date, else the first evidence.
        services.refresh_known_since(commitment=form.instance)

    @admin.display(description=_("Overdue"), boolean=True)
    def overdue(self, obj) -> bool:
        return obj.is_overdue

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            messages.error(
                request,
                gettext("A commitment with published status updates cannot be deleted: it is part of the public "
                        "record. Archive it instead (action “Archive selected commitments”)."),
            )
        return deleted, model_count, perms_needed, protected

    def _set_state(self, request, queryset, state: str, *, action: str, title: str, done, explanation: str):
        def call(commitment, reason):
            services.set_commitment_state(commitment=commitment, state=state, user=request.user, reason=reason)

        return with_public_reason(self, request, queryset, call, action=action, title=title, done=done,
                                  button=title, explanation=explanation)

    @admin.action(description=_("Publish selected commitments"), permissions=["publish"])
    def publish_commitments(self, request, queryset):
        return self._set_state(
            request, queryset, Commitment.State.PUBLISHED, action="publish_commitments",
            title=gettext("Publish commitments"),
            done=lambda n: ngettext("Published %(count)d commitment.", "Published %(count)d commitments.", n),
            explanation=gettext("They become public. The reason is shown in each one’s change history "
                                "(“published”, or “restored” for an archived one)."),
        )

    @admin.action(description=_("Archive selected commitments (withdraw from public view)"), permissions=["publish"])
    def archive_commitments(self, request, queryset):
        return self._set_state(
            request, queryset, Commitment.State.ARCHIVED, action="archive_commitments",
            title=gettext("Archive commitments"),
            done=lambda n: ngettext("Archived %(count)d commitment.", "Archived %(count)d commitments.", n),
            explanation=gettext("They leave every list, count and report from now on; each one’s address "
                                "then says it was archived, with this reason, and shows what it said when archived."),
        )

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm(services.PUBLISH_COMMITMENT_PERM)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["add_update_url"] = f"{reverse('admin:commitments_statusupdate_add')}?commitment={obj.pk}"
            context.update(self._country_table(obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _country_table(self, obj) -> dict:
        """The stored commitment's status in each of its countries (``selectors.country_table``), each row with
        its update's admin page and, for a per-country commitment, the add form for a new update there
        with the commitment and the country already chosen."""
        stored = Commitment._base_manager.get(pk=obj.pk)  # not the form's unsaved values
        per_country = stored.assessment_scope == Commitment.Scope.PER_COUNTRY
        countries = [Entry(*values) for values in stored.countries.order_by("name").values_list("pk", "slug", "name")]
        add = reverse("admin:commitments_statusupdate_add")
        rows = [{
            "row": row,
            "update_url": reverse("admin:commitments_statusupdate_change", args=[row.update_id])
            if row.update_id else None,
            "add_url": f"{add}?{urlencode({'commitment': stored.pk, 'country': row.country.id})}"
            if per_country else None,
        } for row in selectors.country_table(commitment=stored, countries=countries)]
        return {"country_rows": rows, "per_country": per_country}


# --- status updates ---------------------------------------------------------------------


class PublishedFilter(admin.SimpleListFilter):
    title = pgettext_lazy("admin list filter title", "publication")
    parameter_name = "published"

    def lookups(self, request, model_admin):
        return [("1", _("Published")), ("w", _("Withdrawn")), ("0", _("Draft"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.published()
        if self.value() == "w":
            return queryset.withdrawn()
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
            raise ValidationError([
                gettext("Not published, and not saved yet: the evidence does not support this status."), *problems])


class UpdateEvidenceInline(SideBySideTranslations, PrecisionFields, admin.StackedInline):
    model = Evidence
    fk_name = "status_update"
    formset = EvidenceFormSet
    extra = 1
    fields = ["stance", "title", "publisher", ("date", "date_precision"), "url", "document", "indicates",
              "description", columns("translation_source"), "quote", "note"]
    verbose_name = _("evidence")
    verbose_name_plural = _("Evidence (at least one item is needed to publish, of the kind its status needs)")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.publishing = "_publish" in request.POST and request.user.has_perm(services.PUBLISH_UPDATE_PERM)
        return formset

    def _locked(self, obj) -> bool:
        return obj is not None and obj.was_published

    def has_add_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        # A published update's evidence stays as published, but for its translations, which
        # ``StatusUpdateAdmin.save_formset`` proposes for review.
        if not self._locked(obj):
            return super().get_readonly_fields(request, obj)
        return _all_but(self.get_fieldsets(request, obj), update_translations.LIMITED[Evidence])

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)


PROPOSED_SEVERAL = _("Saved as {count} revisions pending a publisher's review ({links}); the public still sees "
                     "the published version.")


def _all_but(fieldsets, kept) -> list[str]:
    """The fields named in ``fieldsets`` besides those in ``kept``."""
    return [name for _, options in fieldsets for item in options["fields"]
            for name in (item if isinstance(item, list | tuple) else (item,)) if name not in kept]


@admin.register(StatusUpdate)
class StatusUpdateAdmin(ReviewedChangesMixin, SideBySideTranslations, PrecisionFields, SimpleHistoryAdmin):
    """Drafts are written here and published; a published update is read-only but for its translations
    and its evidence's, whose changes become revisions for review (``ReviewedChangesMixin``)."""

    form = StatusUpdateAdminForm
    list_display = ["__str__", "commitment", "country", "status", "as_of_shown", "confidence", "published",
                    "published_at"]
    list_filter = [PublishedFilter, "status", "confidence", "country", NeedsTranslationFilter]
    search_fields = ["summary", "commitment__title", "commitment__slug"]
    list_select_related = ["commitment", "country"]
    autocomplete_fields = ["commitment"]
    date_hierarchy = "as_of"
    inlines = [UpdateEvidenceInline]
    actions = ["publish_updates", "withdraw_updates"]
    change_form_template = "admin/commitments/statusupdate/change_form.html"
    fields = ["commitment", "country", "status", ("as_of", "as_of_precision"), "confidence",
              ("summary", *columns("summary")), columns("translation_source"), "publish_reason", "publication",
              "seen_version"]

    @admin.display(description=_("Published"), boolean=True)
    def published(self, obj) -> bool:
        return obj.is_published

    @admin.display(description=_("As of"), ordering="as_of")
    def as_of_shown(self, obj) -> str:
        return dates.render(obj.as_of, obj.as_of_precision)

    @admin.display(description=_("Publication"))
    def publication(self, obj) -> str:
        if obj is None or not obj.was_published:
            return gettext("Draft: not visible to the public until a publisher publishes it.")
        when = _moment(obj.published_at)
        said = (gettext("Published %(when)s by %(user)s.") % {"when": when, "user": obj.published_by}
                if obj.published_by else gettext("Published %(when)s.") % {"when": when})
        if obj.is_withdrawn:
            values = {"when": _moment(obj.withdrawn_at), "user": obj.withdrawn_by, "reason": obj.withdraw_reason}
            said += " " + (gettext("Withdrawn %(when)s by %(user)s: %(reason)s (still listed on the public page as "
                                   "withdrawn; counts for no status).") if obj.withdrawn_by else
                           gettext("Withdrawn %(when)s: %(reason)s (still listed on the public page as withdrawn; "
                                   "counts for no status).")) % values
        return said

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # The public reason is required when this publisher saves and publishes (a fresh class per request).
        form.publishing = "_publish" in request.POST and self.has_publish_permission(request)
        if "country" in form.base_fields:
            form.base_fields["country"].queryset = self._country_choices(request, obj)
        return form

    @staticmethod
    def _country_choices(request, obj):
        """The countries a country update may be about: its commitment's own (the model's ``clean`` refuses any
        other), so the select does not offer every country on record; all of them until a commitment is known.
        A submitted form is judged against every country, so a wrong one gets the model's message, which says
        why, not "Select a valid choice"."""
        countries = Country.objects.order_by("name")
        if request.method != "GET":
            return countries
        commitment_id = obj.commitment_id if obj is not None else request.GET.get("commitment")
        if commitment_id and str(commitment_id).isdigit():
            return countries.filter(commitments=int(commitment_id))
        return countries

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "status":
            field.help_text = evidence_rules_help()
        return field

    def get_readonly_fields(self, request, obj=None):
        # Published (and withdrawn) updates are part of the record: supersede them with a newer update instead.
        # Their translations may still be added or corrected, through review.
        if obj is not None and obj.was_published:
            return _all_but([(None, {"fields": self.fields})],
                            {"seen_version", *update_translations.LIMITED[StatusUpdate]})
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
        if self._diversion(request) is not None:
            # A published update: its evidence's changed translations become revisions, like its own.
            request._evidence_revisions = [
                revisions.propose_revision(instance=item.instance, data=item.cleaned_data, user=request.user)
                for item in formset.forms
                if item.instance.pk and item.has_changed()
                and revisions.proposed_changes(instance=item.instance, data=item.cleaned_data)
            ]
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []  # none saved
            return
        # Evidence entered on an update belongs to that update's commitment.
        for evidence_form in formset.forms:
            evidence_form.instance.commitment_id = form.instance.commitment_id
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if self._diversion(request) is None:
            services.refresh_known_since(commitment=form.instance.commitment)  # its first evidence may have changed

    def _publish_from_form(self, request, obj) -> None:
        try:
            services.publish_status_update(update=obj, user=request.user, reason=obj.publish_reason)
        except (PermissionDenied, ValidationError) as exc:
            self.message_user(request, gettext("Saved as a draft, but not published: %(error)s")
                              % {"error": error_text(exc)}, messages.ERROR)
        else:
            said = (gettext("Published “%(update)s” in %(country)s for “%(commitment)s”.") if obj.country_id
                    else gettext("Published “%(update)s” for “%(commitment)s”."))
            values = {"update": obj, "country": obj.country, "commitment": obj.commitment}
            self.message_user(request, said % values, messages.SUCCESS)

    def response_add(self, request, obj, post_url_continue=None):
        if "_publish" in request.POST:
            self._publish_from_form(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        outcome = self._diversion(request)
        if outcome is not None:
            return self._response_proposed(request, obj, outcome)
        if "_publish" in request.POST:
            self._publish_from_form(request, obj)
        return super().response_change(request, obj)

    def _response_proposed(self, request, obj, outcome):
        """After saving a published update: the revisions proposed for it and its evidence, if any."""
        proposed = [outcome] if isinstance(outcome, Revision) else []
        proposed += getattr(request, "_evidence_revisions", [])
        if len(proposed) == 1:
            request._revision_outcome = proposed[0]  # the mixin's answer: its message and the revision's page
        if len(proposed) <= 1:
            return super().response_change(request, obj)
        links = format_html_join(", ", '<a href="{}">#{}</a>', ((revision_url(r), r.pk) for r in proposed))
        self.message_user(request, format_html(PROPOSED_SEVERAL, count=len(proposed), links=links), messages.SUCCESS)
        return HttpResponseRedirect(queue_url())

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_publish"] = self.has_publish_permission(request) and not (obj and obj.was_published)
        if obj is not None and change and obj.was_published:
            for revision in revisions.pending_evidence_of(obj).select_related("created_by"):
                self.message_user(request, format_html(
                    "A translation of its evidence is waiting for a publisher's review: "
                    '<a href="{}">revision #{}</a> by {}.',
                    revision_url(revision), revision.pk, revision.created_by or "someone"), messages.WARNING)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _bulk(self, request, queryset, service, **labels):
        return with_public_reason(
            self,
            request,
            queryset.select_related("commitment"),
            lambda update, reason: service(update=update, user=request.user, reason=reason),
            name=lambda update: f"{update.commitment}: {update}",
            **labels,
        )

    @admin.action(description=_("Publish selected status updates"), permissions=["publish"])
    def publish_updates(self, request, queryset):
        return self._bulk(
            request, queryset, services.publish_status_update, action="publish_updates",
            title=gettext("Publish status updates"), button=gettext("Publish status updates"),
            done=lambda n: ngettext("Published %(count)d status update.", "Published %(count)d status updates.", n),
            explanation=gettext("Each becomes public and counts for its commitment's status. The reason is shown "
                                "with each update and in the change history; to give each update its own reason, "
                                "publish it from its page."),
        )

    @admin.action(description=_("Withdraw selected status updates (stay listed as withdrawn)"),
                  permissions=["publish"])
    def withdraw_updates(self, request, queryset):
        return self._bulk(
            request, queryset, services.withdraw_status_update, action="withdraw_updates",
            title=gettext("Withdraw status updates"), button=gettext("Withdraw status updates"),
            done=lambda n: ngettext("Withdrew %(count)d status update.", "Withdrew %(count)d status updates.", n),
            explanation=gettext("Each stays on its commitment's page and in the feed as “Withdrawn on <date>: "
                                "<reason>”, and counts for no status from now on. A withdrawal cannot be undone: "
                                "publish a new update instead."),
        )

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm(services.PUBLISH_UPDATE_PERM)


def evidence_rules_help() -> str:
    """The status field's help: the scale's evidence rules, one line per status (``status.EVIDENCE_RULES``)."""
    rules = format_html_join(
        "", "<li><strong>{}</strong>: {}</li>", ((r.label, r.statement) for r in status_rules.evidence_rules())
    )
    return format_html(
        "{}<ul class=\"evidence-rules\">{}</ul>{}",
        gettext("Rate outcomes, not intentions: an announcement is not delivery. To publish, the evidence below must "
                "show what the status claims (its “indicates”):"),
        rules, gettext(status_rules.EVIDENCE_DATE_RULE),
    )


def _moment(when) -> str:
    """A time as staff read it in the admin, in the site's zone: "2 December 2026 14:05"."""
    local = timezone.localtime(when)
    return f"{dates.render(local.date())} {local:%H:%M}"
