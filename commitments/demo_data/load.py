"""Writing the demo rows to the database: refuse a database holding real rows, optionally delete the
earlier synthetic rows, then bulk-load what ``generate`` makes in one transaction (``executemany`` on
SQLite, ``COPY`` on PostgreSQL) and bump the public data version once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

from django.db import connections, transaction

from ..taxonomy import LINKED, link_table
from .generate import IdBase, generate_blocks, generate_taxonomies
from .vocabulary import (
    ACTOR_FIELDS,
    COMMITMENT_FIELDS,
    COUNTRY_FIELDS,
    COUNTRY_STATUS_FIELDS,
    EVIDENCE_FIELDS,
    SOURCE_FIELDS,
    THEME_FIELDS,
    UPDATE_FIELDS,
)


class DemoDataRefused(Exception):
    """The database is not one the demo data may be written to; the message says why, in one line."""


@dataclass
class Summary:
    commitments: int = 0
    updates: int = 0
    draft_updates: int = 0
    evidence: int = 0
    country_updates: int = 0
    per_country: int = 0
    themes: int = 0
    countries: int = 0
    actors: int = 0
    sources: int = 0
    links: int = 0
    replaced: bool = False
    seconds: float = 0.0
    vendor: str = ""

    def line(self) -> str:
        replaced = " (replacing the earlier synthetic data)" if self.replaced else ""
        return (
            f"Generated {self.commitments:,} commitments ({self.per_country:,} assessed per country), "
            f"{self.updates:,} status updates ({self.draft_updates:,} drafts, {self.country_updates:,} for one "
            f"country), {self.evidence:,} evidence, {self.sources:,} sources, "
            f"{self.themes} themes, {self.countries} countries, {self.actors} actors and {self.links:,} "
            f"taxonomy links{replaced} in {self.seconds:.1f} s ({self.vendor})."
        )


def _models():
    """The models holding demo rows, children first."""
    from ..models import Actor, Commitment, Country, Evidence, Source, StatusUpdate, Theme

    return [Evidence, StatusUpdate, Commitment, Source, Theme, Country, Actor]


def _log_tables() -> list[str]:
    """The public change log and the revisions: they name demo rows, and go with them (they hold no others:
    a database with any real row is refused before anything is deleted)."""
    from ..models import PublicChange, Revision

    return [PublicChange._meta.db_table, Revision._meta.db_table]


def _through_models():
    from ..models import Commitment

    return [*(link_table(t.relation)[0] for t in LINKED.values()), Commitment.related.through]


def _tables() -> list[str]:
    """Every table the demo data lives in, children first (the derived country statuses before the updates
    they name)."""
    from ..models import CountryStatus

    models = _models()
    return [m._meta.db_table for m in [CountryStatus, *models[:2], *_through_models(), *models[2:]]]


def check_target(*, replace: bool, using: str = "default") -> None:
    """Raise DemoDataRefused if real rows are present, or synthetic ones are and ``replace`` is off."""
    real = [
        str(m._meta.verbose_name_plural)
        for m in _models()
        if m.objects.using(using).filter(is_synthetic=False).exists()
    ]
    if real:
        raise DemoDataRefused(
            f"Refused: this database holds real (non-synthetic) data ({', '.join(reversed(real))}); "
            "demo data is only ever written to a database of its own."
        )
    if not replace and any(m.objects.using(using).exists() for m in _models()):
        raise DemoDataRefused(
            "Refused: this database already holds synthetic demo data; run again with --replace to replace it."
        )


def _max_id(cursor, qn, model) -> int:
    """Highest id used by the table or (for models with history) its history table: ids are never reused,
    so no old history record can attach itself to a new synthetic row."""
    tables = [model._meta.db_table]
    history = getattr(model, "history", None)
    if history is not None:
        tables.append(history.model._meta.db_table)
    top = 0
    for table in tables:
        cursor.execute(f"SELECT MAX(id) FROM {qn(table)}")  # noqa: S608 (table names from model meta)
        top = max(top, cursor.fetchone()[0] or 0)
    return top


def _columns(model, names) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


class _Loader:
    """Bulk loading for one database vendor; used inside the writer's transaction."""

    def __init__(self, connection):
        self.connection = connection
        self.qn = connection.ops.quote_name
        self.cursor = connection.cursor()
        self.raw = self.cursor.cursor  # the DB-API cursor, without Django's debug wrapper
        self.cache_size = None

    def lock(self) -> None:
        """Keep other writers out until commit, so the check stays true (SQLite has one writer anyway)."""
        # A large page cache for this connection while loading: modified pages stay in memory
        # instead of spilling to the journal (restored in end).
        self.cursor.execute("PRAGMA cache_size")
        self.cache_size = self.cursor.fetchone()[0]
        self.cursor.execute("PRAGMA cache_size = -1048576")  # 1 GiB, at most

    def end(self) -> None:
        """Always called, on success or failure."""
        if self.cache_size is not None:
            self.cursor.execute(f"PRAGMA cache_size = {int(self.cache_size)}")
        self.cursor.close()

    def delete_all(self) -> None:
        """Delete every row of the demo tables: only called once they are known to be all synthetic.

        Raw deletes, children first: the ORM's collector would load every row, and
        ``protect_published`` refuses to delete commitments with published updates.
        """
        for table in [*_log_tables(), *_tables()]:
            self.cursor.execute(f"DELETE FROM {self.qn(table)}")  # noqa: S608

    def before_load(self) -> None:
        pass

    def search_triggers_off(self) -> None:
        """The search index's triggers would refresh it once per row: drop them for the load."""
        from .. import sqlite_search

        sqlite_search.drop_triggers(self.cursor)

    def insert(self, table: str, columns: list[str], rows) -> None:
        if rows:
            marks = ", ".join(["%s"] * len(columns))
            names = ", ".join(map(self.qn, columns))
            self.raw.executemany(f"INSERT INTO {self.qn(table)} ({names}) VALUES ({marks})", rows)  # noqa: S608

    def after_load(self) -> None:
        # SQLite's AUTOINCREMENT follows explicit ids by itself: no sequences to advance. The search
        # index is rebuilt in one pass and its triggers restored (all inside the transaction).
        from .. import sqlite_search

        sqlite_search.rebuild(self.cursor)
        sqlite_search.create_triggers(self.cursor)


class _PostgresLoader(_Loader):
    """COPY, with foreign keys and secondary indexes of the loaded tables dropped while loading and
    rebuilt after (one pass each instead of a check and an index entry per row; the full-text
    GIN index above all). All inside the transaction: on any error the schema is as it was."""

    def search_triggers_off(self) -> None:
        """The search document's triggers would rebuild it once per row: drop them for the load."""
        from .. import pg_search

        pg_search.drop_triggers(self.cursor)

    def lock(self) -> None:
        tables = ", ".join(self.qn(t) for t in _tables())
        self.cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")

    def end(self) -> None:
        self.cursor.close()

    def delete_all(self) -> None:
        # Every row is synthetic (checked under the lock): TRUNCATE is the same, and far faster.
        self.cursor.execute(f"TRUNCATE {', '.join(self.qn(t) for t in [*_log_tables(), *_tables()])}")

    def before_load(self) -> None:
        # Constraints cannot be dropped while checks of earlier writes in this transaction are pending.
        self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self.cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        tables = _tables()
        self.cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY conname",
            [tables],
        )
        self.foreign_keys = self.cursor.fetchall()
        self.cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid) ORDER BY 1",
            [tables],
        )
        self.indexes = self.cursor.fetchall()
        for table, name, _ in self.foreign_keys:
            self.cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {self.qn(name)}")
        for name, _ in self.indexes:
            self.cursor.execute(f"DROP INDEX {name}")

    def insert(self, table: str, columns: list[str], rows) -> None:
        if rows:
            with self.raw.copy(f"COPY {self.qn(table)} ({', '.join(map(self.qn, columns))}) FROM STDIN") as copy:
                write = copy.write_row
                for row in rows:
                    write(row)

    def after_load(self) -> None:
        self.cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in self.indexes:
            self.cursor.execute(definition)
        for table, name, definition in self.foreign_keys:
            self.cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {self.qn(name)} {definition}")
        # Later ORM inserts take ids after the explicit ones.
        for table in _tables():
            self.cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "  # noqa: S608
                f"FROM {self.qn(table)}",
                [table],
            )
        for table in _tables():
            self.cursor.execute(f"ANALYZE {self.qn(table)}")
        # The search documents in one pass, then the triggers back (inside the transaction).
        from .. import pg_search

        pg_search.rebuild(self.cursor)
        pg_search.create_triggers(self.cursor)


def write(*, n: int, k: int = 10, seed: int = 0, replace: bool = False, using: str = "default") -> Summary:
    """Generate and write the demo data in one transaction; returns counts and seconds.

    Raises DemoDataRefused (nothing written) if the database holds real data, or synthetic data
    without ``replace``.
    """
    started = time.perf_counter()
    connection = connections[using]
    summary = Summary(vendor=connection.display_name)
    loader = (_PostgresLoader if connection.vendor == "postgresql" else _Loader)(connection)
    try:
        with transaction.atomic(using=using):
            _write(loader, summary, n=n, k=k, seed=seed, replace=replace, using=using)
    finally:
        loader.end()
    summary.seconds = time.perf_counter() - started
    return summary


def _write(loader: _Loader, summary: Summary, *, n: int, k: int, seed: int, replace: bool, using: str) -> None:
    from .. import cache
    from ..models import Actor, Commitment, Country, CountryStatus, Evidence, Source, StatusUpdate, Theme

    m2m = {t.relation: (link_table(t.relation)[0], name) for name, t in LINKED.items()}
    loader.lock()
    check_target(replace=replace, using=using)
    loader.search_triggers_off()
    if replace:
        loader.delete_all()
        summary.replaced = True
    max_id = partial(_max_id, loader.cursor, loader.qn)
    base = IdBase(
        theme=max_id(Theme),
        country=max_id(Country),
        actor=max_id(Actor),
        source=max_id(Source),
        commitment=max_id(Commitment),
        update=max_id(StatusUpdate),
        evidence=max_id(Evidence),
        country_status=max_id(CountryStatus),
        **{f"{name}_m2m": max_id(through) for name, (through, _) in m2m.items()},
    )
    loader.before_load()
    tax = generate_taxonomies(n=n, seed=seed, base=base)
    fields_of = {"theme": THEME_FIELDS, "country": COUNTRY_FIELDS, "actor": ACTOR_FIELDS}
    for model, fields, rows in (
        *((t.model, fields_of[name], getattr(tax, t.relation)) for name, t in LINKED.items()),
        (Source, SOURCE_FIELDS, tax.sources),
    ):
        loader.insert(model._meta.db_table, _columns(model, fields), rows)
    summary.themes, summary.countries = len(tax.themes), len(tax.countries)
    summary.actors, summary.sources = len(tax.actors), len(tax.sources)
    m2m_columns = {
        name: (through._meta.db_table, _columns(through, ("id", "commitment", target)))
        for name, (through, target) in m2m.items()
    }
    commitment_columns = _columns(Commitment, COMMITMENT_FIELDS)
    update_columns = _columns(StatusUpdate, UPDATE_FIELDS)
    evidence_columns = _columns(Evidence, EVIDENCE_FIELDS)
    country_status_columns = _columns(CountryStatus, COUNTRY_STATUS_FIELDS)
    scope = COMMITMENT_FIELDS.index("assessment_scope")
    country = UPDATE_FIELDS.index("country")
    for block in generate_blocks(n=n, k=k, seed=seed, taxonomies=tax, base=base):
        loader.insert(Commitment._meta.db_table, commitment_columns, block.commitments)
        for name, (table, columns) in m2m_columns.items():
            rows = getattr(block, f"{name}_m2m")
            loader.insert(table, columns, rows)
            summary.links += len(rows)
        loader.insert(StatusUpdate._meta.db_table, update_columns, block.updates)
        loader.insert(Evidence._meta.db_table, evidence_columns, block.evidence)
        # Derived in the generator by the rule ``services.refresh_country_statuses`` applies.
        loader.insert(CountryStatus._meta.db_table, country_status_columns, block.country_statuses)
        summary.per_country += sum(1 for row in block.commitments if row[scope] == "per_country")
        summary.country_updates += sum(1 for row in block.updates if row[country] is not None)
        summary.commitments += len(block.commitments)
        summary.updates += len(block.updates)
        summary.draft_updates += sum(1 for row in block.updates if row[6] is None)
        summary.evidence += len(block.evidence)
    loader.after_load()
    cache.bump()
