"""Progress report pages: published reports for everyone, drafts for staff who may view reports.

Each in the language of its address (``/reports/…`` in English, ``/ru/reports/…`` in Russian), all from
the report's one snapshot; each language's PDF is stored on its own (``pdf_store``)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import get_conditional_response

from .. import languages
from ..exports import language
from ..models import ProgressReport
from . import pdf_store
from . import render as report_render

VIEW_PERM = "commitments.view_progressreport"


def _report_for(request, slug: str) -> ProgressReport:
    report = get_object_or_404(ProgressReport.objects.defer(*ProgressReport.PDF_FIELDS), slug=slug)
    if not report.is_published and not (request.user.is_staff and request.user.has_perm(VIEW_PERM)):
        raise Http404("No such report.")
    return report


def _file_name(report: ProgressReport) -> str:
    """The download's name; a report of demo data says so there too (the CSV has no room for a banner)."""
    demo = "demo-data-" if report.snapshot.get("synthetic") else ""
    return f"{demo}commitments-report-{report.slug}"


def report_list(request):
    reports = (
        ProgressReport.objects.published()
        .select_related("supersedes")
        .defer(*ProgressReport.PDF_FIELDS, *(f"supersedes__{name}" for name in ProgressReport.PDF_FIELDS))
    )
    return render(request, "reports/list.html", {"reports": reports})


def report_detail(request, slug: str):
    report = _report_for(request, slug)
    context = report_render.context_for(report)
    context["superseded_by"] = report.superseded_by.published().defer(*ProgressReport.PDF_FIELDS).first()
    return render(request, "reports/detail.html", context)


def report_pdf(request, slug: str):
    report = _report_for(request, slug)
    lang = languages.active()
    if not report.is_published:  # a draft changes: rendered for each request, never stored
        return _pdf_response(report, report_render.render_pdf(report, base_url=request.build_absolute_uri("/"),
                                                               lang=lang))
    digest = pdf_store.digest_of(report, lang)
    if digest:  # a reader who has these bytes already gets a 304, without them being read
        not_modified = get_conditional_response(request, etag=pdf_store.etag(digest))
        if not_modified is not None:
            not_modified["ETag"] = pdf_store.etag(digest)
            return not_modified
    # Rendered now (once, under a lock) if the report was published before PDFs were stored, or for
    # a language other than the default (publishing stores the default language's only).
    stored = pdf_store.stored(report, lang)
    response = _pdf_response(report, stored.content)
    response["ETag"] = pdf_store.etag(stored.sha256)
    return response


def _pdf_response(report: ProgressReport, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    lang = languages.active()
    suffix = "" if lang == languages.DEFAULT else f"-{lang}"
    response["Content-Disposition"] = f'inline; filename="{_file_name(report)}{suffix}.pdf"'
    response["Content-Language"] = lang
    return response


def report_csv(request, slug: str):
    """The rows in CSV; in another language (``?lang``, else the address's: as the exports) its titles are added."""
    report = _report_for(request, slug)
    try:
        lang = language.for_export(request)
    except language.LanguageError as error:
        return HttpResponse(f"Bad request:\n{language.PARAMETER}: {' '.join(error.messages)}\n", status=400,
                            content_type="text/plain; charset=utf-8")
    others = language.others(lang)
    body = report_render.render_csv(report, absolute=request.build_absolute_uri, others=others)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    suffix = f"-{lang}" if others else ""
    response["Content-Disposition"] = f'attachment; filename="{_file_name(report)}{suffix}.csv"'
    response["Content-Language"] = language.content_language(lang)
    return response
