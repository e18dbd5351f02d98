"""PostgreSQL: the overview's stale section is ordered "never assessed first" (NULLS FIRST). A btree
sorts NULLs last by default, so PostgreSQL sorted every stale commitment for eight rows; this index
holds them in that order. SQLite sorts NULLs first already (migration 0013's index serves it) and
cannot declare NULLS FIRST in an index, hence SQL for PostgreSQL only."""

from django.db import migrations

NAME = "commitment_state_assessed_nulls_first_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON commitments_commitment "
            "(state, current_status_date ASC NULLS FIRST, date_made, title) INCLUDE (current_status)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("commitments", "0014_postgres_search_table")]

    operations = [migrations.RunPython(create, drop)]
