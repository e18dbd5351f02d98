"""PostgreSQL search: one tsvector per commitment, kept by triggers (``pg_search``), replacing
the two GIN expression indexes of migration 0008. SQLite skips this (it has FTS5, 0011)."""

from django.db import migrations


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from commitments import pg_search

        with schema_editor.connection.cursor() as cursor:
            pg_search.install(cursor)
            for name in OLD_INDEXES:
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from commitments import pg_search

        with schema_editor.connection.cursor() as cursor:
            pg_search.uninstall(cursor)
            for name, (table, expression) in OLD_INDEXES.items():
                cursor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin (({expression}))')


OLD_INDEXES = {
    "commitment_search_gin": (
        "commitments_commitment",
        "to_tsvector('english'::regconfig, COALESCE(\"title\", '') || ' ' || COALESCE(\"quote\", ''))",
    ),
    "update_summary_search_gin": (
        "commitments_statusupdate",
        "to_tsvector('english'::regconfig, COALESCE(\"summary\", ''))",
    ),
}


class Migration(migrations.Migration):
    dependencies = [("commitments", "0013_overview_indexes")]

    operations = [migrations.RunPython(install, uninstall)]
