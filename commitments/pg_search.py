"""Text search on PostgreSQL: one ``tsvector`` per commitment, kept in step by triggers.

The PostgreSQL counterpart of ``sqlite_search``: a table keyed by commitment with a GIN index.
A commitment's document holds, by weight (``ts_rank_cd`` in the relevance sort): its title (A); the
names it is filed under (B: its countries, actors and themes, the titles of its source and of the
source it is attributed to); its quote, the quote's translations and its published updates' summaries
(C). Each holds the English text and then every other language's (``title_ru``, ``name_ru`` …).

Both languages in one document: each weight's text is read with every configuration of ``CONFIGS``
(``english`` and ``russian``) and the vectors joined, and a query's phrase is parsed with each and
OR-ed (``search_query.tsquery_sql``). So an English word meets its English stems as before (``russian``
stems ASCII words with the same ``english_stem`` dictionary, so for English the lexemes merely repeat:
the GIN index keeps one entry per lexeme and row), and a Russian word meets its Russian stems
(``russian_stem``, the Snowball algorithm SQLite's search uses in Python) wherever it stands. Ranking
stays comparable across rows: every word is counted by the same configurations everywhere.

Triggers refresh the document on every write that changes it: the commitment, its updates, its
links to countries, actors and themes, and the rename of one of those or of a source in any language
(every commitment filed under it), so every write path (admin, services, imports, raw SQL) keeps it
current. One document per commitment makes a search one index lookup, never a join per query.
Bulk loaders drop the triggers, load, then ``rebuild()`` and recreate them. As on SQLite, the languages
are those whose columns the database has (older migrations run this code before the Russian columns).
"""

from __future__ import annotations

from . import languages
from .sqlite_search import LINKS, present_languages

TABLE = "commitment_search"
# The text-search configurations the document is read with; a query is parsed with the same ones.
CONFIGS = ("english", "russian")

# How well a document matches, lower is better (as SQLite's bm25): ``ts_rank_cd`` over the weights above,
# negated, as a double (a ``real`` comes back to Python by its text and would no longer equal itself: the API's
# cursor, the facet index's ties). The one home of the rank: ``querysets`` and ``RANKS_FUNCTION`` format it.
RANK = "-ts_rank_cd({document}, {query})::double precision"

# A search's matches read through the GIN index whatever the planner estimates. It prices ``@@`` as one cheap
# call a row, so for a word in 14-54% of 100,000 documents it chose a sequential scan that tests every 1.4 kB
# document over the bitmap of the index, which visits only the matches' pages and tests none of them: the ids
# of ``unicef`` 53-70 -> 12 ms, ``border`` 60 -> 34 ms; with their ranks, 74 -> 32 and 130 -> 111 ms. ``SET``
# on a function keeps the setting to that one read; without the index it would still scan.
IDS_FUNCTION = "commitment_search_ids"  # (q) -> the ids as one comma-separated text, NULL for none
RANKS_FUNCTION = "commitment_search_ranks"  # (q) -> (id, rank) of every match
READERS = {
    f"{IDS_FUNCTION}(tsquery)": (
        f"CREATE OR REPLACE FUNCTION {IDS_FUNCTION}(q tsquery) RETURNS text AS $$ "  # noqa: S608 - constants
        f"SELECT string_agg(commitment_id::text, ',') FROM {TABLE} WHERE document @@ q "
        "$$ LANGUAGE sql STABLE SET enable_seqscan = off"),
    f"{RANKS_FUNCTION}(tsquery)": (
        f"CREATE OR REPLACE FUNCTION {RANKS_FUNCTION}(q tsquery) RETURNS TABLE (id bigint, rank double precision) "  # noqa: S608
        f"AS $$ SELECT commitment_id, {RANK.format(document='document', query='q')} FROM {TABLE} "
        "WHERE document @@ q $$ LANGUAGE sql STABLE SET enable_seqscan = off"),
}


def _text(*parts: str) -> str:
    return " || ' ' || ".join(f"COALESCE({p}, '')" for p in parts)


def _names(entry: str, link: str, column: str, field: str) -> str:
    return (f"(SELECT string_agg(e.{field}, ' ' ORDER BY e.id) FROM {entry} e JOIN {link} l "  # noqa: S608
            f"ON l.{column} = e.id WHERE l.commitment_id = c.id)")


def _summaries(field: str) -> str:
    return (f"(SELECT string_agg(u.{field}, ' ' ORDER BY u.id) FROM commitments_statusupdate u "  # noqa: S608
            "WHERE u.commitment_id = c.id AND u.published_at IS NOT NULL)")


def _vector(text: str, weight: str) -> str:
    return "setweight(" + " || ".join(f"to_tsvector('{config}', {text})" for config in CONFIGS) + f", '{weight}')"


def _document(texts: tuple[str, ...], translations: tuple[str, ...]) -> str:
    """SELECT (id, document) per commitment; each weight's text is built once (LATERAL), read by every
    configuration. Constants only."""
    col = languages.column
    title = _text(*(f"c.{col('title', code)}" for code in texts))
    names = _text(*(
        part for code in texts for part in (
            *(_names(*link, col("name", code)) for link in LINKS),
            f"(SELECT s.{col('title', code)} FROM commitments_source s WHERE s.id = c.source_id)",  # noqa: S608
            f"(SELECT s.{col('title', code)} FROM commitments_source s WHERE s.id = c.attributed_to_id)",  # noqa: S608
        )
    ))
    body = _text("c.quote", *(f"c.quote_translation_{code}" for code in translations),
                 *(_summaries(col("summary", code)) for code in texts))
    return (f"SELECT c.id, {_vector('t.title', 'A')} || {_vector('t.names', 'B')} || {_vector('t.body', 'C')} "  # noqa: S608
            "FROM commitments_commitment c CROSS JOIN LATERAL "
            f"(SELECT {title} AS title, {names} AS names, {body} AS body) t")


def _languages(cursor) -> tuple[tuple[str, ...], tuple[str, ...]]:
    cursor.execute("SELECT column_name FROM information_schema.columns "
                   "WHERE table_schema = current_schema() AND table_name = 'commitments_commitment'")
    return present_languages({row[0] for row in cursor.fetchall()})


def functions(texts: tuple[str, ...], translations: tuple[str, ...]) -> list[str]:
    entry_changed = " OR ".join(f"NEW.{f} IS DISTINCT FROM OLD.{f}"
                                for f in (languages.column("name", code) for code in texts))
    source_changed = " OR ".join(f"NEW.{f} IS DISTINCT FROM OLD.{f}"
                                 for f in (languages.column("title", code) for code in texts))
    return [
        f"""CREATE OR REPLACE FUNCTION commitment_search_refresh_many(ids bigint[]) RETURNS void AS $$
            DELETE FROM {TABLE} WHERE commitment_id = ANY(ids);
            INSERT INTO {TABLE} (commitment_id, document) {_document(texts, translations)} WHERE c.id = ANY(ids);
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
        # A renamed country, actor or theme (in any language): TG_ARGV names its link table and that table's
        # entry column.
        f"""CREATE OR REPLACE FUNCTION commitment_search_on_entry() RETURNS trigger AS $$
        BEGIN
            IF {entry_changed} THEN
                EXECUTE format('SELECT commitment_search_refresh_many(ARRAY(SELECT commitment_id FROM %I '
                               'WHERE %I = $1))', TG_ARGV[0], TG_ARGV[1]) USING NEW.id;
            END IF;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",  # noqa: S608
        f"""CREATE OR REPLACE FUNCTION commitment_search_on_source() RETURNS trigger AS $$
        BEGIN
            IF {source_changed} THEN
                PERFORM commitment_search_refresh_many(ARRAY(SELECT id FROM commitments_commitment
                                                             WHERE source_id = NEW.id OR attributed_to_id = NEW.id));
            END IF;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",  # noqa: S608
    ]


def triggers(texts: tuple[str, ...] = (languages.DEFAULT,), translations: tuple[str, ...] = ()) -> dict:
    """name: (table, body), for a database with the texts of ``texts`` and ``translations``."""
    titles = ", ".join(languages.column("title", code) for code in texts)
    names = ", ".join(languages.column("name", code) for code in texts)
    summaries = ", ".join(languages.column("summary", code) for code in texts)
    quotes = ", ".join(["quote", *(f"quote_translation_{code}" for code in translations)])
    return {
        "commitment_search_commitment": (
            "commitments_commitment",
            f"AFTER INSERT OR DELETE OR UPDATE OF {titles}, {quotes}, source_id, attributed_to_id "
            "ON commitments_commitment FOR EACH ROW EXECUTE FUNCTION commitment_search_on_commitment()",
        ),
        "commitment_search_update": (
            "commitments_statusupdate",
            f"AFTER INSERT OR DELETE OR UPDATE OF {summaries}, published_at, commitment_id ON commitments_statusupdate "
            "FOR EACH ROW EXECUTE FUNCTION commitment_search_on_update()",
        ),
        **{f"commitment_search_{entry.removeprefix('commitments_')}_link": (
            link, f"AFTER INSERT OR DELETE OR UPDATE ON {link} FOR EACH ROW EXECUTE FUNCTION "
                  "commitment_search_on_update()",
        ) for entry, link, _ in LINKS},
        **{f"commitment_search_{entry.removeprefix('commitments_')}": (
            entry, f"AFTER UPDATE OF {names} ON {entry} FOR EACH ROW EXECUTE FUNCTION "
                   f"commitment_search_on_entry('{link}', '{column}')",
        ) for entry, link, column in LINKS},
        "commitment_search_source": (
            "commitments_source",
            f"AFTER UPDATE OF {titles} ON commitments_source FOR EACH ROW EXECUTE FUNCTION "
            "commitment_search_on_source()",
        ),
    }


TRIGGERS = triggers()  # the names and tables (the bodies depend on the languages present)


def drop_triggers(cursor) -> None:
    for name, (table, _) in TRIGGERS.items():
        cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")


def create_triggers(cursor) -> None:
    present = _languages(cursor)
    for function in functions(*present):  # the trigger functions follow the columns the database has
        cursor.execute(function)
    for name, (_, body) in triggers(*present).items():
        cursor.execute(f"CREATE OR REPLACE TRIGGER {name} {body}")


def rebuild(cursor) -> None:
    cursor.execute(f"TRUNCATE {TABLE}")
    cursor.execute(f"INSERT INTO {TABLE} (commitment_id, document) {_document(*_languages(cursor))}")
    cursor.execute(f"ANALYZE {TABLE}")


def install(cursor) -> None:
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (commitment_id bigint PRIMARY KEY, document tsvector NOT NULL)")
    cursor.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_document_gin ON {TABLE} USING gin (document)")
    rebuild(cursor)
    create_triggers(cursor)
    create_readers(cursor)


def create_readers(cursor) -> None:
    """The functions the facet index reads a search's ids and ranks with (``READERS``)."""
    for sql in READERS.values():
        cursor.execute(sql)


def drop_readers(cursor) -> None:
    for name in READERS:
        cursor.execute(f"DROP FUNCTION IF EXISTS {name}")


def uninstall(cursor) -> None:
    drop_triggers(cursor)
    cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
    for name in ("commitment_search_refresh(bigint)", "commitment_search_refresh_many(bigint[])",
                 "commitment_search_on_commitment()", "commitment_search_on_update()",
                 "commitment_search_on_entry()", "commitment_search_on_source()"):
        cursor.execute(f"DROP FUNCTION IF EXISTS {name}")
    drop_readers(cursor)
