"""GIN indexes for full-text search on PostgreSQL (SQLite searches by substring and skips this).

The indexed expressions are exactly those ``CommitmentQuerySet.search`` builds with
``SearchVector(..., config="english")``, so the planner can use them.
"""

from django.db import migrations

INDEXES = {
    "commitment_search_gin": (
        "commitments_commitment",
        "to_tsvector('english'::regconfig, COALESCE(\"title\", '') || ' ' || COALESCE(\"quote\", ''))",
    ),
    "update_summary_search_gin": (
        "commitments_statusupdate",
        "to_tsvector('english'::regconfig, COALESCE(\"summary\", ''))",
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, expression) in INDEXES.items():
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin (({expression}))')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("commitments", "0007_public_data_version")]

    operations = [migrations.RunPython(create, drop)]
