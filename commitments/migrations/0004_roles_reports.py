from django.db import migrations

from commitments.roles import sync_roles


class Migration(migrations.Migration):
    """Give the roles their progress-report permissions (sync_roles is idempotent)."""

    dependencies = [("commitments", "0003_progress_report")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
