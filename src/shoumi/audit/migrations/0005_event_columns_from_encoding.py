"""Require the ledger columns and drop the columns that the encoding now holds.

Roles, field, purpose, client IP, request id and details are read from the
canonical encoding (``AuditEvent.decoded``) after this migration, so that
the signed bytes are their only copy.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_convert_events_to_ledger"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(unique=True, verbose_name="sequence number"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="encoded",
            field=models.BinaryField(verbose_name="canonical encoding"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="leaf_hash",
            field=models.BinaryField(verbose_name="leaf hash"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="leaf_tag",
            field=models.BinaryField(verbose_name="leaf tag"),
        ),
        migrations.RemoveField(model_name="auditevent", name="actor_roles"),
        migrations.RemoveField(model_name="auditevent", name="field"),
        migrations.RemoveField(model_name="auditevent", name="purpose"),
        migrations.RemoveField(model_name="auditevent", name="client_ip"),
        migrations.RemoveField(model_name="auditevent", name="request_id"),
        migrations.RemoveField(model_name="auditevent", name="details"),
    ]
