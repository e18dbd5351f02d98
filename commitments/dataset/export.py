"""Writing a dump: the published record as CSV and JSON with its ``datapackage.json``, moved into place whole."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .schema import BATCH, DIALECT, FORMAT_VERSION, LICENSE, PACKAGE, SYNTHETIC_MODELS, Table, tables
from .values import _iso_datetime, csv_value, json_value


class DatasetRefused(Exception):
    """The command was refused before anything was read or written (message says why)."""


def synthetic_present() -> bool:
    return any(m.objects.filter(is_synthetic=True).exists() for m in SYNTHETIC_MODELS)


def _check_target(target: Path, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise DatasetRefused(f"{target} exists and is not a folder.")
    if target.is_dir() and any(target.iterdir()):
        if not force:
            raise DatasetRefused(f"{target} is not empty; use --force to replace it with a new dump.")
        if not (target / PACKAGE).is_file():
            raise DatasetRefused(
                f"{target} is not empty and holds no {PACKAGE}, so it is not an earlier dump; "
                "refusing to replace it even with --force. Choose an empty or new folder."
            )


@contextmanager
def _consistent_read():
    """One snapshot of the database for the whole export (a publish meanwhile is wholly in or out)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _sync(f) -> None:
    f.flush()
    os.fsync(f.fileno())


def _write_table(table: Table, folder: Path) -> int:
    attrs = [c.attr for c in table.columns]
    count = 0
    with (
        open(folder / table.csv, "w", encoding="utf-8", newline="") as csv_file,
        open(folder / table.json, "w", encoding="utf-8", newline="\n") as json_file,
    ):
        writer = csv.writer(csv_file, lineterminator="\r\n")
        writer.writerow(table.names)
        json_file.write("[")
        for row in table.rows().values_list(*attrs).iterator(chunk_size=BATCH):
            writer.writerow([csv_value(c, v) for c, v in zip(table.columns, row, strict=True)])
            item = {c.name: json_value(c, v) for c, v in zip(table.columns, row, strict=True)}
            json_file.write(("\n" if count == 0 else ",\n") + json.dumps(item, ensure_ascii=False))
            count += 1
        json_file.write("\n]\n" if count else "]\n")
        _sync(csv_file)
        _sync(json_file)
    return count


def _resources(table: Table, folder: Path, count: int) -> list[dict]:
    schema = {
        "fields": [c.descriptor() for c in table.columns],
        "missingValues": [""],
        "primaryKey": list(table.primary_key),
    }
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": column, "reference": {"resource": target, "fields": "id"}}
            for column, target in table.foreign_keys
        ]
    if table.slug_keys:
        schema.setdefault("foreignKeys", []).extend(
            {"fields": column, "reference": {"resource": target, "fields": "slug"}}
            for column, target, _ in table.slug_keys
        )
    common = {"encoding": "utf-8"}
    return [
        {
            "name": table.name,
            "path": table.csv,
            "profile": "tabular-data-resource",
            "title": table.title,
            "format": "csv",
            "mediatype": "text/csv",
            **common,
            "bytes": (folder / table.csv).stat().st_size,
            "hash": f"sha256:{_sha256(folder / table.csv)}",
            "rows": count,
            "dialect": DIALECT,
            "schema": schema,
        },
        {
            "name": f"{table.name}-json",
            "path": table.json,
            "title": f"{table.title} (JSON)",
            "description": f"The rows of {table.csv} as a JSON array of objects, one per line, with the same "
            "field names; dates and times as ISO 8601 strings, empty values as null, objects as objects.",
            "format": "json",
            "mediatype": "application/json",
            **common,
            "bytes": (folder / table.json).stat().st_size,
            "hash": f"sha256:{_sha256(folder / table.json)}",
        },
    ]


def _package(folder: Path, counts: dict[str, int], *, synthetic: bool) -> dict:
    description = (
        "The published record of the Commitments Tracker: published commitments with their verbatim quotes, "
        "the sources, actors, countries and themes they use; their published status updates (withdrawn ones "
        "too, with the reason: they count for no status) and the evidence behind them; published progress "
        "reports with their frozen figures. Drafts, archived commitments (and the sources and entries only they "
        "use), evidence not yet used in a published assessment, staff accounts, internal notes (a source's "
        "notes included) and the change history are not included. "
        "Each table is given as CSV (UTF-8, header row; lists as link tables) and as JSON. "
        "In the CSV, a text cell that a spreadsheet would run as a formula (one starting with =, +, -, @, a tab "
        "or a carriage return) begins with an apostrophe, as in the site's export.csv; the JSON holds every "
        "text exactly, and is the copy import_dataset restores. "
        "Evidence 'document' is a path under the site's media URL. "
        "Licence: ODC-BY-1.0 is the default of this export; the publisher should confirm it."
    )
    if synthetic:
        description = (
            "SYNTHETIC DATA: this dump was made from a database holding generated demo data "
            "(generate_demo_data); it describes no real commitments. " + description
        )
    resources = []
    for table in tables():
        resources += _resources(table, folder, counts[table.name])
    return {
        "profile": "data-package",
        "name": "commitments-tracker-synthetic" if synthetic else "commitments-tracker",
        "title": ("SYNTHETIC DEMO DATA - " if synthetic else "") + "Commitments Tracker: the published record",
        "description": description,
        "homepage": settings.SITE_URL,
        "created": _iso_datetime(timezone.now()),
        "licenses": [LICENSE],
        "keywords": ["commitments", "accountability", "Central Asia", "counter-terrorism", "P/CVE"],
        "synthetic": synthetic,
        "tracker_format_version": FORMAT_VERSION,
        "resources": resources,
    }


def _move_into_place(tmp: Path, target: Path) -> None:
    if target.is_dir() and any(target.iterdir()):
        old = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
        os.rename(target, old)
        try:
            os.rename(tmp, target)
        except OSError:
            os.rename(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        if target.is_dir():
            target.rmdir()
        os.rename(tmp, target)


def export_dataset(directory: str | Path, *, force: bool = False, allow_synthetic: bool = False) -> dict[str, int]:
    """Write the dump into ``directory``; return the number of rows of each table.

    Refused (DatasetRefused) if the folder is not empty (without ``force``; even with it, unless it
    holds an earlier dump) or if the database holds synthetic rows (without ``allow_synthetic``).
    """
    target = Path(directory).absolute()
    _check_target(target, force)
    synthetic = synthetic_present()
    if synthetic and not allow_synthetic:
        raise DatasetRefused(
            "This database holds synthetic demo data (generate_demo_data); nothing exported. "
            "Use --allow-synthetic to export it anyway, marked as synthetic in datapackage.json."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        tmp.chmod(0o755)
        with _consistent_read():
            counts = {table.name: _write_table(table, tmp) for table in tables()}
        package = _package(tmp, counts, synthetic=synthetic)
        with open(tmp / PACKAGE, "w", encoding="utf-8") as f:
            json.dump(package, f, ensure_ascii=False, indent=2)
            f.write("\n")
            _sync(f)
        _move_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return counts
