"""Validating a dump before anything is written: the package, every file, every row, the links between them.

The rows are read from the JSON copy, which holds every value exactly (the CSV copy neutralises
formulas for spreadsheets, which cannot be undone); each CSV row must say what its JSON row says.
Value problems are named by JSON file and line (one row a line); a CSV that disagrees, by CSV
file and physical line.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError

from .. import dates
from ..uploads import unsafe_document_name
from .export import _sha256
from .schema import FORMAT_VERSION, PACKAGE, READABLE_VERSIONS, Table, tables
from .values import _short, csv_value, parse_value

MAX_PROBLEMS = 50


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


@contextmanager
def _csv_field_limit(path: Path) -> Iterator[None]:
    """Let a cell be as long as the file: csv's default limit (131,072 characters) is below what a text
    field may hold. The limit is process-wide, so it is put back after."""
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, path.stat().st_size))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _read_csv(folder: Path, table: Table) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, its cells) for each record; the header is checked before."""
    path = folder / table.csv
    with _csv_field_limit(path), open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, strict=True)
        try:
            next(reader)
            line = reader.line_num + 1
            for record in reader:
                start, line = line, reader.line_num + 1
                if len(record) != len(table.columns):
                    raise _RowError(
                        table.csv, start, f"{len(record)} values where the header has {len(table.columns)} columns"
                    )
                yield start, record
        except (UnicodeDecodeError, csv.Error) as exc:
            raise _RowError(table.csv, reader.line_num or None, f"unreadable ({exc})") from None


def _read_json(folder: Path, table: Table) -> Iterator[tuple[int, dict]]:
    """(line, object) for each row of the JSON copy, in the layout export_dataset writes: ``[`` on the first
    line, one object a line with a comma after each but the last, ``]`` on the last line (``[]`` if empty).

    Its values are read as they are, whatever their length: this is the copy that is restored.
    """
    path, name = folder / table.json, table.json
    with open(path, encoding="utf-8") as f:
        lines = enumerate(f, start=1)
        try:
            first = next(lines, (1, ""))[1].rstrip("\n")
            if first not in ("[", "[]"):
                raise _RowError(name, 1, "not in the layout export_dataset writes: the first line is not '['")
            closed, comma = first == "[]", None  # comma: whether the last object line ended with one
            for number, text in lines:
                text = text.rstrip("\n")
                if closed:
                    if text.strip():
                        raise _RowError(name, number, "text after the closing ']'")
                    continue
                if text == "]":
                    if comma:
                        raise _RowError(name, number - 1, "a comma after the last object")
                    closed = True
                    continue
                if comma is False:
                    raise _RowError(name, number - 1, "no comma after the object")
                comma = text.endswith(",")
                try:
                    item = json.loads(text.removesuffix(","))
                except ValueError as exc:
                    raise _RowError(name, number, f"not valid JSON ({exc})") from None
                if not isinstance(item, dict) or list(item) != table.names:
                    raise _RowError(name, number, f"not an object with the fields {', '.join(table.names)}")
                yield number, item
        except UnicodeDecodeError as exc:
            raise _RowError(name, None, f"unreadable ({exc})") from None
    if not closed:
        raise _RowError(name, None, "no closing ']' (is the file cut short?)")


# Per table: (date column, its precision column, which day of the period it is stored as).
DATED = {
    "sources": (("date", "date_precision", dates.START),),
    "commitments": (
        ("date_made", "date_made_precision", dates.START),
        ("due_date", "due_precision", dates.END),
        ("expected_end", "expected_end_precision", dates.END),
    ),
    "status_updates": (("as_of", "as_of_precision", dates.START),),
    "evidence": (("date", "date_precision", dates.START),),
}


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
        self.neutralised = FORMAT_VERSION >= 2
        self.tables = tables()  # as the dump's format version has them, once its package is read
        self.ids: dict[str, set[int]] = {}
        self.counts: dict[str, int] = {}
        self.update_commitment: dict[int, int] = {}
        self.latest: dict[int, tuple] = {}  # commitment id -> (as_of, published_at, id, status)
        self.dumped_status: dict[int, tuple] = {}  # commitment id -> (line, status, status date)
        self.slugs: dict[str, dict[str, int]] = {}  # table -> slug -> id (for columns that name a row by slug)
        self.per_country: set[int] = set()  # ids of commitments assessed per country (format 5 on)
        self.filed: set[tuple[int, int]] = set()  # (commitment id, country id) of commitment_countries.json

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
                for table in self.tables:
                    self.check_rows(table)
            if not self.problems:
                self.check_statuses()
            if not self.problems:
                self.check_hashes()
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
        version = package.get("tracker_format_version")
        if version not in READABLE_VERSIONS or isinstance(version, bool):
            return self.problem(
                PACKAGE, None,
                f"tracker_format_version is {version!r}; this version reads "
                f"{' or '.join(map(str, READABLE_VERSIONS))}",
            )
        self.package = package
        self.neutralised = version >= 2  # version 1 wrote the CSV's text raw
        self.tables = tables(version)
        by_name = {r.get("name"): r for r in package["resources"] if isinstance(r, dict)}
        for table in self.tables:
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
        for table in self.tables:
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
        """Each JSON row (types, field rules, keys, links), and the CSV row beside it."""
        ids, seen_keys = set(), set()
        unique = {c.name: set() for c in table.columns if c.unique and c.name != "id"}
        pending_self = []  # (line, column, id) for self-references, checked once the table is read
        count = csv_count = 0
        csv_rows = _read_csv(self.folder, table)
        try:
            for line, item in _read_json(self.folder, table):
                count += 1
                values = self.parse_row(table, line, item)
                csv_row = next(csv_rows, None)
                csv_count += csv_row is not None
                if values is None:
                    if isinstance(item.get("id"), int):
                        ids.add(item["id"])  # so rows pointing at it are not reported as well
                    continue
                if csv_row is not None:
                    self.compare_csv(table, csv_row, line, values)
                key = tuple(values[k] for k in table.primary_key)
                if key in seen_keys:
                    self.problem(table.json, line, f"duplicate {'/'.join(table.primary_key)} {'/'.join(map(str, key))}")
                seen_keys.add(key)
                if "id" in values:
                    ids.add(values["id"])
                for name, seen in unique.items():
                    if values[name] in seen:
                        self.problem(table.json, line, f"{name}: {values[name]!r} appears twice")
                    seen.add(values[name])
                for column, target in table.foreign_keys:
                    value = values[column]
                    if value is None:
                        continue
                    if target == "":
                        pending_self.append((line, column, value))
                    elif value not in self.ids[target]:
                        self.problem(table.json, line, f"{column} {value} is not an id in {target}.json")
                for column, target, _ in table.slug_keys:
                    if values.get(column) and values[column] not in self.slugs.get(target, {}):
                        self.problem(table.json, line, f"{column} {values[column]!r} is not a slug in {target}.json")
                if "slug" in values and "id" in values:
                    self.slugs.setdefault(table.name, {})[values["slug"]] = values["id"]
                self.check_rules(table, line, values)
            csv_count += sum(1 for _ in csv_rows)
        except _RowError as exc:
            self.problem(exc.problem.file, exc.problem.line, exc.problem.message)
            csv_count = None
        finally:
            csv_rows.close()
        for line, column, value in pending_self:
            if value not in ids:
                self.problem(table.json, line, f"{column} {value} is not an id in {table.json}")
        self.ids[table.name] = ids
        self.counts[table.name] = count
        if csv_count is None:
            return
        expected = self.resource(table.name).get("rows")
        if expected is not None and expected != csv_count:
            self.problem(table.csv, None, f"{csv_count} rows, but {PACKAGE} says {expected} (is the file cut short?)")
        elif csv_count != count:
            self.problem(table.json, None, f"{count} rows where {table.csv} has {csv_count}")

    def compare_csv(self, table: Table, csv_row: tuple[int, list[str]], json_line: int, values: dict) -> None:
        """The CSV row must be what export_dataset writes for the JSON row: the two copies say the same."""
        line, cells = csv_row
        for column, cell in zip(table.columns, cells, strict=True):
            expected = csv_value(column, values[column.name], neutralised=self.neutralised)
            if cell != expected:
                return self.problem(
                    table.csv, line,
                    f"{column.name} is {_short(cell)} but {table.json}, line {json_line} gives {_short(expected)}; "
                    "the two copies differ",
                )

    def parse_row(self, table: Table, line: int, item: dict) -> dict | None:
        values, ok = {}, True
        for column in table.columns:
            try:
                values[column.name] = parse_value(column, item[column.name])
            except ValueError as exc:
                self.problem(table.json, line, f"{column.name}: {exc}")
                ok = False
        if not ok:
            return None
        if table.model._meta.auto_created:  # a link table: ids only
            return values
        # A column that names a row by slug (``attr`` a lookup such as ``country__slug``) is checked by the caller.
        obj = table.model(**{c.attr: values[c.name] for c in table.columns if "__" not in c.attr}, **table.extra)
        relations = [f.name for f in table.model._meta.concrete_fields if f.is_relation]
        try:
            obj.clean_fields(exclude=relations)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    self.problem(table.json, line, f"{name}: {message}")
            return None
        return values

    def check_rules(self, table: Table, line: int, v: dict) -> None:
        """The database's own constraints and the links between tables that a foreign key cannot say."""
        file = table.json
        for day, precision, bound in DATED.get(table.name, ()):
            if precision in v:  # a dump older than format 3 has no precisions: every date is a day
                message = dates.clean_dated(v[day], v[precision], bound)
                if message:
                    self.problem(file, line, f"{day}: {message}")
        if table.name == "countries" and not re.fullmatch(r"[a-z]{2}", v["slug"]):
            self.problem(file, line, f"slug {v['slug']!r} is not a two-letter lower-case ISO code")
        elif table.name == "commitments":
            if v["due_date"] and v["date_made"] and v["due_date"] < v["date_made"]:
                self.problem(file, line, "due_date is before date_made")
            if v["due_date"] and not v["due_text"]:
                self.problem(file, line, "due_date without due_text (the source's own words for the deadline)")
            self.dumped_status[v["id"]] = (line, v["current_status"], v["current_status_date"])
            if v.get("assessment_scope") == "per_country":
                self.per_country.add(v["id"])
        elif table.name == "commitment_countries":
            self.filed.add((v["commitment_id"], v["country_id"]))
        elif table.name == "commitment_related" and v["commitment_id"] >= v["related_id"]:
            self.problem(file, line, "each pair is written once, lower id first (commitment_id < related_id)")
        elif table.name == "status_updates":
            self.update_commitment[v["id"]] = v["commitment_id"]
            key = (v["as_of"], v["published_at"], v["id"], v["status"])
            country = v.get("country") or None  # "": an update of the whole commitment
            if country is not None:  # a country update (format 5 on): of a per-country commitment filed under it
                if v["commitment_id"] not in self.per_country:
                    self.problem(file, line, f"country {country!r} is given but commitment {v['commitment_id']} is "
                                 "not assessed per country (its assessment_scope is regional)")
                elif (v["commitment_id"], self.slugs.get("countries", {}).get(country)) not in self.filed:
                    self.problem(file, line, f"country {country!r} is not among the countries of commitment "
                                 f"{v['commitment_id']} in commitment_countries.json")
            if v.get("withdrawn_at") is not None:  # listed, but counts for no status (dumps of format 3 on)
                if not v["withdraw_reason"]:
                    self.problem(file, line, "withdrawn_at is set but withdraw_reason is empty; a withdrawal has one")
            elif country is None and key > self.latest.get(v["commitment_id"], (date.min,)):
                self.latest[v["commitment_id"]] = key
        elif table.name == "evidence":
            if self.update_commitment.get(v["status_update_id"], v["commitment_id"]) != v["commitment_id"]:
                self.problem(file, line, f"status update {v['status_update_id']} belongs to another commitment")
            if not v["url"] and not v["document"]:
                self.problem(file, line, "neither url nor document is given")
            if v["document"] and (reason := unsafe_document_name(v["document"])):
                self.problem(file, line, f"document {v['document']!r} {reason}")
            if not v["stance"]:
                self.problem(file, line, "stance is empty; evidence of a status update supports or contradicts it")
        elif table.name == "progress_reports":
            if v["end"] < v["start"]:
                self.problem(file, line, "end is before start")
            if v["supersedes_id"] == v["id"]:
                self.problem(file, line, "a report cannot supersede itself")

    def check_statuses(self) -> None:
        """Each commitment's current status must be the one its published overall updates give (those naming no
        country: a country update describes its country only)."""
        for pk, (line, status, status_date) in self.dumped_status.items():
            latest = self.latest.get(pk)
            expected = (latest[3], latest[0]) if latest else ("not_assessed", None)
            if (status, status_date) != expected:
                said = f"{expected[0]} as of {expected[1]}" if expected[1] else expected[0]
                self.problem(
                    "commitments.json", line,
                    f"current_status {status} ({status_date or 'no date'}) is not what its updates in "
                    f"status_updates.json give ({said})",
                )

    def check_hashes(self) -> None:
        for table in self.tables:
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


def check_dataset(directory: str | Path) -> list[Problem]:
    """Every problem of the dump in ``directory`` (empty: it can be imported). Reads only."""
    return _Checker(Path(directory)).run()
