"""The SQLite full-text index (FTS5) and the triggers that keep it current; PostgreSQL skips this."""

from django.db import migrations


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        from commitments import sqlite_search

        with schema_editor.connection.cursor() as cursor:
            sqlite_search.install(cursor)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        from commitments import sqlite_search

        with schema_editor.connection.cursor() as cursor:
            sqlite_search.uninstall(cursor)


class Migration(migrations.Migration):
    dependencies = [("commitments", "0010_edit_versions")]

    operations = [migrations.RunPython(install, uninstall)]
