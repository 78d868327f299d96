from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0003_alter_approvalrequest_kind"),
    ]

    operations = [
        migrations.AlterField(
            model_name="approvalrequest",
            name="kind",
            field=models.CharField(
                choices=[
                    ("bulk_export", "Bulk export"),
                    ("break_glass_reveal", "Administrator reveal (break-glass)"),
                    ("delete_client_data", "Deletion of client data"),
                    ("key_rotation", "Master key rotation"),
                    ("restore_backup", "Restore from backup"),
                    ("role_change", "Role change"),
                    ("copy_export", "Download or print of a marked document copy"),
                    ("original_export", "Export of an unmarked original document"),
                    ("enrolment_reset", "Reset of a staff account's login"),
                ],
                max_length=32,
                verbose_name="kind",
            ),
        ),
    ]
