"""Restoring a checked dump into an empty database, all in one transaction, keeping ids and slugs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from .. import cache, services
from ..models import Commitment
from .check import DatasetInvalid, _read_json, check_dataset
from .export import DatasetRefused
from .schema import BATCH, KEYED_MODELS, PACKAGE, Table, tables
from .values import parse_value

HISTORY_REASON = "Restored from an open-data dump (import_dataset)"
_MODELS = {"countries": "Country"}  # tables that columns name rows of by slug (``Table.slug_keys``)


def tracker_rows() -> list[str]:
    """Names of the tracker tables that hold any row (the import needs none).

    History tables count too: records left from deleted rows would otherwise be read as the
    history of the restored rows that take their ids.
    """
    through = [getattr(Commitment, name).through for name in ("actors", "countries", "themes", "related")]
    history = [m for m in apps.get_app_config("commitments").get_models() if m.__name__.startswith("Historical")]
    return [m._meta.db_table for m in (*KEYED_MODELS, *through, *history) if m.objects.exists()]


def _refuse_if_not_empty() -> None:
    found = tracker_rows()
    if found:
        shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        raise DatasetRefused(
            f"Nothing imported: the database already holds tracker data (in {shown}); "
            "import_dataset restores into an empty database only."
        )


def _parsed(folder: Path, table: Table) -> Iterator[dict]:
    """The rows from the JSON copy, which holds the exact text (the CSV's is neutralised for spreadsheets)."""
    for _, item in _read_json(folder, table):
        yield {c.attr: parse_value(c, item[c.name]) for c in table.columns}


def _batches(items, size: int = BATCH) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _objects(folder: Path, table: Table) -> Iterator[models.Model]:
    by_column = {c.name: c.attr for c in table.columns}
    named = [(by_column[column], dict(apps.get_model("commitments", _MODELS[target]).objects.values_list("slug", "pk")),
              attname) for column, target, attname in table.slug_keys if column in by_column]
    for values in _parsed(folder, table):
        for attr, ids, attname in named:  # a row named by slug (checked to exist): its id, now restored
            slug = values.pop(attr)
            values[attname] = ids[slug] if slug else None
        if table.name == "commitment_related":  # stored both ways by Django
            a, b = values["from_commitment_id"], values["to_commitment_id"]
            yield table.model(from_commitment_id=a, to_commitment_id=b)
            yield table.model(from_commitment_id=b, to_commitment_id=a)
        else:
            yield table.model(**values, **table.extra)


def _write_m2m_history(when: datetime) -> None:
    """The first history record of each commitment also records its actors, countries and themes."""
    from simple_history.utils import get_m2m_field_name, get_m2m_reverse_field_name

    history = dict(
        Commitment.history.filter(history_date=when, history_change_reason=HISTORY_REASON).values_list(
            "id", "history_id"
        )
    )
    for name in ("actors", "countries", "themes"):
        m2m = Commitment._meta.get_field(name)
        through = m2m.remote_field.through
        record = apps.get_model("commitments", f"HistoricalCommitment_{name}")
        source, target = f"{get_m2m_field_name(m2m)}_id", f"{get_m2m_reverse_field_name(m2m)}_id"
        rows = through.objects.order_by("id").values_list("id", source, target).iterator(chunk_size=BATCH)
        for batch in _batches(rows):
            record.objects.bulk_create(
                [record(id=pk, history_id=history[c], **{source: c, target: t}) for pk, c, t in batch]
            )


def _advance_sequences() -> None:
    """After explicit ids, new rows must not collide: PostgreSQL's sequences are set to the highest id.

    (``setval(pg_get_serial_sequence(...), max(id))`` per table; SQLite needs nothing.)
    """
    statements = connection.ops.sequence_reset_sql(no_style(), list(KEYED_MODELS))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def import_dataset(directory: str | Path) -> dict[str, int]:
    """Restore the dump in ``directory`` into an empty database; return the rows written per table.

    Raises DatasetRefused (the database is not empty) or DatasetInvalid (the dump has problems),
    having written nothing. Every restored source, commitment (with its actors, countries and themes),
    status update, evidence item and report gets one "created" history record dated now, so later
    edits show in its history; the history before the dump is not part of it.
    """
    folder = Path(directory)
    _refuse_if_not_empty()
    problems = check_dataset(folder)
    if problems:
        raise DatasetInvalid(problems)
    counts: dict[str, int] = {}
    when = timezone.now()
    version = json.loads((folder / PACKAGE).read_text(encoding="utf-8"))["tracker_format_version"]
    with transaction.atomic():
        _refuse_if_not_empty()  # again, inside the transaction
        for table in tables(version):  # an older dump's missing columns take the models' defaults
            counts[table.name] = 0
            history = getattr(table.model, "history", None) if not table.model._meta.auto_created else None
            for batch in _batches(_objects(folder, table)):
                table.model.objects.bulk_create(batch)
                if history is not None:
                    history.bulk_history_create(batch, default_change_reason=HISTORY_REASON, default_date=when)
                counts[table.name] += len(batch) // (2 if table.name == "commitment_related" else 1)
        _write_m2m_history(when)
        # The current status, and the status in each country (``CountryStatus``), derived from the restored updates.
        for commitment in Commitment.objects.only("id", "current_status", "current_status_date").iterator():
            services.refresh_current_status(commitment=commitment)
        if version < 3:  # a dump from before known_since: derive it from the restored rows
            Commitment.objects.update(known_since=services.known_since_expression())
        _advance_sequences()
        cache.bump()
    return counts
