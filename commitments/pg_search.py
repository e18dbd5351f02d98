"""Text search on PostgreSQL: one ``tsvector`` per commitment (title, quote, published summaries).

The PostgreSQL counterpart of ``sqlite_search``: a table keyed by commitment with a GIN index,
kept in step by triggers, so every write path (admin, services, imports, raw SQL) updates it.
One document per commitment makes a search one index lookup; searching the commitments and the
million update summaries separately meant two large semi-joins in every facet query.
Bulk loaders drop the triggers, load, then ``rebuild()`` and recreate them.
"""

from __future__ import annotations

TABLE = "commitment_search"
CONFIG = "english"  # the text-search configuration; queries must use the same one

_DOCUMENT = (  # constants only
    f"SELECT c.id, to_tsvector('{CONFIG}', c.title || ' ' || c.quote || ' ' || COALESCE(("  # noqa: S608
    "SELECT string_agg(u.summary, ' ' ORDER BY u.id) FROM commitments_statusupdate u "
    "WHERE u.commitment_id = c.id AND u.published_at IS NOT NULL), '')) FROM commitments_commitment c"
)

FUNCTIONS = [
    f"""CREATE OR REPLACE FUNCTION commitment_search_refresh(cid bigint) RETURNS void AS $$
        DELETE FROM {TABLE} WHERE commitment_id = cid;
        INSERT INTO {TABLE} (commitment_id, document) {_DOCUMENT} WHERE c.id = cid;
    $$ LANGUAGE sql""",  # noqa: S608
    """CREATE OR REPLACE FUNCTION commitment_search_on_commitment() RETURNS trigger AS $$
    BEGIN
        PERFORM commitment_search_refresh(CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION commitment_search_on_update() RETURNS trigger AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN PERFORM commitment_search_refresh(OLD.commitment_id); END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.commitment_id <> OLD.commitment_id) THEN
            PERFORM commitment_search_refresh(NEW.commitment_id);
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
]

TRIGGERS = {
    "commitment_search_commitment": (
        "AFTER INSERT OR DELETE OR UPDATE OF title, quote ON commitments_commitment "
        "FOR EACH ROW EXECUTE FUNCTION commitment_search_on_commitment()"
    ),
    "commitment_search_update": (
        "AFTER INSERT OR DELETE OR UPDATE OF summary, published_at, commitment_id ON commitments_statusupdate "
        "FOR EACH ROW EXECUTE FUNCTION commitment_search_on_update()"
    ),
}
_TRIGGER_TABLES = {"commitment_search_commitment": "commitments_commitment",
                   "commitment_search_update": "commitments_statusupdate"}


def drop_triggers(cursor) -> None:
    for name, table in _TRIGGER_TABLES.items():
        cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")


def create_triggers(cursor) -> None:
    for name, body in TRIGGERS.items():
        cursor.execute(f"CREATE OR REPLACE TRIGGER {name} {body}")


def rebuild(cursor) -> None:
    cursor.execute(f"TRUNCATE {TABLE}")
    cursor.execute(f"INSERT INTO {TABLE} (commitment_id, document) {_DOCUMENT}")
    cursor.execute(f"ANALYZE {TABLE}")


def install(cursor) -> None:
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (commitment_id bigint PRIMARY KEY, document tsvector NOT NULL)")
    cursor.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_document_gin ON {TABLE} USING gin (document)")
    for function in FUNCTIONS:
        cursor.execute(function)
    rebuild(cursor)
    create_triggers(cursor)


def uninstall(cursor) -> None:
    drop_triggers(cursor)
    cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
    for name in ("commitment_search_refresh(bigint)", "commitment_search_on_commitment()",
                 "commitment_search_on_update()"):
        cursor.execute(f"DROP FUNCTION IF EXISTS {name}")
