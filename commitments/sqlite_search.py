"""Text search on SQLite: an FTS5 index of one document per commitment, kept in step by triggers.

A commitment's document (``_document``) has three columns, weighted by ``bm25`` for the relevance
sort: its title; the names it is filed under (its countries, actors and themes, the titles of its
source and of the source it is attributed to); and the body (its quote, the quote's translations and
its published updates' summaries). Each holds the English text and then every other language's
(``title_ru``, ``name_ru``, ``summary_ru`` …). The tokenizer stems English (``porter``) over case- and
accent-free words, as PostgreSQL's ``english`` configuration does (``pg_search``, the counterpart).
Queries come from ``search_query.fts5_expression``.

Russian: FTS5 cannot stem it, so the triggers pass each column's text through a Python function
(``FUNCTION``: ``search_stems.index_text``, Cyrillic words to their Snowball stems) registered on every
connection (``register``, on Django's ``connection_created``), and the query's words get the same
stems. We chose this over a custom FTS5 tokenizer (C, or an APSW-only Python tokenizer, which the
stdlib ``sqlite3`` cannot register) and over stems kept in extra model columns (every write path would
have to fill them; the triggers already see every write). English words pass through untouched, so
FTS5's Porter stems them exactly as before. A connection without the function cannot write a
document at all: SQLite fails the write ("no such function"), so it can never index unstemmed text
silently (the ``sqlite3`` shell included: write through Django, or register the function first).

Triggers refresh a commitment's document on every write that changes it: the commitment, its
updates, its links to countries, actors and themes, and the rename of one of those or of a source
in any language (which refreshes every commitment filed under it), so every write path (admin,
services, imports, raw SQL) keeps it current. Bulk loaders drop the triggers, load, then ``rebuild()``
and recreate them.

The languages are those whose columns the database has (``_languages``): migrations older than the
Russian columns run this same code, and build an English-only document and triggers.
"""

from __future__ import annotations

from . import languages, search_stems

TABLE = "commitment_search_fts"
COLUMNS = ("title", "names", "body")
# bm25 weights of COLUMNS: a word in the title counts most, in a name next (``querysets.search_rank``).
WEIGHTS = (10.0, 5.0, 1.0)
TOKENIZER = "porter unicode61 remove_diacritics 2"  # English stems of case- and accent-free words
FUNCTION = "commitment_search_text"  # search_stems.index_text, registered on every connection

# The many-to-many taxonomies: (entry table, link table, the link's entry column).
LINKS = (
    ("commitments_country", "commitments_commitment_countries", "country_id"),
    ("commitments_actor", "commitments_commitment_actors", "actor_id"),
    ("commitments_theme", "commitments_commitment_themes", "theme_id"),
)


def register(sender=None, connection=None, **kwargs) -> None:
    """``connection_created`` receiver: give a new SQLite connection the document's text function."""
    if connection is not None and connection.vendor == "sqlite":
        connection.connection.create_function(FUNCTION, 1, search_stems.index_text, deterministic=True)


def table_columns(cursor, table: str) -> set[str]:
    cursor.execute(f"SELECT name FROM pragma_table_info('{table}')")
    return {row[0] for row in cursor.fetchall()}


def present_languages(columns: set[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """From the commitment table's ``columns``: the languages whose texts it has (the default first),
    and those it has a quote translation in."""
    texts = tuple(code for code in languages.CODES if languages.column("title", code) in columns)
    translations = tuple(code for code in languages.CODES if f"quote_translation_{code}" in columns)
    return texts, translations


def _languages(cursor) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return present_languages(table_columns(cursor, "commitments_commitment"))


def _text(*parts: str) -> str:
    """SQL: the texts ``parts`` joined by spaces, a NULL as empty."""
    return " || ' ' || ".join(f"COALESCE({p}, '')" for p in parts)


def _names(entry: str, link: str, column: str, field: str) -> str:
    return (f"(SELECT group_concat(e.{field}, ' ') FROM {entry} e JOIN {link} l ON l.{column} = e.id "
            "WHERE l.commitment_id = c.id)")


def _summaries(field: str) -> str:
    return (f"(SELECT group_concat(u.{field}, ' ') FROM commitments_statusupdate u "  # noqa: S608
            "WHERE u.commitment_id = c.id AND u.published_at IS NOT NULL)")


def _document(texts: tuple[str, ...], translations: tuple[str, ...]) -> str:
    """SELECT (id, title, names, body) per commitment, each column through ``FUNCTION``; constants only."""
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
    return (f"SELECT c.id, {FUNCTION}({title}), {FUNCTION}({names}), {FUNCTION}({body}) "
            "FROM commitments_commitment c")


def _insert(texts: tuple[str, ...], translations: tuple[str, ...]) -> str:
    return f"INSERT INTO {TABLE}(rowid, {', '.join(COLUMNS)}) {_document(texts, translations)}"


def triggers(texts: tuple[str, ...] = (languages.DEFAULT,), translations: tuple[str, ...] = ()) -> dict[str, str]:
    """Each trigger's name and body, for a database with the texts of ``texts`` and ``translations``."""
    insert = _insert(texts, translations)

    def refresh(ref: str) -> str:
        return f"DELETE FROM {TABLE} WHERE rowid = {ref}; {insert} WHERE c.id = {ref};"

    def refresh_where(ids: str) -> str:
        """Refresh every commitment whose id ``ids`` (a subquery) selects."""
        return f"DELETE FROM {TABLE} WHERE rowid IN ({ids}); {insert} WHERE c.id IN ({ids});"

    def renamed(field: str) -> str:
        """Columns of ``field`` in every language, and the WHEN of an update that changed one."""
        fields = [languages.column(field, code) for code in texts]
        return ", ".join(fields), " OR ".join(f"NEW.{f} IS NOT OLD.{f}" for f in fields)

    def link_triggers(entry: str, link: str, column: str) -> dict[str, str]:
        name = entry.removeprefix("commitments_")
        of, when = renamed("name")
        return {
            f"{name}_link_search_ai": f"AFTER INSERT ON {link} BEGIN {refresh('NEW.commitment_id')} END",
            f"{name}_link_search_ad": f"AFTER DELETE ON {link} BEGIN {refresh('OLD.commitment_id')} END",
            f"{name}_link_search_au": (
                f"AFTER UPDATE ON {link} BEGIN {refresh('OLD.commitment_id')} {refresh('NEW.commitment_id')} END"
            ),
            f"{name}_search_au": (
                f"AFTER UPDATE OF {of} ON {entry} WHEN {when} BEGIN "
                f"{refresh_where(f'SELECT commitment_id FROM {link} WHERE {column} = NEW.id')} END"
            ),
        }

    commitment_of = ", ".join([*(languages.column("title", code) for code in texts), "quote",
                               *(f"quote_translation_{code}" for code in translations), "source_id",
                               "attributed_to_id"])
    summary_of, _ = renamed("summary")
    source_of, source_when = renamed("title")
    of_source = "SELECT id FROM commitments_commitment WHERE source_id = NEW.id OR attributed_to_id = NEW.id"
    return {
        "commitment_search_ai": f"AFTER INSERT ON commitments_commitment BEGIN {refresh('NEW.id')} END",
        "commitment_search_au": (
            f"AFTER UPDATE OF {commitment_of} ON commitments_commitment BEGIN {refresh('NEW.id')} END"
        ),
        "commitment_search_ad": (
            f"AFTER DELETE ON commitments_commitment BEGIN DELETE FROM {TABLE} WHERE rowid = OLD.id; END"
        ),
        "update_search_ai": f"AFTER INSERT ON commitments_statusupdate BEGIN {refresh('NEW.commitment_id')} END",
        "update_search_au": (
            f"AFTER UPDATE OF {summary_of}, published_at, commitment_id ON commitments_statusupdate "
            f"BEGIN {refresh('OLD.commitment_id')} {refresh('NEW.commitment_id')} END"
        ),
        "update_search_ad": f"AFTER DELETE ON commitments_statusupdate BEGIN {refresh('OLD.commitment_id')} END",
        **{name: body for link in LINKS for name, body in link_triggers(*link).items()},
        "source_search_au": (
            f"AFTER UPDATE OF {source_of} ON commitments_source WHEN {source_when} BEGIN "
            f"{refresh_where(of_source)} END"
        ),
    }


TRIGGER_NAMES = tuple(triggers())


def _check_function(cursor) -> None:
    """Fail now, loudly, if this connection lacks ``FUNCTION`` (every trigger would fail on its first write)."""
    cursor.execute(f"SELECT {FUNCTION}('')")


def drop_triggers(cursor) -> None:
    for name in TRIGGER_NAMES:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def create_triggers(cursor) -> None:
    _check_function(cursor)
    for name, body in triggers(*_languages(cursor)).items():
        cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


def rebuild(cursor) -> None:
    cursor.execute(f"DELETE FROM {TABLE}")
    cursor.execute(_insert(*_languages(cursor)))


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
