"""Text search on SQLite: an FTS5 index of one document per commitment, kept in step by triggers.

A commitment's document (``_DOCUMENT``) has three columns, weighted by ``bm25`` for the relevance
sort: its title; the names it is filed under (its countries, actors and themes, the titles of its
source and of the source it is attributed to); and the body (its quote and its published updates'
summaries). The tokenizer stems English (``porter``) over case- and accent-free words, as
PostgreSQL's ``english`` configuration does (``pg_search``, the counterpart). Queries come from
``search_query.fts5_expression``.

Triggers refresh a commitment's document on every write that changes it: the commitment, its
updates, its links to countries, actors and themes, and the rename of one of those or of a source
(which refreshes every commitment filed under it), so every write path (admin, services, imports,
raw SQL) keeps it current. Bulk loaders drop the triggers, load, then ``rebuild()`` and recreate them.
"""

from __future__ import annotations

TABLE = "commitment_search_fts"
COLUMNS = ("title", "names", "body")
# bm25 weights of COLUMNS: a word in the title counts most, in a name next (``querysets.search_rank``).
WEIGHTS = (10.0, 5.0, 1.0)
TOKENIZER = "porter unicode61 remove_diacritics 2"  # English stems of case- and accent-free words

# The many-to-many taxonomies: (entry table, link table, the link's entry column).
LINKS = (
    ("commitments_country", "commitments_commitment_countries", "country_id"),
    ("commitments_actor", "commitments_commitment_actors", "actor_id"),
    ("commitments_theme", "commitments_commitment_themes", "theme_id"),
)


def _names(entry: str, link: str, column: str) -> str:
    return (f"COALESCE((SELECT group_concat(e.name, ' ') FROM {entry} e JOIN {link} l ON l.{column} = e.id "
            "WHERE l.commitment_id = c.id), '')")


_NAMES = " || ' ' || ".join([
    *(_names(*link) for link in LINKS),
    "COALESCE((SELECT s.title FROM commitments_source s WHERE s.id = c.source_id), '')",
    "COALESCE((SELECT s.title FROM commitments_source s WHERE s.id = c.attributed_to_id), '')",
])
_DOCUMENT = (  # constants only
    f"SELECT c.id, c.title, {_NAMES}, c.quote || ' ' || COALESCE((SELECT group_concat(u.summary, ' ') "  # noqa: S608
    "FROM commitments_statusupdate u WHERE u.commitment_id = c.id AND u.published_at IS NOT NULL), '') "
    "FROM commitments_commitment c"
)
_INSERT = f"INSERT INTO {TABLE}(rowid, {', '.join(COLUMNS)}) {_DOCUMENT}"


def _refresh(ref: str) -> str:
    return f"DELETE FROM {TABLE} WHERE rowid = {ref}; {_INSERT} WHERE c.id = {ref};"


def _refresh_where(ids: str) -> str:
    """Refresh every commitment whose id ``ids`` (a subquery) selects."""
    return f"DELETE FROM {TABLE} WHERE rowid IN ({ids}); {_INSERT} WHERE c.id IN ({ids});"


def _link_triggers(entry: str, link: str, column: str) -> dict[str, str]:
    name = entry.removeprefix("commitments_")
    return {
        f"{name}_link_search_ai": f"AFTER INSERT ON {link} BEGIN {_refresh('NEW.commitment_id')} END",
        f"{name}_link_search_ad": f"AFTER DELETE ON {link} BEGIN {_refresh('OLD.commitment_id')} END",
        f"{name}_link_search_au": (
            f"AFTER UPDATE ON {link} BEGIN {_refresh('OLD.commitment_id')} {_refresh('NEW.commitment_id')} END"
        ),
        f"{name}_search_au": (
            f"AFTER UPDATE OF name ON {entry} WHEN NEW.name IS NOT OLD.name BEGIN "
            f"{_refresh_where(f'SELECT commitment_id FROM {link} WHERE {column} = NEW.id')} END"
        ),
    }


_OF_SOURCE = "SELECT id FROM commitments_commitment WHERE source_id = NEW.id OR attributed_to_id = NEW.id"
TRIGGERS = {
    "commitment_search_ai": f"AFTER INSERT ON commitments_commitment BEGIN {_refresh('NEW.id')} END",
    "commitment_search_au": (
        "AFTER UPDATE OF title, quote, source_id, attributed_to_id ON commitments_commitment "
        f"BEGIN {_refresh('NEW.id')} END"
    ),
    "commitment_search_ad": (
        f"AFTER DELETE ON commitments_commitment BEGIN DELETE FROM {TABLE} WHERE rowid = OLD.id; END"
    ),
    "update_search_ai": f"AFTER INSERT ON commitments_statusupdate BEGIN {_refresh('NEW.commitment_id')} END",
    "update_search_au": (
        "AFTER UPDATE OF summary, published_at, commitment_id ON commitments_statusupdate "
        f"BEGIN {_refresh('OLD.commitment_id')} {_refresh('NEW.commitment_id')} END"
    ),
    "update_search_ad": f"AFTER DELETE ON commitments_statusupdate BEGIN {_refresh('OLD.commitment_id')} END",
    **{name: body for link in LINKS for name, body in _link_triggers(*link).items()},
    "source_search_au": (
        "AFTER UPDATE OF title ON commitments_source WHEN NEW.title IS NOT OLD.title BEGIN "
        f"{_refresh_where(_OF_SOURCE)} END"
    ),
}


def drop_triggers(cursor) -> None:
    for name in TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def create_triggers(cursor) -> None:
    for name, body in TRIGGERS.items():
        cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


def rebuild(cursor) -> None:
    cursor.execute(f"DELETE FROM {TABLE}")
    cursor.execute(_INSERT)


def migration_step(action: str):
    """A ``RunPython`` function that runs ``drop_triggers`` or ``create_triggers`` on SQLite only.

    Migrations that add a column remake the table on SQLite; the search triggers name the other tables
    and would break, so such a migration drops them first and creates them again at its end. That now
    means a migration remaking any table the document reads: the commitment, status update, source,
    country, actor and theme tables and the three link tables (a remade table also loses its own triggers).
    """

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            with schema_editor.connection.cursor() as cursor:
                globals()[action](cursor)

    return run


def install(cursor) -> None:
    cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5({', '.join(COLUMNS)}, "
                   f"tokenize='{TOKENIZER}')")
    rebuild(cursor)
    create_triggers(cursor)


def uninstall(cursor) -> None:
    drop_triggers(cursor)
    cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
