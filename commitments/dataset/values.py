"""Values in the files: how a cell is written to CSV and JSON, and how a JSON value is read back.

The JSON copy holds every value exactly; it is what ``import_dataset`` reads. The CSV copy is for
spreadsheets: a text cell that a spreadsheet would run as a formula gets a leading apostrophe, by
the very function ``/commitments/export.csv`` uses (``exports.neutralise``). That is not
reversible (a typed ``'=x`` and a neutralised ``=x`` read the same), which is why the restore reads
JSON and only checks that the CSV says the same.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

from ..spreadsheet import neutralise
from .schema import Column


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


def csv_value(column: Column, value, *, neutralised: bool = True) -> str:
    """The CSV cell; ``neutralised=False`` gives the raw text of format version 1 (before neutralising)."""
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
    if column.type == "string" and neutralised:
        return neutralise(value)
    return str(value)


def json_value(column: Column, value):
    if value is None and column.type == "string":
        return ""  # text is never null in the dump (a slug column naming no row, e.g. an overall update's country)
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


def _shown(value) -> str:
    """A value as a message shows it: text quoted, anything else as JSON; both cut short."""
    if isinstance(value, str):
        return _short(value)
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_value(column: Column, value):
    """The typed value of one field of a JSON row; ValueError with a plain message if it is not one."""
    kind = column.type
    if value is None:
        if kind == "string":
            raise ValueError('is null; text is expected ("" when empty)')
        if column.required:
            raise ValueError("is null; a value is required")
        return None
    try:
        if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind == "boolean" and isinstance(value, bool):
            return value
        if kind == "date" and isinstance(value, str) and _DATE.fullmatch(value):
            return date.fromisoformat(value)
        if kind == "datetime" and isinstance(value, str) and _DATETIME.fullmatch(value):
            return datetime.fromisoformat(value)
        if kind == "object" and isinstance(value, dict):
            return value
        if kind == "string" and isinstance(value, str):
            return value
    except ValueError:
        pass
    expected = {
        "integer": "a whole number",
        "boolean": "true or false",
        "date": "a date (YYYY-MM-DD)",
        "datetime": "a date and time (YYYY-MM-DDThh:mm:ssZ)",
        "object": "a JSON object",
        "string": "text",
    }[kind]
    raise ValueError(f"{_shown(value)} is not {expected}")
