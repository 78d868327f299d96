from django.db import migrations, models

# The name Django gave the index of ``db_index=True`` in 0001, on every backend.
ACTOR_INDEX = "audit_auditevent_actor_id_270bb4b7"


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0008_event_actor_recent_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="loghead",
            name="compact_range",
            field=models.BinaryField(default=b"", verbose_name="kept compact range"),
        ),
        migrations.AddField(
            model_name="loghead",
            name="compact_range_size",
            field=models.BigIntegerField(default=0, verbose_name="size of the kept compact range"),
        ),
        # Only the index goes. A plain AlterField would make SQLite rebuild the event
        # table, which copies every event and drops the table's insert-only triggers.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="actor_id",
                    field=models.BigIntegerField(blank=True, null=True, verbose_name="actor id"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f"DROP INDEX IF EXISTS {ACTOR_INDEX}",
                    reverse_sql=f"CREATE INDEX {ACTOR_INDEX} ON audit_auditevent (actor_id)",
                ),
            ],
        ),
    ]
