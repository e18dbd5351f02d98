"""Synthetic demo data: a realistic, skewed, deterministic data set for demos and benchmarks.

One job a module:

* ``vocabulary``: what the rows are made of: the fixed calendar, word lists, weights and shares,
  and the field order of each table's rows.
* ``draw``: weighted random draws (Zipf weights, a bisecting picker).
* ``generate``: the generator (``generate_taxonomies``, ``generate_blocks``): pure functions that
  build table rows from a seed with ``random.Random``; no database, and the clock only caps dates.
  The same seed (and sizes) gives the same rows: same slugs, statuses, dates and text.
* ``load``: the writer (``write``): refuses a database holding real rows, optionally deletes earlier
  synthetic rows, and bulk-inserts everything in one transaction with precomputed primary keys
  (``executemany`` on SQLite, ``COPY`` on PostgreSQL), then advances the id sequences and bumps
  the public data version once.

Every row written is marked ``is_synthetic=True``. No history records are written: synthetic
rows have no editorial history. Each commitment's ``current_status`` and ``current_status_date``
are computed here with the project's rule (``querysets.derived_status``): the latest published
overall update by as-of date, ties to the latest ``published_at``, then the highest id
(``status.EFFECTIVE_ORDER``). About one in five commitments with two or more countries is assessed
per country: some of its countries get their own updates (their own path and final status), the
others stay unassessed there; its ``CountryStatus`` rows are derived by the same rule per country
(``services.refresh_country_statuses``), its overall status from the overall updates alone.

The generator's and the writer's functions and classes are re-exported here (``demo_data.write``,
``demo_data.check_target``, ``demo_data.DemoDataRefused``, ``demo_data.generate_blocks``, ...). The
constants are not, as a patch on a copy here would be silently ignored: patch a constant in the
module that reads it (``demo_data.generate.BLOCK``; the generator imports the vocabulary by name,
so also ``demo_data.generate.NO_UPDATES_SHARE``, and the writer's fields in ``demo_data.load``).
"""

from .draw import zipf_weights
from .generate import (
    Block,
    IdBase,
    Taxonomies,
    actor_names,
    generate_blocks,
    generate_taxonomies,
    source_count,
    update_count,
)
from .load import DemoDataRefused, Summary, check_target, write

__all__ = [
    # load: writing to the database
    "DemoDataRefused", "Summary", "check_target", "write",
    # generate: pure generation (and draw: weighted draws)
    "Block", "IdBase", "Taxonomies", "actor_names", "generate_blocks", "generate_taxonomies", "source_count",
    "update_count", "zipf_weights",
]  # fmt: skip
