"""The open-data dump: everything the public can see, as CSV and JSON with a Frictionless ``datapackage.json``.

``export_dataset`` writes the published record and nothing else: published commitments (never
drafts or archived ones), their published status updates, the evidence attached to those updates
(never evidence attached only to a commitment, nor to a draft update: that is unreviewed staff
material), every source, actor, country and theme, and the published progress reports with their
frozen snapshot. Fields the public pages do not show stay out too: staff accounts, research and
evidence notes, the admin's change history, internal timestamps. Many-to-many fields are link
tables (``commitment_themes.csv`` …). Rows are streamed in primary-key order from one consistent
read, into a temporary folder beside the target that is renamed into place only when complete.

``import_dataset`` restores such a dump into an empty database: it checks ``datapackage.json`` and
every row of every file first (types, field rules, keys, links, the derived current status, the
files' sizes and hashes) and writes nothing if anything is wrong; then it writes everything in one
transaction, keeping primary keys and slugs.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache as memoize
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone

from . import cache, services
from .models import Actor, Commitment, Country, Evidence, ProgressReport, Source, StatusUpdate, Theme

FORMAT_VERSION = 1
PACKAGE = "datapackage.json"
BATCH = 1000
MAX_PROBLEMS = 50
HISTORY_REASON = "Restored from an open-data dump (import_dataset)"
LICENSE = {
    "name": "ODC-BY-1.0",
    "path": "https://opendatacommons.org/licenses/by/1-0/",
    "title": "Open Data Commons Attribution License v1.0",
}
DIALECT = {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "doubleQuote": True, "header": True}
# Rows with these models' ids are written with explicit primary keys (PostgreSQL sequences are advanced after).
KEYED_MODELS = (Source, Actor, Country, Theme, Commitment, StatusUpdate, Evidence, ProgressReport)
SYNTHETIC_MODELS = (Source, Actor, Country, Theme, Commitment, StatusUpdate, Evidence)


# --- the tables -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str  # in the files
    attr: str  # the model attribute (``source_id`` for a foreign key)
    type: str  # Frictionless type: string, integer, date, datetime, boolean, object
    required: bool
    unique: bool = False
    enum: tuple[str, ...] = ()
    description: str = ""

    def descriptor(self) -> dict:
        out = {"name": self.name, "type": self.type}
        if self.description:
            out["description"] = self.description
        constraints = {}
        if self.required:
            constraints["required"] = True
        if self.unique:
            constraints["unique"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if constraints:
            out["constraints"] = constraints
        return out


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    model: type[models.Model]  # a model or an m2m through model
    columns: tuple[Column, ...]
    rows: Callable[[], models.QuerySet]  # what is exported, in a stable order
    primary_key: tuple[str, ...] = ("id",)
    foreign_keys: tuple[tuple[str, str], ...] = ()  # (column, table it references by id; "" = this table)
    extra: dict = field(default_factory=dict)  # set on every restored instance (e.g. state=published)

    @property
    def csv(self) -> str:
        return f"{self.name}.csv"

    @property
    def json(self) -> str:
        return f"{self.name}.json"

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _type(f: models.Field) -> str:
    if f.is_relation or isinstance(f, models.AutoField | models.IntegerField):
        return "integer"
    if isinstance(f, models.BooleanField):
        return "boolean"
    if isinstance(f, models.DateTimeField):  # before DateField, its parent
        return "datetime"
    if isinstance(f, models.DateField):
        return "date"
    if isinstance(f, models.JSONField):
        return "object"
    return "string"


def _columns(model, *names: str, required: tuple[str, ...] = ()) -> tuple[Column, ...]:
    """Columns for model fields; a foreign key is named by its attname (``source_id``)."""
    out = []
    for name in names:
        f = model._meta.get_field(name)
        kind = _type(f)
        out.append(
            Column(
                name=f.attname,
                attr=f.attname,
                type=kind,
                required=f.primary_key or name in required or not (f.null or (kind == "string" and f.blank)),
                unique=f.unique,
                enum=tuple(str(v) for v, _ in f.choices) if f.choices else (),
                description=str(f.help_text),
            )
        )
    return tuple(out)


def _link(name: str, title: str, field_name: str, target: str, target_column: str) -> Table:
    """A many-to-many field of Commitment as a link table of published commitments."""
    through = getattr(Commitment, field_name).through
    if field_name == "related":  # symmetrical: stored both ways, written once (lower id first)
        source_attr, target_attr = "from_commitment_id", "to_commitment_id"

        def rows():
            return through.objects.filter(
                from_commitment__state=Commitment.State.PUBLISHED,
                to_commitment__state=Commitment.State.PUBLISHED,
                from_commitment_id__lt=F("to_commitment_id"),
            ).order_by(source_attr, target_attr)
    else:
        source_attr, target_attr = "commitment_id", target_column

        def rows():
            return through.objects.filter(commitment__state=Commitment.State.PUBLISHED).order_by(
                source_attr, target_attr
            )

    columns = (
        Column("commitment_id", source_attr, "integer", True),
        Column(target_column, target_attr, "integer", True),
    )
    return Table(
        name=name,
        title=title,
        model=through,
        columns=columns,
        rows=rows,
        primary_key=("commitment_id", target_column),
        foreign_keys=(("commitment_id", "commitments"), (target_column, target)),
    )


@memoize
def tables() -> tuple[Table, ...]:
    """Every table of the dump, in the order it is written and read (referenced tables first)."""
    published = Commitment.State.PUBLISHED
    taxonomy = ("id", "slug", "name", "is_synthetic")
    return (
        Table("sources", "Sources: the documents commitments are quoted from", Source,
              _columns(Source, "id", "slug", "title", "issuer", "date", "date_note", "kind", "url", "notes",
                       "is_synthetic"),
              lambda: Source.objects.order_by("id")),
        Table("actors", "Actors: organisations that owe or share commitments", Actor, _columns(Actor, *taxonomy),
              lambda: Actor.objects.order_by("id")),
        Table("countries", "Partner countries (slug: ISO 3166-1 alpha-2, lower case)", Country,
              _columns(Country, *taxonomy), lambda: Country.objects.order_by("id")),
        Table("themes", "Themes", Theme, _columns(Theme, *taxonomy), lambda: Theme.objects.order_by("id")),
        Table("commitments", "Published commitments", Commitment,
              _columns(Commitment, "id", "slug", "title", "quote", "quote_context", "source", "attributed_to",
                       "location", "statement_type", "scope_note", "date_made", "date_note", "due_date", "due_text",
                       "actors_basis", "actors_note", "other_countries", "current_status", "current_status_date",
                       "is_synthetic"),
              lambda: Commitment.objects.public().order_by("id"),
              foreign_keys=(("source_id", "sources"), ("attributed_to_id", "sources")),
              extra={"state": published}),
        _link("commitment_actors", "Responsible actors of each commitment", "actors", "actors", "actor_id"),
        _link("commitment_countries", "Partner countries of each commitment", "countries", "countries",
              "country_id"),
        _link("commitment_themes", "Themes of each commitment", "themes", "themes", "theme_id"),
        _link("commitment_related", "Overlapping commitments (each pair once, lower id first)", "related",
              "commitments", "related_id"),
        Table("status_updates", "Published status updates of published commitments", StatusUpdate,
              _columns(StatusUpdate, "id", "commitment", "status", "as_of", "summary", "confidence", "published_at",
                       "is_synthetic", required=("published_at",)),
              lambda: StatusUpdate.objects.public().order_by("id"),
              foreign_keys=(("commitment_id", "commitments"),)),
        Table("evidence", "Evidence behind the published status updates", Evidence,
              _columns(Evidence, "id", "commitment", "status_update", "title", "publisher", "date", "url",
                       "document", "stance", "description", "quote", "is_synthetic", required=("status_update",)),
              lambda: Evidence.objects.filter(
                  commitment__state=published,
                  status_update__published_at__isnull=False,
                  status_update__commitment__state=published,
              ).order_by("id"),
              foreign_keys=(("commitment_id", "commitments"), ("status_update_id", "status_updates"))),
        Table("progress_reports", "Published progress reports, with their frozen snapshot", ProgressReport,
              _columns(ProgressReport, "id", "slug", "title", "period_label", "start", "end", "introduction",
                       "supersedes", "published_at", "snapshot", required=("published_at",)),
              lambda: ProgressReport.objects.filter(state=ProgressReport.State.PUBLISHED).order_by("id"),
              foreign_keys=(("supersedes_id", ""),),
              extra={"state": ProgressReport.State.PUBLISHED}),
    )


# --- values in the files --------------------------------------------------------------------


def _iso_datetime(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _sorted(value):
    """An object with its keys in sorted order at every level: PostgreSQL's jsonb keeps its own key order,
    SQLite the order written, and the dump must read the same from both."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def csv_value(column: Column, value) -> str:
    if value is None:
        return ""
    if column.type == "boolean":
        return "true" if value else "false"
    if column.type == "datetime":
        return _iso_datetime(value)
    if column.type == "date":
        return value.isoformat()
    if column.type == "object":
        return json.dumps(_sorted(value), ensure_ascii=False)
    return str(value)


def json_value(column: Column, value):
    if isinstance(value, datetime):
        return _iso_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if column.type == "object":
        return _sorted(value)
    return value


_INTEGER = re.compile(r"-?[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})")


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def parse_value(column: Column, text: str):
    """The typed value of one CSV cell; ValueError with a plain message if it is not one."""
    if text == "":
        if column.required and column.type != "string":
            raise ValueError("is empty; a value is required")
        return "" if column.type == "string" else None
    kind = column.type
    try:
        if kind == "integer" and _INTEGER.fullmatch(text):
            return int(text)
        if kind == "boolean" and text in ("true", "false"):
            return text == "true"
        if kind == "date" and _DATE.fullmatch(text):
            return date.fromisoformat(text)
        if kind == "datetime" and _DATETIME.fullmatch(text):
            return datetime.fromisoformat(text)
        if kind == "object":
            value = json.loads(text)
            if isinstance(value, dict):
                return value
        if kind == "string":
            return text
    except ValueError:
        pass
    expected = {
        "integer": "a whole number",
        "boolean": "true or false",
        "date": "a date (YYYY-MM-DD)",
        "datetime": "a date and time (YYYY-MM-DDThh:mm:ssZ)",
        "object": "a JSON object",
    }[kind]
    raise ValueError(f"{_short(text)} is not {expected}")


# --- export ---------------------------------------------------------------------------------


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
        "sources, actors, countries and themes; their published status updates and the evidence behind them; "
        "published progress reports with their frozen figures. Drafts, archived commitments, evidence not yet "
        "used in a published assessment, staff accounts, internal notes and the change history are not included. "
        "Each table is given as CSV (UTF-8, header row; lists as link tables) and as JSON. "
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


# --- import: check ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class DatasetInvalid(Exception):
    """The dump has problems; nothing was written. ``problems`` lists them (at most MAX_PROBLEMS)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(str(problems[0]))
        self.problems = problems


class _TooMany(Exception):
    pass


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


def _read_csv(folder: Path, table: Table) -> Iterator[tuple[int, dict[str, str]]]:
    """(line where the record starts, raw values by column) for each record; the header is checked before."""
    with open(folder / table.csv, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, strict=True)
        next(reader)
        line = reader.line_num + 1
        for record in reader:
            start, line = line, reader.line_num + 1
            if len(record) != len(table.columns):
                raise _RowError(
                    table.csv, start, f"{len(record)} values where the header has {len(table.columns)} columns"
                )
            yield start, dict(zip(table.names, record, strict=True))


class _RowError(Exception):
    def __init__(self, file: str, line: int | None, message: str) -> None:
        super().__init__(message)
        self.problem = Problem(file, line, message)


class _Checker:
    """Pass one: read every file, keep only keys (ids, slugs, links), collect problems."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.problems: list[Problem] = []
        self.package: dict = {}
        self.ids: dict[str, set[int]] = {}
        self.counts: dict[str, int] = {}
        self.update_commitment: dict[int, int] = {}
        self.latest: dict[int, tuple] = {}  # commitment id -> (as_of, published_at, id, status)
        self.dumped_status: dict[int, tuple] = {}  # commitment id -> (line, status, status date)

    def problem(self, file: str, line: int | None, message: str) -> None:
        self.problems.append(Problem(file, line, message))
        if len(self.problems) >= MAX_PROBLEMS:
            raise _TooMany

    def run(self) -> list[Problem]:
        try:
            self.check_package()
            if not self.problems:
                self.check_files()
            if not self.problems:
                for table in tables():
                    self.check_rows(table)
            if not self.problems:
                self.check_statuses()
            if not self.problems:
                self.check_json_and_hashes()
        except _TooMany:
            pass
        return self.problems

    # datapackage.json and the files' presence and headers

    def check_package(self) -> None:
        path = self.folder / PACKAGE
        if not self.folder.is_dir():
            return self.problem(str(self.folder), None, "no such folder")
        if not path.is_file():
            return self.problem(PACKAGE, None, f"missing: {self.folder} holds no {PACKAGE}, so it is not a dump")
        try:
            package = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            return self.problem(PACKAGE, getattr(exc, "lineno", None), f"not valid JSON ({exc})")
        if not isinstance(package, dict) or not isinstance(package.get("resources"), list):
            return self.problem(PACKAGE, None, "not a data package: it has no 'resources' list")
        if package.get("tracker_format_version") != FORMAT_VERSION:
            return self.problem(
                PACKAGE, None,
                f"tracker_format_version is {package.get('tracker_format_version')!r}; this version reads "
                f"{FORMAT_VERSION}",
            )
        self.package = package
        by_name = {r.get("name"): r for r in package["resources"] if isinstance(r, dict)}
        for table in tables():
            for name, path_ in ((table.name, table.csv), (f"{table.name}-json", table.json)):
                resource = by_name.get(name)
                if resource is None:
                    self.problem(PACKAGE, None, f"no resource named '{name}'")
                elif resource.get("path") != path_:
                    self.problem(PACKAGE, None, f"resource '{name}' has path {resource.get('path')!r}, not '{path_}'")
            resource = by_name.get(table.name) or {}
            fields = [f.get("name") for f in (resource.get("schema") or {}).get("fields", []) if isinstance(f, dict)]
            if resource and fields != table.names:
                self.problem(PACKAGE, None, f"resource '{table.name}' lists fields {fields}, expected {table.names}")

    def resource(self, name: str) -> dict:
        return next(r for r in self.package["resources"] if isinstance(r, dict) and r.get("name") == name)

    def check_files(self) -> None:
        for table in tables():
            for name in (table.csv, table.json):
                if not (self.folder / name).is_file():
                    self.problem(name, None, "missing file")
            if not (self.folder / table.csv).is_file():
                continue
            try:
                with open(self.folder / table.csv, encoding="utf-8", newline="") as f:
                    header = next(csv.reader(f, strict=True), None)
            except (UnicodeDecodeError, csv.Error) as exc:
                self.problem(table.csv, 1, f"unreadable header ({exc})")
                continue
            if header is None:
                self.problem(table.csv, 1, "empty file: no header row")
            elif header != table.names:
                missing = [n for n in table.names if n not in header]
                extra = [n for n in header if n not in table.names]
                detail = "; ".join(
                    part for part in (
                        f"missing column(s) {', '.join(missing)}" if missing else "",
                        f"unexpected column(s) {', '.join(extra)}" if extra else "",
                    ) if part
                ) or "columns in another order"
                self.problem(table.csv, 1, f"bad header: {detail}; expected {','.join(table.names)}")

    # rows

    def check_rows(self, table: Table) -> None:
        ids, seen_keys = set(), set()
        unique = {c.name: set() for c in table.columns if c.unique and c.name != "id"}
        pending_self = []  # (line, column, id) for self-references, checked once the table is read
        count = 0
        try:
            for line, raw in _read_csv(self.folder, table):
                count += 1
                values = self.parse_row(table, line, raw)
                if values is None:
                    if _INTEGER.fullmatch(raw.get("id", "")):
                        ids.add(int(raw["id"]))  # so rows pointing at it are not reported as well
                    continue
                key = tuple(values[k] for k in table.primary_key)
                if key in seen_keys:
                    self.problem(table.csv, line, f"duplicate {'/'.join(table.primary_key)} {'/'.join(map(str, key))}")
                seen_keys.add(key)
                if "id" in values:
                    ids.add(values["id"])
                for name, seen in unique.items():
                    if values[name] in seen:
                        self.problem(table.csv, line, f"{name}: {values[name]!r} appears twice")
                    seen.add(values[name])
                for column, target in table.foreign_keys:
                    value = values[column]
                    if value is None:
                        continue
                    if target == "":
                        pending_self.append((line, column, value))
                    elif value not in self.ids[target]:
                        self.problem(table.csv, line, f"{column} {value} is not an id in {target}.csv")
                self.check_rules(table, line, values)
        except _RowError as exc:
            self.problem(exc.problem.file, exc.problem.line, exc.problem.message)
        except (UnicodeDecodeError, csv.Error) as exc:
            self.problem(table.csv, None, f"unreadable ({exc})")
        for line, column, value in pending_self:
            if value not in ids:
                self.problem(table.csv, line, f"{column} {value} is not an id in {table.csv}")
        self.ids[table.name] = ids
        self.counts[table.name] = count
        expected = self.resource(table.name).get("rows")
        if expected is not None and expected != count:
            self.problem(table.csv, None, f"{count} rows, but {PACKAGE} says {expected} (is the file cut short?)")

    def parse_row(self, table: Table, line: int, raw: dict[str, str]) -> dict | None:
        values, ok = {}, True
        for column in table.columns:
            try:
                values[column.name] = parse_value(column, raw[column.name])
            except ValueError as exc:
                self.problem(table.csv, line, f"{column.name}: {exc}")
                ok = False
        if not ok:
            return None
        if table.model._meta.auto_created:  # a link table: ids only
            return values
        obj = table.model(**{c.attr: values[c.name] for c in table.columns}, **table.extra)
        relations = [f.name for f in table.model._meta.concrete_fields if f.is_relation]
        try:
            obj.clean_fields(exclude=relations)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    self.problem(table.csv, line, f"{name}: {message}")
            return None
        return values

    def check_rules(self, table: Table, line: int, v: dict) -> None:
        """The database's own constraints and the links between tables that a foreign key cannot say."""
        file = table.csv
        if table.name == "countries" and not re.fullmatch(r"[a-z]{2}", v["slug"]):
            self.problem(file, line, f"slug {v['slug']!r} is not a two-letter lower-case ISO code")
        elif table.name == "commitments":
            if v["due_date"] and v["date_made"] and v["due_date"] < v["date_made"]:
                self.problem(file, line, "due_date is before date_made")
            self.dumped_status[v["id"]] = (line, v["current_status"], v["current_status_date"])
        elif table.name == "commitment_related" and v["commitment_id"] >= v["related_id"]:
            self.problem(file, line, "each pair is written once, lower id first (commitment_id < related_id)")
        elif table.name == "status_updates":
            self.update_commitment[v["id"]] = v["commitment_id"]
            key = (v["as_of"], v["published_at"], v["id"], v["status"])
            if key > self.latest.get(v["commitment_id"], (date.min,)):
                self.latest[v["commitment_id"]] = key
        elif table.name == "evidence":
            if self.update_commitment.get(v["status_update_id"], v["commitment_id"]) != v["commitment_id"]:
                self.problem(file, line, f"status update {v['status_update_id']} belongs to another commitment")
            if not v["url"] and not v["document"]:
                self.problem(file, line, "neither url nor document is given")
            if not v["stance"]:
                self.problem(file, line, "stance is empty; evidence of a status update supports or contradicts it")
        elif table.name == "progress_reports":
            if v["end"] < v["start"]:
                self.problem(file, line, "end is before start")
            if v["supersedes_id"] == v["id"]:
                self.problem(file, line, "a report cannot supersede itself")

    def check_statuses(self) -> None:
        """Each commitment's current status must be the one its published updates give."""
        for pk, (line, status, status_date) in self.dumped_status.items():
            latest = self.latest.get(pk)
            expected = (latest[3], latest[0]) if latest else ("not_assessed", None)
            if (status, status_date) != expected:
                said = f"{expected[0]} as of {expected[1]}" if expected[1] else expected[0]
                self.problem(
                    "commitments.csv", line,
                    f"current_status {status} ({status_date or 'no date'}) is not what its updates in "
                    f"status_updates.csv give ({said})",
                )

    def check_json_and_hashes(self) -> None:
        for table in tables():
            self.check_json(table)
        for table in tables():
            for resource in (self.resource(table.name), self.resource(f"{table.name}-json")):
                self.check_size_and_hash(resource)

    def check_size_and_hash(self, resource: dict) -> None:
        """Checked last, so a damaged row is named by its line first; this catches what parses but differs."""
        path = self.folder / resource["path"]
        size, digest = resource.get("bytes"), resource.get("hash")
        if size is not None and path.stat().st_size != size:
            self.problem(resource["path"], None, f"{path.stat().st_size} bytes, but {PACKAGE} says {size}")
        elif digest and digest.startswith("sha256:") and _sha256(path) != digest.removeprefix("sha256:"):
            self.problem(resource["path"], None, f"its SHA-256 differs from the hash in {PACKAGE}: changed or damaged")

    def check_json(self, table: Table) -> None:
        """The JSON copy: an array with one object per line, as many as the CSV has rows, same ids."""
        count, lines = 0, 0
        try:
            with open(self.folder / table.json, encoding="utf-8") as f:
                for lines, text in enumerate(f, start=1):
                    text = text.rstrip("\n")
                    if lines == 1 and text in ("[", "[]"):
                        continue
                    if text == "]":
                        continue
                    item = json.loads(text.removesuffix(","))
                    if not isinstance(item, dict) or list(item) != table.names:
                        raise ValueError(f"not an object with the fields {', '.join(table.names)}")
                    count += 1
        except (ValueError, UnicodeDecodeError) as exc:
            return self.problem(table.json, lines or None, f"not in the layout export_dataset writes ({exc})")
        if count != self.counts[table.name]:
            self.problem(table.json, None, f"{count} rows where {table.csv} has {self.counts[table.name]}")


def check_dataset(directory: str | Path) -> list[Problem]:
    """Every problem of the dump in ``directory`` (empty: it can be imported). Reads only."""
    return _Checker(Path(directory)).run()


# --- import: write ----------------------------------------------------------------------------


def _parsed(folder: Path, table: Table) -> Iterator[dict]:
    for _, raw in _read_csv(folder, table):
        yield {c.attr: parse_value(c, raw[c.name]) for c in table.columns}


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
    for values in _parsed(folder, table):
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
    with transaction.atomic():
        _refuse_if_not_empty()  # again, inside the transaction
        for table in tables():
            counts[table.name] = 0
            history = getattr(table.model, "history", None) if not table.model._meta.auto_created else None
            for batch in _batches(_objects(folder, table)):
                table.model.objects.bulk_create(batch)
                if history is not None:
                    history.bulk_history_create(batch, default_change_reason=HISTORY_REASON, default_date=when)
                counts[table.name] += len(batch) // (2 if table.name == "commitment_related" else 1)
        _write_m2m_history(when)
        for commitment in Commitment.objects.only("id", "current_status", "current_status_date").iterator():
            services.refresh_current_status(commitment=commitment)
        _advance_sequences()
        cache.bump()
    return counts
