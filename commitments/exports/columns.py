"""A column of an export, declared once: its name, type, meaning and an example.

Each export (``commitments.COLUMNS``, ``updates.COLUMNS``) is one list of these. The list drives the CSV
header and cells, the JSON rows, the JSON Schema (``schema``) and the documentation page (/about/data/);
the read API (issue 16) can reuse the same declarations. Nothing here reads the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..spreadsheet import neutralise

CSV, JSON = "csv", "json"
BOTH = (CSV, JSON)
LIST_SEPARATOR = "; "  # how a list of slugs or names is written in one CSV cell
# How an export's other languages are asked for (``language``), said in each export's description.
LANG_NOTE = ("lang=ru (or the same address under /ru/) adds the Russian texts, in the columns marked “Only with "
             "lang=ru”, after the English ones; an explicit lang wins over the address; lang=en (the default at "
             "the unprefixed address) gives the English columns only; any other value is refused (400).")

# Types a column may have, and what a reader finds in each format.
TYPES = {
    "string": "text",
    "integer": "a whole number",
    "boolean": "true/false in JSON; yes/no in CSV",
    "date": "an ISO 8601 date (YYYY-MM-DD)",
    "datetime": "an ISO 8601 date and time in UTC (YYYY-MM-DDThh:mm:ssZ)",
    "url": "an absolute URL",
    "list": f"a list of text in JSON; in CSV, the items joined by “{LIST_SEPARATOR}”",
    "object": "a JSON object (JSON only)",
    "objects": "a list of JSON objects; in CSV, that list written as JSON text",
}


@dataclass(frozen=True)
class Column:
    """One column. ``nullable``: JSON null (an empty CSV cell) when there is no value; ``safe``: its values
    can never start a spreadsheet formula (slugs of a fixed list, dates, numbers, our own URLs), so CSV
    writes them as they are; ``fields``: the fields of each object of an ``objects`` column; ``schema``:
    the JSON Schema of an ``object`` column; ``csv_name``: a CSV-only column repeated per country."""

    name: str
    type: str
    description: str
    example: Any = None
    enum: tuple[str, ...] = ()
    nullable: bool = False
    formats: tuple[str, ...] = BOTH
    safe: bool = False
    fields: tuple[Column, ...] = ()
    schema: dict | None = None
    added_in: int = 1  # the export format version that added it
    language: str | None = None  # only in a document that adds this language's texts (``lang``, ``language``)

    def __post_init__(self):
        assert self.type in TYPES, self.type

    @property
    def in_csv(self) -> bool:
        return CSV in self.formats

    @property
    def in_json(self) -> bool:
        return JSON in self.formats


@dataclass(frozen=True)
class Export:
    """One export: its URLs' names, its rows' key in the JSON document, and its columns in order."""

    name: str  # the JSON document's key for the rows ("commitments", "updates")
    title: str
    description: str
    csv_url_name: str
    json_url_name: str
    schema_url_name: str
    columns: tuple[Column, ...]

    @property
    def row_columns(self) -> tuple[Column, ...]:
        """The columns of a JSON row (and of a record) in English, in order."""
        return self.row_columns_in(())

    @property
    def csv_columns(self) -> tuple[Column, ...]:
        return self.csv_columns_in(())

    def row_columns_in(self, others: tuple[str, ...]) -> tuple[Column, ...]:
        """A JSON row's columns in a document that adds the languages ``others`` (``language.others``)."""
        return in_languages(tuple(c for c in self.columns if c.in_json), others)

    def csv_columns_in(self, others: tuple[str, ...]) -> tuple[Column, ...]:
        return in_languages(tuple(c for c in self.columns if c.in_csv), others)


def in_languages(columns: tuple[Column, ...], others: tuple[str, ...]) -> tuple[Column, ...]:
    """``columns`` without those of a language not in ``others``."""
    return tuple(c for c in columns if c.language is None or c.language in others)


def csv_cell(value) -> str:
    """One spreadsheet-safe CSV cell: empty for None, yes/no, lists joined by "; ", formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        value = LIST_SEPARATOR.join(value)
    return neutralise(str(value))


def _cell_expression(column: Column, value: str) -> str:
    """Python source of the CSV cell of ``value`` (an expression reading the record) for ``column``."""
    if column.type == "boolean":
        return f"('yes' if {value} else 'no')"
    if column.type == "list":
        return f"(n(SEPARATOR.join({value})) if {value} else '')"
    if column.type == "objects":
        return f"(dumps({value}, ensure_ascii=False) if {value} else '[]')"  # starts with "[": never a formula
    if column.type == "integer":
        return f"('' if {value} is None else str({value}))"
    if column.safe or column.type in ("date", "datetime"):  # records hold dates as ISO text already
        return f"({value} or '')"
    return f"('' if {value} is None else n({value}))"


def row_writer(columns) -> Callable[[Sequence], list[str]]:
    """A function from a record (its values in the order of ``columns``; more may follow) to its CSV cells.

    Written out from the declarations and compiled once: a call per cell would cost more than the rest of the
    export (it runs for every cell of 100,000 rows). The source is made of constants only, never of data.
    """
    cells = ", ".join(_cell_expression(c, f"r[{i}]") for i, c in enumerate(columns))
    namespace = {"n": neutralise, "dumps": json.dumps, "SEPARATOR": LIST_SEPARATOR}
    exec(compile(f"def write(r):\n    return [{cells}]\n", "<csv row writer>", "exec"), namespace)  # noqa: S102
    return namespace["write"]
