"""Search in both languages: each commitment's search document also holds its Russian texts (``title_ru``,
``name_ru`` of its countries, actors and themes, its sources' ``title_ru``, its published updates'
``summary_ru``) and its quote's translations, and its triggers follow writes to them. PostgreSQL reads the
document with the ``russian`` configuration beside ``english``; SQLite indexes Russian words by their
Snowball stems (``search_stems``). Both indexes are remade and rebuilt (``sqlite_search``, ``pg_search``);
undoing it keeps the new ones."""

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
    dependencies = [("commitments", "0026_translations")]

    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop)]
