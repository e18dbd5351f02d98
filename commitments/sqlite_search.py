"""Text search on SQLite: an FTS5 index of each commitment's title, quote and published summaries.

PostgreSQL has its own full-text search (GIN indexes, migration 0008); this is the SQLite
counterpart, kept in step by triggers, so every write path (admin, services, imports, raw SQL)
updates it. Bulk loaders drop the triggers, load, then ``rebuild()`` and recreate them.
"""

from __future__ import annotations

import re

TABLE = "commitment_search_fts"
_DOCUMENT = (
    "SELECT c.id, c.title || ' ' || c.quote || ' ' || COALESCE((SELECT group_concat(u.summary, ' ') "
    "FROM commitments_statusupdate u WHERE u.commitment_id = c.id AND u.published_at IS NOT NULL), '') "
    "FROM commitments_commitment c"
)


def _refresh(ref: str) -> str:
    return f"DELETE FROM {TABLE} WHERE rowid = {ref}; INSERT INTO {TABLE}(rowid, body) {_DOCUMENT} WHERE c.id = {ref};"


TRIGGERS = {
    "commitment_search_ai": f"AFTER INSERT ON commitments_commitment BEGIN {_refresh('NEW.id')} END",
    "commitment_search_au": f"AFTER UPDATE OF title, quote ON commitments_commitment BEGIN {_refresh('NEW.id')} END",
    "commitment_search_ad": (
        f"AFTER DELETE ON commitments_commitment BEGIN DELETE FROM {TABLE} WHERE rowid = OLD.id; END"
    ),
    "update_search_ai": f"AFTER INSERT ON commitments_statusupdate BEGIN {_refresh('NEW.commitment_id')} END",
    "update_search_au": (
        "AFTER UPDATE OF summary, published_at, commitment_id ON commitments_statusupdate "
        f"BEGIN {_refresh('OLD.commitment_id')} {_refresh('NEW.commitment_id')} END"
    ),
    "update_search_ad": f"AFTER DELETE ON commitments_statusupdate BEGIN {_refresh('OLD.commitment_id')} END",
}


def drop_triggers(cursor) -> None:
    for name in TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def create_triggers(cursor) -> None:
    for name, body in TRIGGERS.items():
        cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


def rebuild(cursor) -> None:
    cursor.execute(f"DELETE FROM {TABLE}")
    cursor.execute(f"INSERT INTO {TABLE}(rowid, body) {_DOCUMENT}")


def migration_step(action: str):
    """A ``RunPython`` function that runs ``drop_triggers`` or ``create_triggers`` on SQLite only.

    Migrations that add a column remake the table on SQLite; the search triggers name the other table
    and would break, so such a migration drops them first and creates them again at its end.
    """

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            with schema_editor.connection.cursor() as cursor:
                globals()[action](cursor)

    return run


def install(cursor) -> None:
    tokenizer = "unicode61 remove_diacritics 2"  # case- and accent-insensitive words
    cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(body, tokenize='{tokenizer}')")
    rebuild(cursor)
    create_triggers(cursor)


def uninstall(cursor) -> None:
    drop_triggers(cursor)
    cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def match_expression(text: str) -> str | None:
    """Every word of ``text`` as a prefix term, all required; None when it holds no word at all.

    Words are extracted here, so no user input ever reaches FTS5's query syntax.
    """
    words = re.findall(r"\w+", text.lower())
    return " AND ".join(f'"{word}"*' for word in words) if words else None
