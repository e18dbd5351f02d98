"""JSON Schema (draft 2020-12) of each JSON export, and a Frictionless Table Schema of each CSV, from the
columns declared in ``commitments`` and ``updates``: one declaration, never a second copy to keep in step."""

from __future__ import annotations

from ..languages import CODES as LANGUAGE_CODES
from .columns import Column, Export

FORMAT_VERSION = 3  # of the exports' documents: see README ("Exports") and /about/data/
# 1: {"commitments": [...]}. 2: {"<rows>": [...], "meta": {...}} (the rows' key first, the metadata after the
#    rows, so that its count is the number written); the commitments export gained the columns marked added_in=2.
# 3: ``lang`` adds another language's texts in columns of their own (``language``: only in such a document, so
#    not required), and ``meta.language`` says which; no column was removed or renamed.
DRAFT = "https://json-schema.org/draft/2020-12/schema"

_TYPES = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
    "datetime": {"type": "string", "format": "date-time"},
    "url": {"type": "string", "format": "uri"},
    "list": {"type": "array", "items": {"type": "string"}},
}


def column_schema(column: Column) -> dict:
    """The JSON Schema of one column's value."""
    if column.type == "object":
        schema = dict(column.schema or {"type": "object"})
    elif column.type == "objects":
        schema = {"type": "array", "items": row_schema(column.fields)}
    else:
        schema = dict(_TYPES[column.type])
    if column.nullable:
        schema["type"] = [schema["type"], "null"]
    if column.enum:
        schema["enum"] = [*column.enum, *([None] if column.nullable else [])]
    return {"description": column.description, **schema}


def row_schema(columns: tuple[Column, ...]) -> dict:
    """Every column may be there; all but another language's (present only when ``lang`` asks) must be."""
    return {
        "type": "object",
        "properties": {c.name: column_schema(c) for c in columns},
        "required": [c.name for c in columns if c.language is None],
        "additionalProperties": False,
    }


META = {
    "type": "object",
    "description": "About the document: when and from what it was made, its licence and how to cite it.",
    "properties": {
        "format_version": {"const": FORMAT_VERSION, "description": "The version of this document's format."},
        "export": {"type": "string", "description": "Which export this is (the key of its rows)."},
        "generated_at": {"type": "string", "format": "date-time", "description": "When it was made (UTC)."},
        "data_version": {"type": "string", "description": "The public data version it was read at: it changes "
                         "with every public change, so two documents with the same one hold the same data."},
        "licence": {"type": "object", "description": "The licence of the data.",
                    "properties": {"name": {"type": "string"}, "path": {"type": "string", "format": "uri"},
                                   "title": {"type": "string"}},
                    "required": ["name", "path", "title"]},
        "citation": {"type": "string", "description": "How to cite this document."},
        "count": {"type": "integer", "minimum": 0, "description": "The number of rows."},
        "query": {"type": "object", "description": "The filters applied (each parameter with its values).",
                  "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "url": {"type": "string", "format": "uri", "description": "The address of this document."},
        "schema": {"type": "string", "format": "uri", "description": "The address of this JSON Schema."},
        "documentation": {"type": "string", "format": "uri", "description": "The page describing every column."},
        "language": {"type": "string", "enum": list(LANGUAGE_CODES), "description": (
            "The language whose texts the rows add beside the English ones (the lang parameter, else the "
            "address's language: /ru/… is ru); en: English only.")},
    },
    "required": ["format_version", "export", "generated_at", "data_version", "licence", "citation", "count",
                 "query", "url", "schema", "documentation", "language"],
    "additionalProperties": False,
}


def json_schema(export: Export, *, url: str) -> dict:
    """The JSON Schema of ``export``'s JSON document (``url``: where it is published, its ``$id``)."""
    return {
        "$schema": DRAFT,
        "$id": url,
        "title": f"Commitments Tracker: {export.title.lower()} export (JSON, format version {FORMAT_VERSION})",
        "description": export.description,
        "type": "object",
        "properties": {
            export.name: {"type": "array", "items": row_schema(export.row_columns_in(LANGUAGE_CODES))},
            "meta": META,
        },
        "required": [export.name, "meta"],
        "additionalProperties": False,
    }


_TABLE_TYPES = {"integer": "integer", "boolean": "boolean", "date": "date", "datetime": "datetime"}


def table_schema(columns: list[Column]) -> dict:
    """A Frictionless Table Schema of a CSV with these columns (its cells as ``columns.row_writer`` writes them:
    lists and objects as text, a neutralised text cell with its apostrophe)."""
    fields = []
    for c in columns:
        field = {"name": c.name, "type": _TABLE_TYPES.get(c.type, "string"), "description": c.description}
        if c.type == "boolean":
            field |= {"trueValues": ["yes"], "falseValues": ["no"]}
        if c.type == "datetime":
            field["format"] = "any"  # ISO 8601, with fractions of a second when there are any
        if c.enum and c.type == "string":
            field["constraints"] = {"enum": [v for v in c.enum if v]}
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}
