"""Values in the files: how a cell is written to CSV and JSON, and how a CSV cell is read back."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

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
