"""Cursor (keyset) pagination that survives changes: a page starts after the last row the client saw.

A cursor holds the sort key of the row it starts after (or before, for ``previous``), not an offset, so a
commitment published or archived meanwhile neither repeats nor skips a row, and a deep page costs what the
first does. Every order ends in the primary key, so keys are unique. Nulls sort last in both directions,
as on the list page (``filtersets.SORTS``).

The cursor is base64 of JSON, checked against the order's key types before it reaches SQL: a malformed or
foreign cursor is a 400 naming ``cursor``, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F, Q
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .errors import ParameterError, parameter_error

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_KEY_TEXT = 1000  # longer than any title or name the record holds


@dataclass(frozen=True)
class Key:
    """One column of an order: its field (or annotation), direction and the type of its values."""

    field: str
    descending: bool = False
    kind: type = str  # str, int, float, date or datetime


def order_by(keys: list[Key], *, reverse: bool = False) -> list:
    """The order of ``keys`` (nulls last), or its exact reverse (nulls first) to walk back from a cursor."""
    out = []
    for key in keys:
        column = F(key.field)
        if key.descending != reverse:
            out.append(column.desc(nulls_first=True) if reverse else column.desc(nulls_last=True))
        else:
            out.append(column.asc(nulls_first=True) if reverse else column.asc(nulls_last=True))
    return out


def _equal(key: Key, value) -> Q:
    return Q(**{f"{key.field}__isnull": True}) if value is None else Q(**{key.field: value})


def _beyond(key: Key, value, *, forward: bool) -> Q:
    """Rows strictly after (``forward``) or before ``value`` in this column's order, nulls last."""
    if value is None:
        return Q(pk__in=[]) if forward else Q(**{f"{key.field}__isnull": False})
    later = "lt" if key.descending else "gt"
    earlier = "gt" if key.descending else "lt"
    if forward:
        return Q(**{f"{key.field}__{later}": value}) | Q(**{f"{key.field}__isnull": True})
    return Q(**{f"{key.field}__{earlier}": value})


def seek(keys: list[Key], values: list, *, forward: bool) -> Q:
    """The rows after (or before) the row whose key is ``values``: for some column, equal on those before
    it and beyond on it."""
    condition = Q(pk__in=[])
    for i, key in enumerate(keys):
        part = _beyond(key, values[i], forward=forward)
        for prior, value in zip(keys[:i], values[:i], strict=True):
            part &= _equal(prior, value)
        condition |= part
    return condition


def _key_values(row, keys: list[Key]) -> list:
    values = []
    for key in keys:
        value = getattr(row, key.field)
        values.append(value.isoformat() if isinstance(value, date) else value)
    return values


def encode(values: list, *, forward: bool) -> str:
    raw = json.dumps({"k": values, "f": forward}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_CURSOR = "Not a cursor of this list: use the next or previous link of a response as it is."


def decode(cursor: str, keys: list[Key]) -> tuple[list, bool]:
    """The key values and direction of ``cursor``, each of its column's type; ``ParameterError`` if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        values, forward = data["k"], data["f"]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise ParameterError([parameter_error("cursor", BAD_CURSOR)]) from None
    if not isinstance(values, list) or len(values) != len(keys) or not isinstance(forward, bool):
        raise ParameterError([parameter_error("cursor", BAD_CURSOR)])
    typed = []
    for key, value in zip(keys, values, strict=True):
        try:
            typed.append(_typed(key, value))
        except (ValueError, TypeError):
            raise ParameterError([parameter_error("cursor", BAD_CURSOR)]) from None
    return typed, forward


def _typed(key: Key, value):
    if value is None:
        return None
    if key.kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
            raise ValueError
        return value
    if key.kind is float:  # a search rank: any finite number JSON carries
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError
        return float(value)
    if not isinstance(value, str) or len(value) > MAX_KEY_TEXT or "\x00" in value:
        raise ValueError
    if key.kind is date:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    if key.kind is datetime:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError
        return moment
    return value


def page_size_of(request) -> int:
    raw = request.query_params.get("page_size")
    if raw in (None, ""):
        return DEFAULT_PAGE_SIZE
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE_SIZE:
        return int(raw)
    raise ParameterError([parameter_error(
        "page_size", f"The page size is a whole number from 1 to {MAX_PAGE_SIZE}.",
        valid=[f"1-{MAX_PAGE_SIZE}"])])


class KeysetPagination(BasePagination):
    """``next`` / ``previous`` links by key; the view gives the order (``view.keyset(request)``) and,
    where it is cheap, ``count`` (``view.count``: None leaves it out)."""

    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        keys = view.keyset(request)
        size = page_size_of(request)
        self.request, self.keys, self.view = request, keys, view
        cursor = request.query_params.get(self.cursor_query_param)
        forward = True
        if cursor:
            values, forward = decode(cursor, keys)
            queryset = queryset.filter(seek(keys, values, forward=forward))
        rows = list(queryset.order_by(*order_by(keys, reverse=not forward))[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if not forward:
            rows.reverse()
        # Forward: a next page if there was one more row; a previous one if we came by a cursor.
        # Backward: the mirror image.
        self.has_next = more if forward else bool(cursor)
        self.has_previous = bool(cursor) if forward else more
        self.rows = rows
        return rows

    def _link(self, row, *, forward: bool) -> str:
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param,
                                   encode(_key_values(row, self.keys), forward=forward))

    def get_next_link(self) -> str | None:
        return self._link(self.rows[-1], forward=True) if self.has_next and self.rows else None

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if not self.rows:  # walked past the end: the previous page is the list's first
            return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
        return self._link(self.rows[0], forward=False)

    def get_paginated_response(self, data):
        body = {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        count = getattr(self.view, "count", None)
        if count is not None:
            body = {"count": count, **body}
        return Response(body)

    def get_paginated_response_schema(self, schema):
        properties = {
            "next": {"type": "string", "format": "uri", "nullable": True,
                     "description": "The next page (absent: this is the last)."},
            "previous": {"type": "string", "format": "uri", "nullable": True,
                         "description": "The previous page (absent: this is the first)."},
            "results": schema,
        }
        required = ["next", "previous", "results"]
        if getattr(self, "counted", False):
            properties = {"count": {"type": "integer", "description": "How many rows the whole list holds."},
                          **properties}
            required = ["count", *required]
        return {"type": "object", "required": required, "properties": properties}

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.cursor_query_param, "required": False, "in": "query",
             "description": "Where a page starts: the value in a response's `next` or `previous` link.",
             "schema": {"type": "string"}},
            {"name": "page_size", "required": False, "in": "query",
             "description": f"Rows a page (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE}).",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE}},
        ]


class CountedKeysetPagination(KeysetPagination):
    """The same, for lists whose ``count`` is always given."""

    counted = True
