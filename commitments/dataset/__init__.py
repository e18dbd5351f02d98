"""The open-data dump: everything the public can see, as CSV and JSON with a Frictionless ``datapackage.json``.

``export_dataset`` writes the published record and nothing else: published commitments (never
drafts or archived ones), their published status updates (withdrawn ones too, with the withdrawal's
date and reason, as their pages list them; they count for no status), the evidence attached to those updates
(never evidence attached only to a commitment, nor to a draft update: that is unreviewed staff
material), the sources, actors, countries and themes those commitments use (``.public()``: an
entry only a draft uses has no public page, so it is not in the dump either), and the published
progress reports with their frozen snapshot. Fields the public pages do not show stay out too: staff
accounts, a source's notes, research and evidence notes, the admin's change history, internal
timestamps. (The public change history, ``PublicChange``, is not a table of the dump yet: a restored
commitment's history starts empty.) A report's stored PDF stays out as well: it is a rendering of the
snapshot, typeset again on first request. Many-to-many fields are link tables
(``commitment_themes.csv`` …). Rows are streamed in primary-key order from one consistent read, into a
temporary folder beside the target that is renamed into place only when complete.

``import_dataset`` restores such a dump into an empty database: it checks ``datapackage.json`` and
every row of every file first (types, field rules, keys, links, the derived current status, the
files' sizes and hashes) and writes nothing if anything is wrong; then it writes everything in one
transaction, keeping primary keys and slugs. It reads dumps of older format versions too
(``schema.READABLE_VERSIONS``), each in its own layout. It reads the JSON copy, which holds every value
exactly; the CSV copy neutralises spreadsheet formulas as ``export.csv`` does (a leading
apostrophe, which cannot be undone reliably), and the check requires it to say what the JSON says.

One job a module: ``schema`` (the tables and columns), ``values`` (a cell in CSV and JSON),
``export`` (writing a dump), ``check`` (validating one) and ``restore`` (importing it).
"""

from .check import MAX_PROBLEMS, DatasetInvalid, Problem, check_dataset
from .export import DatasetRefused, export_dataset, synthetic_present
from .restore import HISTORY_REASON, import_dataset, tracker_rows
from .schema import (
    BATCH,
    DIALECT,
    FORMAT_VERSION,
    KEYED_MODELS,
    LICENSE,
    PACKAGE,
    SYNTHETIC_MODELS,
    Column,
    Table,
    tables,
)
from .values import csv_value, json_value, parse_value

__all__ = [
    "BATCH",
    "DIALECT",
    "FORMAT_VERSION",
    "HISTORY_REASON",
    "KEYED_MODELS",
    "LICENSE",
    "MAX_PROBLEMS",
    "PACKAGE",
    "SYNTHETIC_MODELS",
    "Column",
    "DatasetInvalid",
    "DatasetRefused",
    "Problem",
    "Table",
    "check_dataset",
    "csv_value",
    "export_dataset",
    "import_dataset",
    "json_value",
    "parse_value",
    "synthetic_present",
    "tables",
    "tracker_rows",
]
