"""Text search on PostgreSQL: one ``tsvector`` per commitment, kept in step by triggers.

The PostgreSQL counterpart of ``sqlite_search``: a table keyed by commitment with a GIN index.
A commitment's document holds, by weight (``ts_rank_cd`` in the relevance sort): its title (A); the
names it is filed under (B: its countries, actors and themes, the titles of its source and of the
source it is attributed to); its quote and its published updates' summaries (C). Queries come from
``search_query.tsquery_sql``, in the same ``english`` configuration.

Triggers refresh the document on every write that changes it: the commitment, its updates, its
links to countries, actors and themes, and the rename of one of those or of a source (every
commitment filed under it), so every write path (admin, services, imports, raw SQL) keeps it current.
One document per commitment makes a search one index lookup, never a join per query.
Bulk loaders drop the triggers, load, then ``rebuild()`` and recreate them.
"""

from __future__ import annotations

from .sqlite_search import LINKS

TABLE = "commitment_search"
CONFIG = "english"  # the text-search configuration; queries must use the same one


def _names(entry: str, link: str, column: str) -> str:
    return (f"COALESCE((SELECT string_agg(e.name, ' ' ORDER BY e.id) FROM {entry} e JOIN {link} l "  # noqa: S608
            f"ON l.{column} = e.id WHERE l.commitment_id = c.id), '')")


_NAMES = " || ' ' || ".join([
    *(_names(*link) for link in LINKS),
    "COALESCE((SELECT s.title FROM commitments_source s WHERE s.id = c.source_id), '')",
    "COALESCE((SELECT s.title FROM commitments_source s WHERE s.id = c.attributed_to_id), '')",
])
_DOCUMENT = (  # constants only
    f"SELECT c.id, setweight(to_tsvector('{CONFIG}', c.title), 'A') "  # noqa: S608
    f"|| setweight(to_tsvector('{CONFIG}', {_NAMES}), 'B') "
    f"|| setweight(to_tsvector('{CONFIG}', c.quote || ' ' || COALESCE(("
    "SELECT string_agg(u.summary, ' ' ORDER BY u.id) FROM commitments_statusupdate u "
    "WHERE u.commitment_id = c.id AND u.published_at IS NOT NULL), '')), 'C') FROM commitments_commitment c"
)

FUNCTIONS = [
    f"""CREATE OR REPLACE FUNCTION commitment_search_refresh_many(ids bigint[]) RETURNS void AS $$
        DELETE FROM {TABLE} WHERE commitment_id = ANY(ids);
        INSERT INTO {TABLE} (commitment_id, document) {_DOCUMENT} WHERE c.id = ANY(ids);
    $$ LANGUAGE sql""",  # noqa: S608
    """CREATE OR REPLACE FUNCTION commitment_search_refresh(cid bigint) RETURNS void AS $$
        SELECT commitment_search_refresh_many(ARRAY[cid]);
    $$ LANGUAGE sql""",
    """CREATE OR REPLACE FUNCTION commitment_search_on_commitment() RETURNS trigger AS $$
    BEGIN
        PERFORM commitment_search_refresh(CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    # For the updates and the three link tables: each row names its commitment in ``commitment_id``.
    """CREATE OR REPLACE FUNCTION commitment_search_on_update() RETURNS trigger AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN PERFORM commitment_search_refresh(OLD.commitment_id); END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.commitment_id <> OLD.commitment_id) THEN
            PERFORM commitment_search_refresh(NEW.commitment_id);
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    # A renamed country, actor or theme: TG_ARGV names its link table and that table's entry column.
    """CREATE OR REPLACE FUNCTION commitment_search_on_entry() RETURNS trigger AS $$
    BEGIN
        IF NEW.name IS DISTINCT FROM OLD.name THEN
            EXECUTE format('SELECT commitment_search_refresh_many(ARRAY(SELECT commitment_id FROM %I WHERE %I = $1))',
                           TG_ARGV[0], TG_ARGV[1]) USING NEW.id;
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION commitment_search_on_source() RETURNS trigger AS $$
    BEGIN
        IF NEW.title IS DISTINCT FROM OLD.title THEN
            PERFORM commitment_search_refresh_many(ARRAY(SELECT id FROM commitments_commitment
                                                         WHERE source_id = NEW.id OR attributed_to_id = NEW.id));
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
]

# name: (table, body)
TRIGGERS = {
    "commitment_search_commitment": (
        "commitments_commitment",
        "AFTER INSERT OR DELETE OR UPDATE OF title, quote, source_id, attributed_to_id ON commitments_commitment "
        "FOR EACH ROW EXECUTE FUNCTION commitment_search_on_commitment()",
    ),
    "commitment_search_update": (
        "commitments_statusupdate",
        "AFTER INSERT OR DELETE OR UPDATE OF summary, published_at, commitment_id ON commitments_statusupdate "
        "FOR EACH ROW EXECUTE FUNCTION commitment_search_on_update()",
    ),
    **{f"commitment_search_{entry.removeprefix('commitments_')}_link": (
        link, f"AFTER INSERT OR DELETE OR UPDATE ON {link} FOR EACH ROW EXECUTE FUNCTION commitment_search_on_update()",
    ) for entry, link, _ in LINKS},
    **{f"commitment_search_{entry.removeprefix('commitments_')}": (
        entry, f"AFTER UPDATE OF name ON {entry} FOR EACH ROW EXECUTE FUNCTION "
               f"commitment_search_on_entry('{link}', '{column}')",
    ) for entry, link, column in LINKS},
    "commitment_search_source": (
        "commitments_source",
        "AFTER UPDATE OF title ON commitments_source FOR EACH ROW EXECUTE FUNCTION commitment_search_on_source()",
    ),
}


def drop_triggers(cursor) -> None:
    for name, (table, _) in TRIGGERS.items():
        cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")


def create_triggers(cursor) -> None:
    for name, (_, body) in TRIGGERS.items():
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
    for name in ("commitment_search_refresh(bigint)", "commitment_search_refresh_many(bigint[])",
                 "commitment_search_on_commitment()", "commitment_search_on_update()",
                 "commitment_search_on_entry()", "commitment_search_on_source()"):
        cursor.execute(f"DROP FUNCTION IF EXISTS {name}")
