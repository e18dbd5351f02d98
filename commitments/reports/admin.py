"""Admin for progress reports: create a draft for a period, preview it, publish it (publishers only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .. import services
from ..admin_actions import run_service_action
from ..admin_translations import SideBySideTranslations, columns
from ..models import ProgressReport
from .periods import check_complete, parse_period, period_from_dates


class ProgressReportForm(forms.ModelForm):
    period = forms.CharField(
        label=_("Period"),
        required=False,
        max_length=20,
        help_text=_("A quarter (2026-Q3), half-year (2026-H2) or year (2026). Or leave empty and give start and end."),
    )

    class Meta:
        model = ProgressReport
        fields = ["period", "start", "end", "supersedes", "introduction"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("start", "end"):
            if name in self.fields:
                self.fields[name].required = False
        if "supersedes" in self.fields:
            self.fields["supersedes"].queryset = ProgressReport.objects.published()

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:  # editing a draft: only the introduction changes
            return cleaned
        text, start, end = cleaned.get("period"), cleaned.get("start"), cleaned.get("end")
        try:
            if text:
                if start or end:
                    raise ValidationError(gettext("Give a period or start and end dates, not both."))
                period = parse_period(text)
            elif start and end:
                period = period_from_dates(start, end)
            else:
                raise ValidationError(gettext("Give a period such as 2026-Q3, or both a start and an end date."))
            check_complete(period, today=timezone.localdate())
        except ValidationError as exc:
            self.add_error("period", exc)
            return cleaned
        published = ProgressReport.objects.published().filter(
            start=period.start, end=period.end, superseded_by__isnull=True
        ).first()
        supersedes = cleaned.get("supersedes")
        if published and supersedes is None:
            self.add_error(
                "supersedes",
                gettext("“%(report)s” is already published for this period: to correct it, choose it here; the new "
                        "report will say that it supersedes it.") % {"report": published},
            )
        cleaned["_period"] = period
        cleaned["start"], cleaned["end"] = period.start, period.end
        return cleaned


@admin.register(ProgressReport)
class ProgressReportAdmin(SideBySideTranslations, SimpleHistoryAdmin):
    form = ProgressReportForm
    list_display = ["title", "period_label", "start", "end", "state", "published_at", "links"]
    list_filter = ["state"]
    search_fields = ["title", "slug", "period_label"]
    actions = ["publish_reports", "refresh_figures"]
    readonly_fields = ["title", *columns("title"), "slug", "period_label", "state", "published_at", "published_by",
                       "links"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*ProgressReport.PDF_FIELDS)  # the stored PDFs: read to serve them

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["period", "start", "end", "supersedes", "introduction"]
        return [
            "title",
            *columns("title"),  # made with the title (``services.prepare_report``): shown, not typed
            "slug",
            "period_label",
            "start",
            "end",
            "state",
            "published_at",
            "published_by",
            "supersedes",
            "introduction",
            *columns("introduction"),
            "links",
        ]

    def get_fieldsets(self, request, obj=None):
        # Editing: each text beside its translations. Adding: the service takes the English introduction only.
        if obj is None:
            return super(SideBySideTranslations, self).get_fieldsets(request, obj)
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.is_published:  # frozen
            return self.get_fields(request, obj)
        return [*self.readonly_fields, "start", "end", "supersedes"]

    @admin.display(description=_("Read"))
    def links(self, obj) -> str:
        if obj is None or obj.pk is None:
            return ""
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">PDF</a> · <a href="{}">CSV</a>',
            obj.get_absolute_url(),
            gettext("Web page"),
            reverse("reports:pdf", args=[obj.slug]),
            reverse("reports:csv", args=[obj.slug]),
        )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        report, _ = services.prepare_report(
            period=form.cleaned_data["_period"],
            user=request.user,
            supersedes=form.cleaned_data.get("supersedes"),
            introduction=form.cleaned_data.get("introduction", ""),
        )
        # The admin goes on with ``obj`` (log entry, redirect): make it the report the service made.
        for field in report._meta.concrete_fields:
            setattr(obj, field.attname, getattr(report, field.attname))
        obj._state = report._state

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm(services.PUBLISH_REPORT_PERM)

    @admin.action(description=_("Publish selected reports (freezes their figures)"), permissions=["publish"])
    def publish_reports(self, request, queryset):
        def call(report):
            services.publish_report(report=report, user=request.user)

        run_service_action(self, request, queryset, call,
                           each=lambda report: gettext("Published “%(report)s”.") % {"report": report})

    @admin.action(description=_("Refresh the figures of selected draft reports"), permissions=["change"])
    def refresh_figures(self, request, queryset):
        def call(report):
            services.prepare_report(period=period_from_dates(report.start, report.end), user=request.user)

        run_service_action(self, request, queryset.drafts(), call,
                           each=lambda report: gettext("Refreshed “%(report)s”.") % {"report": report})
