"""Create the triggers that reject UPDATE and DELETE on the audit tables."""

from django.db import migrations


def create(apps, schema_editor):
    from shoumi.audit.guards import create_guards

    create_guards(schema_editor.connection)


def drop(apps, schema_editor):
    from shoumi.audit.guards import drop_guards

    drop_guards(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_event_columns_from_encoding"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
