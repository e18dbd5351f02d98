"""Search that finds: each commitment's search document also holds the names it is filed under (its
countries, actors, themes, source titles), kept current by triggers on the link tables and on renames;
SQLite's FTS5 index stems English (``porter``) and has weighted columns for the relevance sort.
Both indexes are remade and rebuilt (``sqlite_search``, ``pg_search``); undoing it keeps the new ones."""

from django.db import migrations


def reinstall(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        from commitments import sqlite_search as search
    elif connection.vendor == "postgresql":
        from commitments import pg_search as search
    else:
        return
    with connection.cursor() as cursor:
        search.uninstall(cursor)
        search.install(cursor)


class Migration(migrations.Migration):
    dependencies = [("commitments", "0024_per_country_assessments")]

    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop)]
