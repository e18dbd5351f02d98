"""PostgreSQL: the function that reads a search's ids through the GIN index (``pg_search.IDS_FUNCTION``),
whatever the planner estimates. SQLite has nothing to add (FTS5 answers from its own index)."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from commitments import pg_search

        with schema_editor.connection.cursor() as cursor:
            pg_search.create_reader(cursor)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from commitments import pg_search

        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP FUNCTION IF EXISTS {pg_search.IDS_FUNCTION}(tsquery)")


class Migration(migrations.Migration):
    dependencies = [("commitments", "0030_update_translation_revisions")]

    operations = [migrations.RunPython(create, drop)]
