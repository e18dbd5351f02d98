"""The API's records as plain dicts, built from rows the selectors read (``CommitmentSerializer`` & co.
render them). Every query is per page, never per row."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from django.urls import reverse
from django.utils import translation

from .. import country_status, selectors
from ..exports.commitments import assessments
from ..models import StatusUpdate
from ..status import Status
from ..taxonomy import TAXONOMY_FACETS

LABELS = {**dict(Status.choices), country_status.NOT_ASSESSED: "Not yet assessed"}


class Others:
    """The texts a response adds in the languages ``codes`` (``exports.language.others``: none for English):
    ``<field>_<code>`` beside each text, empty where it has no translation. Whatever it reads, it reads once per
    response (a query per taxonomy at most), never per row."""

    def __init__(self, codes: tuple[str, ...] = ()):
        self.codes = codes
        self._names: dict[str, dict[str, tuple[str, ...]]] = {}
        self._labels: dict[str, dict[str, str]] = {}

    def __bool__(self) -> bool:
        return bool(self.codes)

    def of(self, obj, *names: str) -> dict:
        """``obj``'s fields ``<name>_<code>`` (a model's columns)."""
        return {f"{name}_{code}": getattr(obj, f"{name}_{code}", "") or "" for name in names for code in self.codes}

    def name(self, kind: str, slug: str, *, field: str = "name") -> dict:
        """``<field>_<code>`` of the ``kind`` entry ``slug`` (a source: its title), from one query per kind."""
        if not self.codes:
            return {}
        if kind not in self._names:
            taxonomy = TAXONOMY_FACETS[kind]
            model, label = taxonomy.model, taxonomy.label_field
            columns = [f"{label}_{code}" for code in self.codes]
            self._names[kind] = {slug: texts for slug, *texts in model.objects.values_list("slug", *columns)}
        found = self._names[kind].get(slug) or ("",) * len(self.codes)
        return {f"{field}_{code}": text or "" for code, text in zip(self.codes, found, strict=True)}

    def label(self, status: str) -> dict:
        """``status_label_<code>``: the status as the site shows it in each language."""
        out = {}
        for code in self.codes:
            if code not in self._labels:
                with translation.override(code):
                    self._labels[code] = {key: str(text) for key, text in LABELS.items()}
            out[f"status_label_{code}"] = self._labels[code][status]
        return out

    def summaries(self, ids) -> dict[int, dict]:
        """``status_summary_<code>`` of the updates ``ids``: one query."""
        if not self.codes or not ids:
            return {}
        columns = [f"summary_{code}" for code in self.codes]
        rows = StatusUpdate.objects.filter(pk__in={int(pk) for pk in ids}).order_by().values_list("pk", *columns)
        return {pk: {f"status_summary_{code}": text or "" for code, text in zip(self.codes, texts, strict=True)}
                for pk, *texts in rows}


NONE = Others()


_PLAIN = re.compile(r"[-A-Za-z0-9_]+")  # slugs and ids: what reverse leaves as they are
_MARK = "zzurlargzz"  # a placeholder no slug of ours holds, valid for the slug and str converters


class Urls:
    """Absolute addresses for one request: API resources and the site's pages."""

    def __init__(self, request):
        self.absolute: Callable[[str], str] = request.build_absolute_uri
        self._patterns: dict[tuple[str, int], str] = {}

    def _url(self, name: str, args: tuple) -> str:
        """``reverse`` once per URL name and request, then each slug or id put in its place: a page of 100 rows
        names about 2,400 addresses, and reversing each cost most of the API list's time (profiled at 100k)."""
        if not all(_PLAIN.fullmatch(str(arg)) for arg in args):  # anything reverse would quote: reverse it
            return self.absolute(reverse(name, args=args))
        key = (name, len(args))
        if key not in self._patterns:
            marks = [f"{_MARK}{i}{_MARK}" for i in range(len(args))]
            self._patterns[key] = self.absolute(reverse(name, args=marks))
        url = self._patterns[key]
        for i, arg in enumerate(args):
            url = url.replace(f"{_MARK}{i}{_MARK}", str(arg), 1)
        return url

    def api(self, name: str, *args) -> str:
        return self._url(f"api:{name}", args)

    def page(self, name: str, *args) -> str:
        return self._url(name, args)

    def commitment_page(self, slug: str) -> str:
        return self.page("commitments:detail", slug)

    def entry(self, kind: str, slug: str, name: str, others: Others = NONE) -> dict:
        return {"slug": slug, "name": name, **others.name(kind, slug), "url": self.api(kind, slug),
                "html_url": self.page(TAXONOMY_FACETS[kind].url_name, slug)}

    def update(self, slug: str, pk: int | None) -> tuple[str | None, str | None]:
        if pk is None:
            return None, None
        return self.api("update", pk), f"{self.commitment_page(slug)}#update-{pk}"


def _precision(day, precision):
    return precision if day else None


def _source(urls: Urls, source, others: Others) -> dict:
    return {"slug": source.slug, "title": source.title, **others.of(source, "title"),
            "url": urls.api("source", source.slug), "html_url": urls.page("commitments:source", source.slug),
            "document_url": source.url or None}


def _common(urls: Urls, c, *, status: str, as_of: date | None, precision: str, overdue: bool,
            themes, countries, actors, country_table: dict, others: Others) -> dict:
    added = others.of(c, "title", "quote_translation", "quote_translation_source", "quote_translation_url",
                      "location") | others.label(status) if others else {}
    return added | {
        "slug": c.slug,
        "title": c.title,
        "url": urls.api("commitment", c.slug),
        "html_url": urls.commitment_page(c.slug),
        "updates_url": f"{urls.api('updates')}?commitment={c.slug}",
        "status": status,
        "status_label": LABELS[status],
        "status_as_of": as_of,
        "status_as_of_precision": _precision(as_of, precision),
        "due_date": c.due_date,
        "due_precision": _precision(c.due_date, c.due_precision),
        "overdue": bool(overdue),
        "date_made": c.date_made,
        "date_made_precision": _precision(c.date_made, c.date_made_precision),
        "expected_end": c.expected_end,
        "expected_end_precision": _precision(c.expected_end, c.expected_end_precision),
        "statement_type": c.statement_type,
        "themes": [urls.entry("theme", e.slug, e.name, others) for e in themes],
        "countries": [urls.entry("country", e.slug, e.name, others) for e in countries],
        "actors": [urls.entry("actor", e.slug, e.name, others) for e in actors],
        "source": _source(urls, c.source, others),
        "country_status": country_table,
    }


def _country_status(urls: Urls, slug: str, *, status, as_of, precision, regional, update_id) -> dict:
    update, update_html = urls.update(slug, update_id)
    return {"status": status, "as_of": as_of, "as_of_precision": _precision(as_of, precision),
            "regional": regional, "update": update, "update_html_url": update_html}


def _assessed(urls: Urls, c, update_id, found: dict, others: Others, in_others: dict) -> dict:
    """The assessment a row's status comes from (the exports' columns of the same names)."""
    confidence, summary = found.get(int(update_id), (None, None)) if update_id else (None, None)
    added = {}
    if others:  # null when not assessed, as status_summary
        added = (in_others.get(int(update_id)) if update_id and confidence else None) or {
            f"status_summary_{code}": None if summary is None else "" for code in others.codes}
    return added | {"status_confidence": confidence, "status_summary": summary,
            "status_update_url": urls.update(c.slug, int(update_id))[1] if confidence else None,
            "stale": bool(c.eff_stale), "quote": c.quote, "location": c.location, "due_text": c.due_text,
            "assessment_scope": c.assessment_scope}


def commitment_rows(rows: list, *, request, day: date | None, in_country=None, others: Others = NONE) -> list[dict]:
    """The list's records: ``rows`` (``selectors.for_list`` with actors, ``with_status_precision``, and
    ``exports.commitments.with_assessment``), their status in each of their countries (``selectors.matrix_cells``:
    one query for the page) and the assessment each status comes from (one more): ``in_country``'s cell's when
    one country is chosen, else the overall one."""
    urls = Urls(request)
    countries = {e.pk: e for c in rows for e in c.countries.all()}
    cells = selectors.matrix_cells(commitments=[c.pk for c in rows], countries=list(countries), day=day)
    updates = {c.pk: (cells.get((c.pk, in_country.id), selectors.NOT_FILED).update_id if in_country else c.eff_update)
               for c in rows}
    found = dict(assessments({int(pk) for pk in updates.values() if pk}))
    in_others = others.summaries({int(pk) for pk in updates.values() if pk})
    out = []
    for c in rows:
        table = {}
        for e in c.countries.all():
            cell = cells.get((c.pk, e.pk), selectors.NOT_FILED)
            table[e.slug] = _country_status(urls, c.slug, status=cell.status or country_status.NOT_ASSESSED,
                                            as_of=cell.as_of, precision=cell.precision, regional=cell.regional,
                                            update_id=cell.update_id)
        out.append(_common(urls, c, status=c.eff_status, as_of=c.eff_status_date, precision=c.eff_status_precision,
                           overdue=c.eff_overdue, themes=c.themes.all(), countries=c.countries.all(),
                           actors=c.actors.all(), country_table=table, others=others)
                   | _assessed(urls, c, updates[c.pk], found, others, in_others))
    return out


def commitment_detail(c, *, request, others: Others = NONE) -> dict:
    """One commitment's record now: its taxonomies (one query) and status in each country (``country_table``)."""
    urls = Urls(request)
    taxonomies = selectors.taxonomies_of(commitment=c)
    table = {
        row.country.slug: _country_status(urls, c.slug, status=row.status, as_of=row.as_of, precision=row.precision,
                                          regional=row.regional, update_id=row.update_id)
        for row in selectors.country_table(commitment=c, countries=taxonomies["country"])
    }

    def named(entries):
        return [_Named(e.slug, e.label) for e in entries]

    record = _common(urls, c, status=c.current_status, as_of=c.current_status_date,
                     precision=c.current_status_precision, overdue=c.is_overdue, themes=named(taxonomies["theme"]),
                     countries=named(taxonomies["country"]), actors=named(taxonomies["actor"]), country_table=table,
                     others=others)
    ids = {int(c.eff_update)} if c.eff_update else set()
    found = dict(assessments(ids))
    return (record | _assessed(urls, c, c.eff_update, found, others, others.summaries(ids))
            | {"quote_context": c.quote_context} | others.of(c, "quote_context"))


class _Named:
    __slots__ = ("name", "slug")

    def __init__(self, slug: str, name: str):
        self.slug, self.name = slug, name


def update_record(u, *, urls: Urls, others: Others = NONE) -> dict:
    """An update on the record (``commitment``, ``country`` and ``evidence`` already read)."""
    c = u.commitment
    return others.of(u, "summary") | others.label(u.status) | {
        "id": u.pk,
        "url": urls.api("update", u.pk),
        "html_url": f"{urls.commitment_page(c.slug)}#update-{u.pk}",
        "commitment": {"slug": c.slug, "title": c.title, **others.of(c, "title"), "url": urls.api("commitment", c.slug),
                       "html_url": urls.commitment_page(c.slug)},
        "country": ({"slug": u.country.slug, "name": u.country.name, **others.of(u.country, "name")}
                    if u.country_id else None),
        "status": u.status,
        "status_label": LABELS[u.status],
        "as_of": u.as_of,
        "as_of_precision": u.as_of_precision,
        "summary": u.summary,
        "confidence": u.confidence,
        "published_at": u.published_at,
        "withdrawn": u.withdrawn_at is not None,
        "withdrawn_at": u.withdrawn_at,
        "withdraw_reason": u.withdraw_reason,
        "evidence": [
            {"title": e.title, "publisher": e.publisher, "date": e.date,
             "date_precision": _precision(e.date, e.date_precision), "url": e.url or None, "stance": e.stance,
             "indicates": e.indicates, "description": e.description, "quote": e.quote,
             **others.of(e, "description", "quote_translation", "quote_translation_source", "quote_translation_url")}
            for e in u.evidence.all()
        ],
    }


def entry_record(kind: str, *, slug: str, name: str, counts: dict[str, int], urls: Urls,
                 others: Others = NONE) -> dict:
    counts = {status: counts.get(status, 0) for status in Status.values}
    return {**urls.entry(kind, slug, name, others), "commitments_url": f"{urls.api('commitments')}?{kind}={slug}",
            "total": sum(counts.values()), "status_counts": counts}


def source_extra(source) -> dict:
    return {"issuer": source.issuer, "date": source.date, "date_precision": _precision(source.date,
            source.date_precision), "kind": source.kind, "document_url": source.url or None}


def report_record(report, *, urls: Urls, snapshot: bool, others: Others = NONE) -> dict:
    record = {
        **others.of(report, "title", "introduction"),
        "slug": report.slug, "title": report.title, "period_label": report.period_label, "start": report.start,
        "end": report.end, "published_at": report.published_at, "introduction": report.introduction,
        "supersedes": report.supersedes.slug if report.supersedes_id else None,
        "url": urls.api("report", report.slug), "html_url": urls.page("reports:detail", report.slug),
        "pdf_url": urls.page("reports:pdf", report.slug), "csv_url": urls.page("reports:csv", report.slug),
    }
    for code in others.codes:  # its page and PDF in that language (the figures of the same snapshot)
        with translation.override(code):
            record |= {f"html_url_{code}": urls.absolute(reverse("reports:detail", args=[report.slug])),
                       f"pdf_url_{code}": urls.absolute(reverse("reports:pdf", args=[report.slug]))}
    return record | {"snapshot": report.snapshot} if snapshot else record
