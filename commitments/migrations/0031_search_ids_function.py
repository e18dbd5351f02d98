"""PostgreSQL: the functions that read a search's ids, and its ranks, through the GIN index whatever the
planner estimates (``pg_search.READERS``). SQLite has nothing to add (FTS5 answers from its own index)."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from commitments import pg_search

        with schema_editor.connection.cursor() as cursor:
            pg_search.create_readers(cursor)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from commitments import pg_search

        with schema_editor.connection.cursor() as cursor:
            pg_search.drop_readers(cursor)


class Migration(migrations.Migration):
    dependencies = [("commitments", "0030_update_translation_revisions")]

    operations = [migrations.RunPython(create, drop)]
