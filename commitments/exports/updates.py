"""The updates' export (``/updates/export.csv`` and ``.json``): its columns, declared once, and its records.

The same events as /updates/ for the same filters (``selectors.event_updates``: each published update's
publication, and each withdrawal), newest first, all of them: two streamed queries (publications by
``published_at``, withdrawals by ``withdrawn_at``) merged as they come, and one query per chunk of events
for their evidence. Drafts, pending revisions and updates of non-public commitments are never in them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import UTC, datetime

from django.core.files.storage import default_storage
from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop

from .. import languages, selectors
from ..dates import Precision
from ..models import Evidence, StatusUpdate
from ..status import ASSESSABLE, Status
from .columns import LANG_NOTE, Column, Export
from .streaming import batches

CHUNK = 1000  # events per fetch of their evidence
PRECISIONS = tuple(Precision.values)

EVIDENCE_FIELDS = (
    Column("title", "string", "The title of the document or page.", "Annual report 2022"),
    Column("publisher", "string", "Who published the document or page.", "EEAS"),
    Column("date", "date", "The date of the document or event; null if undated.", "2022-03-01", nullable=True),
    Column("date_precision", "string", "How precise date is; null if undated.", "day", enum=PRECISIONS,
           nullable=True, safe=True),
    Column("url", "string", "Its public address (empty when only an uploaded copy is kept).",
           "https://example.org/report-2022"),
    Column("document_url", "url", "The address of the copy kept by the tracker, if one was uploaded.", None,
           nullable=True, safe=True),
    Column("indicates", "string", "What the evidence shows, before any rating (empty if not said).", "done",
           enum=("", *Evidence.Indicates.values)),
    Column("stance", "string", "Whether it supports or contradicts the update's status.", "supports",
           enum=tuple(Evidence.Stance.values)),
    Column("description", "string", "What it shows, in the tracker's words (may be empty).",
           "The expert's appointment is announced."),
)
# The evidence's texts that ``lang`` adds to each of its objects (``language``).
EVIDENCE_IN_OTHERS = (
    *(Column(f"description_{code}", "string", f"That description in {languages.NAMES[code]} (empty if not "
             f"translated). Only with lang={code} (or under /{code}/).", "Назначение эксперта объявлено.",
             added_in=3, language=code) for code in languages.OTHERS),
)


def _in_language(code: str) -> tuple[Column, ...]:
    """The columns ``lang=<code>`` adds, after the English ones: the texts in that language, each empty where it
    has none (the English column has the text; nothing is filled in from it)."""
    name, only = languages.NAMES[code], f"Only with lang={code} (or under /{code}/)."
    return (
        Column(f"commitment_title_{code}", "string", f"The commitment's title in {name} (empty if not translated). "
               f"{only}", "Направить эксперта по КТ", added_in=3, language=code),
        Column(f"country_name_{code}", "string", f"The country's name in {name}; null for an update of the whole "
               f"commitment, empty if not translated. {only}", None, nullable=True, added_in=3, language=code),
        Column(f"status_label_{code}", "string", f"The status as the site shows it in {name}. {only}", "Выполнено",
               safe=True, added_in=3, language=code),
        Column(f"summary_{code}", "string", f"The summary in {name} (empty if not translated). {only}",
               "Эксперт работает в Бишкеке с марта 2022 года.", added_in=3, language=code),
    )

with translation.override(languages.DEFAULT):  # the schema's English labels, whatever language imports this
    ASSESSABLE_LABELS = tuple(str(label) for _, label in ASSESSABLE)


COLUMN_LIST = (
    Column("event", "string", "published: the update was published; withdrawn: a publisher withdrew it (it counts "
           "for no status since). A withdrawn update appears twice: once for each event.", "published",
           enum=("published", "withdrawn"), safe=True),
    Column("event_at", "datetime", "When the event happened (published_at or withdrawn_at): the export's order, "
           "newest first.", "2022-03-05T10:00:00Z"),
    Column("update_id", "integer", "The update's number: its anchor on the commitment's page is #update-<id>.", 12),
    Column("update_url", "url", "The event on the commitment's page (#update-<id>, or #withdrawn-<id> for a "
           "withdrawal).", "https://tracker.example/commitments/deploy-ct-expert/#update-12", safe=True),
    Column("commitment", "string", "The commitment's slug (as in the commitments export).", "deploy-ct-expert"),
    Column("commitment_title", "string", "The commitment's title.", "Deploy a dedicated CT expert"),
    Column("commitment_url", "url", "The commitment's page.", "https://tracker.example/commitments/deploy-ct-expert/",
           safe=True),
    Column("country", "string", "The country the update assesses (its slug), for a per-country commitment; null: "
           "it assesses the whole commitment.", None, nullable=True),
    Column("country_name", "string", "That country's name; null for an update of the whole commitment.", None,
           nullable=True),
    Column("status", "string", "The status the update gives (a slug of the status scale).", "achieved",
           enum=tuple(value for value, _ in ASSESSABLE), safe=True),
    Column("status_label", "string", "The status as the site shows it.", "Achieved",
           enum=ASSESSABLE_LABELS, safe=True),
    Column("as_of", "date", "The day the assessment describes (a month or year is stored as its first day: see "
           "as_of_precision).", "2022-03-01"),
    Column("as_of_precision", "string", "How precise as_of is.", "day", enum=PRECISIONS, safe=True),
    Column("confidence", "string", "The tracker's confidence in the assessment.", "high",
           enum=tuple(StatusUpdate.Confidence.values), safe=True),
    Column("summary", "string", "What happened and why this status, in the tracker's words.",
           "The expert took up the post in March 2022."),
    Column("publish_reason", "string", "Why this status, in a sentence, as published.", "Appointment confirmed."),
    Column("published_at", "datetime", "When the update was published.", "2022-03-05T10:00:00Z"),
    Column("withdrawn", "boolean", "The update has been withdrawn (on either event's row).", False),
    Column("withdrawn_at", "datetime", "When it was withdrawn; null if it was not.", None, nullable=True),
    Column("withdraw_reason", "string", "The public reason for the withdrawal (empty if not withdrawn).", ""),
    Column("evidence_count", "integer", "How many pieces of evidence the update cites.", 1),
    Column("evidence", "objects", "The evidence behind the update, newest first: each with the fields below.",
           [{"title": "Annual report 2022", "publisher": "EEAS", "date": "2022-03-01", "date_precision": "day",
             "url": "https://example.org/report-2022", "document_url": None, "indicates": "done",
             "stance": "supports", "description": "The expert's appointment is announced."}],
           fields=(*EVIDENCE_FIELDS, *EVIDENCE_IN_OTHERS)),
    *(column for code in languages.OTHERS for column in _in_language(code)),
)

EXPORT = Export(
    name="updates",
    title=gettext_noop("Status updates"),  # English in the schemas; the data page translates it
    description="The publications and withdrawals of status updates that /updates/ lists for the same filters "
    "(all of them, not only the newest pages), newest first, each with its evidence. "
    f"{LANG_NOTE}",
    csv_url_name="commitments:updates_export_csv",
    json_url_name="commitments:updates_export_json",
    schema_url_name="commitments:updates_export_schema",
    columns=COLUMN_LIST,
)
COLUMNS = [c.name for c in COLUMN_LIST if c.language is None]  # in English

FIELDS = ["pk", "published_at", "withdrawn_at", "commitment__slug", "commitment__title", "country__slug",
          "country__name", "status", "as_of", "as_of_precision", "confidence", "summary", "publish_reason",
          "withdraw_reason"]
EVIDENCE_VALUES = ["status_update_id", "title", "publisher", "date", "date_precision", "url", "document", "indicates",
                   "stance", "description"]


def _utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def events(*, filterset, extra: list[str] | None = None) -> Iterator[tuple[datetime, int, bool, tuple]]:
    """(when, update id, is a withdrawal, the update's values: ``FIELDS`` then ``extra``), newest first:
    /updates/'s order (its keys, ``selectors.update_events``, sorted the same way)."""
    updates = selectors.event_updates(commitments=filterset.qs, narrows=filterset.narrows,
                                      as_of=filterset.as_of_date, describing=filterset.updates_describing())
    fields = [*FIELDS, *(extra or ())]
    published = updates.order_by("-published_at", "-id").values_list(*fields).iterator(chunk_size=CHUNK)
    withdrawn = updates.withdrawn().order_by("-withdrawn_at", "-id").values_list(*fields).iterator(chunk_size=CHUNK)
    return heapq.merge(((row[1], row[0], False, row) for row in published),
                       ((row[2], row[0], True, row) for row in withdrawn),
                       key=lambda event: event[:3], reverse=True)


def _evidence(request: HttpRequest, ids: set[int], *others: str) -> dict[int, list[dict]]:
    """The evidence on record of the updates ``ids``, newest first: one query."""
    found: dict[int, list[dict]] = {}
    described = [f"description_{code}" for code in others]
    rows = (Evidence.objects.on_record().filter(status_update_id__in=ids)
            .order_by("status_update_id", F("date").desc(nulls_last=True), "id")
            .values_list(*EVIDENCE_VALUES, *described))
    for update, title, publisher, day, precision, url, document, indicates, stance, description, *in_others in rows:
        found.setdefault(update, []).append({
            "title": title, "publisher": publisher, "date": day.isoformat() if day else None,
            "date_precision": precision if day else None, "url": url,
            "document_url": request.build_absolute_uri(default_storage.url(document)) if document else None,
            "indicates": indicates, "stance": stance, "description": description,
            **dict(zip(described, in_others, strict=True)),
        })
    return found


def _texts_in(others: tuple[str, ...]) -> list[str]:
    """An update's own texts in the languages ``others``, read with it."""
    return [name for code in others for name in (f"commitment__title_{code}", f"country__name_{code}",
                                                 f"summary_{code}")]


def records(*, request: HttpRequest, filterset, chunk: int | None = None,
            others: tuple[str, ...] = ()) -> Iterator[tuple]:
    """Each event's values in the order of ``EXPORT.row_columns_in(others)``, their evidence read ``chunk``
    events at a time."""
    chunk = chunk or CHUNK
    with translation.override(languages.DEFAULT):  # the English columns stay English under /ru/ too
        labels = {value: str(label) for value, label in Status.choices}  # plain text: CSV and JSON
    labels_in = {}
    for code in others:
        with translation.override(code):
            labels_in[code] = {status: str(label) for status, label in Status.choices}
    page_prefix = request.build_absolute_uri(reverse("commitments:list"))
    for batch in batches(events(filterset=filterset, extra=_texts_in(others)), chunk):
        evidence = _evidence(request, {pk for _, pk, _, _ in batch}, *others)
        for when, pk, withdrawal, row in batch:
            (_, published_at, withdrawn_at, slug, title, country, country_name, status, as_of, precision,
             confidence, summary, reason, withdraw_reason) = row[:len(FIELDS)]
            texts = row[len(FIELDS):]
            in_others = []
            for i, code in enumerate(others):
                title_in, country_in, summary_in = texts[3 * i: 3 * i + 3]
                in_others += [title_in, (country_in or "") if country else None, labels_in[code][status], summary_in]
            page = f"{page_prefix}{slug}/"
            cited = evidence.get(pk, [])
            yield (
                "withdrawn" if withdrawal else "published", _utc(when), pk,
                f"{page}#{'withdrawn' if withdrawal else 'update'}-{pk}", slug, title, page, country, country_name,
                status, labels[status], as_of.isoformat(), precision, confidence, summary, reason,
                _utc(published_at), withdrawn_at is not None, _utc(withdrawn_at), withdraw_reason, len(cited), cited,
                *in_others,
            )
