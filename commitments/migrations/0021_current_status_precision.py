from django.db import migrations, models

from commitments import sqlite_search


def derive_precision(apps, schema_editor):
    """The precision of each commitment's current status date: that of the update it comes from."""
    Commitment = apps.get_model("commitments", "Commitment")
    StatusUpdate = apps.get_model("commitments", "StatusUpdate")
    counting = StatusUpdate.objects.filter(published_at__isnull=False, withdrawn_at__isnull=True)
    for commitment in Commitment.objects.exclude(current_status_date=None).only("id"):
        latest = counting.filter(commitment=commitment).order_by("-as_of", "-published_at", "-id").first()
        if latest is not None and latest.as_of_precision != "day":
            Commitment.objects.filter(pk=commitment.pk).update(current_status_precision=latest.as_of_precision)


class Migration(migrations.Migration):

    dependencies = [
        ('commitments', '0020_history_reason_text'),
    ]

    operations = [
        migrations.RunPython(sqlite_search.migration_step("drop_triggers"), sqlite_search.migration_step("create_triggers")),
        migrations.AddField(
            model_name='commitment',
            name='current_status_precision',
            field=models.CharField(choices=[('day', 'Day'), ('month', 'Month'), ('year', 'Year')], db_default='day', default='day', editable=False, help_text='Derived: how precise that as-of date is (it is shown, and exported, at its precision).', max_length=5),
        ),
        migrations.RunPython(derive_precision, migrations.RunPython.noop),
        migrations.RunPython(sqlite_search.migration_step("create_triggers"), sqlite_search.migration_step("drop_triggers")),
    ]
