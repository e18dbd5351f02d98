"""Spreadsheet safety for CSV text, shared by the exports and the data dump (neither imports the other).

Spreadsheets run a cell that starts with one of ``FORMULA_PREFIXES`` as a formula; a leading apostrophe
keeps it text.
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value
