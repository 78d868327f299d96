"""Make the database itself refuse to delete or change destruction records.

Destruction records (销毁记录表) and the destruction register are kept
permanently, so DELETE and UPDATE on both tables raise an integrity error,
whatever the client: the ORM, a management command or an SQL prompt. On
PostgreSQL TRUNCATE of a table that holds rows is refused too (an empty
table may be truncated, which Django's test flush does). Dropping the
triggers takes a schema change that a reviewer sees; this protects against
code paths and mistakes, not against the database owner.
"""

from django.db import migrations

TABLES = ("materials_destructionrecord", "materials_destructionrecorditem")
MESSAGE = "destruction records are kept permanently"


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            for operation in ("DELETE", "UPDATE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_refuse_{operation.lower()} "
                    f"BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {operation} is not allowed'); END;"
                )
        elif vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_refuse_change BEFORE DELETE OR UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION materials_refuse_record_change()"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {table}_refuse_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION materials_refuse_record_truncate()"
            )
        else:
            raise NotImplementedError(
                f"Destruction-record triggers exist for SQLite and PostgreSQL, not {vendor}."
            )


def install_functions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # params=None keeps psycopg from reading the % of RAISE and format() as placeholders.
    schema_editor.execute(
        "CREATE FUNCTION materials_refuse_record_change() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '{MESSAGE}: % is not allowed on %', TG_OP, TG_TABLE_NAME "
        "USING ERRCODE = 'restrict_violation'; END $$",
        params=None,
    )
    schema_editor.execute(
        # The table name comes from the trigger, not from input.
        "CREATE FUNCTION materials_refuse_record_truncate() RETURNS trigger "  # noqa: S608
        "LANGUAGE plpgsql AS $$ DECLARE has_rows boolean; BEGIN "
        "EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I)', TG_TABLE_SCHEMA, TG_TABLE_NAME) "
        "INTO has_rows; "
        f"IF has_rows THEN RAISE EXCEPTION '{MESSAGE}: TRUNCATE is not allowed on %', "
        "TG_TABLE_NAME USING ERRCODE = 'restrict_violation'; END IF; "
        "RETURN NULL; END $$",
        params=None,
    )


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            for operation in ("delete", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_{operation}")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_change ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_truncate ON {table}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS materials_refuse_record_change()")
        schema_editor.execute("DROP FUNCTION IF EXISTS materials_refuse_record_truncate()")


def install_all(apps, schema_editor):
    install_functions(apps, schema_editor)
    install(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("materials", "0001_initial")]

    operations = [migrations.RunPython(install_all, remove)]
