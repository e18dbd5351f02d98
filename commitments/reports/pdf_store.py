"""A published report's PDF: rendered once, stored on the report's row, served from there.

A published report is frozen, and so is its PDF. ``services.publish_report`` renders it just
after the publish commits. A report published before PDFs were stored (or restored from the
open-data dump, which leaves PDFs out) gets its PDF from the first request for it. Either way
one process renders while any other that wants the same PDF waits, then reads the stored bytes:
a report is typeset once per database, not once per worker (seconds each at real size).

Stored in the database rather than under ``MEDIA_ROOT``: the backup and restore of the database
carry it, every worker on every machine sees the same bytes the moment they are committed, and
the bytes and their digest are written together, so there is no half-written or orphaned file.
A report's PDF is small (hundreds of kilobytes) and there are a few a year.

Links in it are made absolute with ``SITE_URL`` (at publish time there is no request to take a
host from); the template fetches nothing over the network.

Each language has its own PDF of the same snapshot, in its own columns (``pdf``/``pdf_sha256`` for the
default language, ``pdf_<code>``/``pdf_sha256_<code>`` for the others: ``languages.column``). Publishing
stores the default language's; another language's is rendered and stored on the first request for it.
"""

from __future__ import annotations

import fcntl
import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from ..languages import DEFAULT, column
from ..models import ProgressReport
from . import render


@dataclass(frozen=True)
class StoredPdf:
    content: bytes
    sha256: str


def etag(sha256: str) -> str:
    """A strong validator: the same digest means the same bytes."""
    return f'"{sha256}"'


def digest_of(report: ProgressReport, lang: str = DEFAULT) -> str:
    """The stored digest of the ``lang`` PDF on ``report`` as read ("" if none is stored)."""
    return getattr(report, column("pdf_sha256", lang))


def stored(report: ProgressReport, lang: str = DEFAULT) -> StoredPdf:
    """The published ``report``'s PDF in ``lang``, rendered and stored first if it has none yet."""
    return _read(report.pk, lang) or _render_and_store(report, lang)


def ensure_stored(report: ProgressReport, lang: str = DEFAULT) -> str:
    """Render and store the published ``report``'s PDF unless it is stored; its digest (no bytes read)."""
    digest = ProgressReport.objects.filter(pk=report.pk).values_list(column("pdf_sha256", lang), flat=True).first()
    return digest or _render_and_store(report, lang).sha256


def _read(pk: int, lang: str) -> StoredPdf | None:
    pdf, sha = column("pdf", lang), column("pdf_sha256", lang)
    row = ProgressReport.objects.filter(pk=pk).exclude(**{sha: ""}).values_list(pdf, sha).first()
    return StoredPdf(bytes(row[0]), row[1]) if row else None


def _render_and_store(report: ProgressReport, lang: str) -> StoredPdf:
    if not report.is_published:
        raise ValueError("Only a published report's PDF is stored; a draft's is rendered for each request.")
    with _render_lock(report.pk):
        found = _read(report.pk, lang)  # stored by another process while this one waited for the lock
        if found:
            return found
        frozen = ProgressReport.objects.defer(*ProgressReport.PDF_FIELDS).get(pk=report.pk)  # the snapshot as stored
        content = render.render_pdf(frozen, base_url=settings.SITE_URL, lang=lang)
        digest = hashlib.sha256(content).hexdigest()
        # A queryset update: no history record for a rendering, and never over a stored PDF.
        pdf, sha = column("pdf", lang), column("pdf_sha256", lang)
        ProgressReport.objects.filter(pk=report.pk, **{sha: ""}).update(**{pdf: content, sha: digest})
        return StoredPdf(content, digest)


@contextmanager
def _render_lock(pk: int) -> Iterator[None]:
    """Held while a report's PDF is rendered and stored; any other process that wants it waits here.

    PostgreSQL: the report's row, locked in a transaction (``select_for_update``); readers of the
    site are not blocked, and the lock goes with the connection if the worker dies. SQLite, whose
    workers share one machine: a file lock beside the database, not a write transaction, which
    would stop every save on the site for the seconds a rendering takes.
    """
    if connection.features.has_select_for_update:
        with transaction.atomic():
            list(ProgressReport.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True))
            yield
        return
    with open(_lock_file(), "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed, or the process ends
        yield


def _lock_file() -> Path:
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():
        return Path(f"{name}.report-pdf.lock")  # its folder is writable: SQLite keeps its journal there
    tag = hashlib.sha256(name.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"tracker-report-pdf-{tag}.lock"
