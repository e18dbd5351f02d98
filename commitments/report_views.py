"""Progress report pages: published reports for everyone, drafts for staff who may view reports."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from . import report_render, soft_cache
from .models import ProgressReport

VIEW_PERM = "commitments.view_progressreport"


def _report_for(request, slug: str) -> ProgressReport:
    report = get_object_or_404(ProgressReport, slug=slug)
    if not report.is_published and not (request.user.is_staff and request.user.has_perm(VIEW_PERM)):
        raise Http404("No such report.")
    return report


def _file_name(report: ProgressReport) -> str:
    """The download's name; a report of demo data says so there too (the CSV has no room for a banner)."""
    demo = "demo-data-" if report.snapshot.get("synthetic") else ""
    return f"{demo}commitments-report-{report.slug}"


def report_list(request):
    reports = ProgressReport.objects.filter(state=ProgressReport.State.PUBLISHED).select_related("supersedes")
    return render(request, "reports/list.html", {"reports": reports})


def report_detail(request, slug: str):
    report = _report_for(request, slug)
    context = report_render.context_for(report)
    context["superseded_by"] = report.superseded_by.filter(state=ProgressReport.State.PUBLISHED).first()
    return render(request, "reports/detail.html", context)


def report_pdf(request, slug: str):
    report = _report_for(request, slug)
    base_url = request.build_absolute_uri("/")
    if report.is_published:  # frozen, so its PDF is too: render once (seconds), then serve from the cache
        key = f"report-pdf:{report.pk}:{report.published_at.isoformat()}:{base_url}"
        pdf = soft_cache.get_or_set(key, lambda: report_render.render_pdf(report, base_url=base_url), 7 * 24 * 3600)
    else:
        pdf = report_render.render_pdf(report, base_url=base_url)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_file_name(report)}.pdf"'
    return response


def report_csv(request, slug: str):
    report = _report_for(request, slug)
    body = report_render.render_csv(report, absolute=request.build_absolute_uri)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(report)}.csv"'
    return response
