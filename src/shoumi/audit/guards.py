"""Database triggers that make the audit tables insert-only.

On every protected table the database rejects UPDATE and DELETE (and on
PostgreSQL also TRUNCATE) with an error whose message starts with
``audit_append_only``. The one exception: an event row may be deleted once
an ``ArchivedSegment`` row records a signed archive file that contains it,
which is how ``shoumi audit archive --execute`` moves old events out.

``create_guards(connection, allow_test_flush=True)`` is for the test
database only. It adds a second exception for Django's test flush, which
empties every table between transactional tests: SQLite's DELETE passes
while the connection's ``shoumi_audit_test_flush()`` function returns 1,
and PostgreSQL's TRUNCATE passes while the session setting
``shoumi.audit_test_flush`` is ``on``. The production migration never
installs that exception.

What this does not protect against: a database user who owns the tables
can drop the triggers, and any user with INSERT rights can add an
``ArchivedSegment`` row and then delete events. The signed checkpoints and
leaf tags are what expose such changes, through ``shoumi audit verify``.
On SQLite, a migration that alters a protected table rebuilds it without
its triggers; :func:`missing_guards` finds that.
"""

from __future__ import annotations

from typing import Any, Final

GUARD_ERROR: Final = "audit_append_only"
TEST_FLUSH_FUNCTION: Final = "shoumi_audit_test_flush"
TEST_FLUSH_SETTING: Final = "shoumi.audit_test_flush"

EVENT_TABLE: Final = "audit_auditevent"
PROTECTED_TABLES: Final = (
    EVENT_TABLE,
    "audit_subtreehash",
    "audit_signedcheckpoint",
    "audit_archivedsegment",
    "audit_verificationrun",
)
_PG_FUNCTION: Final = "audit_reject_change"
_ARCHIVED: Final = (
    "EXISTS (SELECT 1 FROM audit_archivedsegment AS segment "
    "WHERE OLD.seq >= segment.first_seq AND OLD.seq < segment.end_seq)"
)


def _sqlite_trigger_names(table: str) -> tuple[str, str]:
    return f"{table}_reject_update", f"{table}_reject_delete"


def _sqlite_create(table: str, allow_test_flush: bool) -> list[str]:
    update_trigger, delete_trigger = _sqlite_trigger_names(table)
    exceptions = []
    if table == EVENT_TABLE:
        exceptions.append(_ARCHIVED)
    if allow_test_flush:
        exceptions.append(f"{TEST_FLUSH_FUNCTION}() = 1")
    when = f"WHEN NOT ({' OR '.join(exceptions)}) " if exceptions else ""
    return [
        f"DROP TRIGGER IF EXISTS {update_trigger}",
        f"DROP TRIGGER IF EXISTS {delete_trigger}",
        f"CREATE TRIGGER {update_trigger} BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{GUARD_ERROR}: rows of {table} cannot be updated'); END",
        f"CREATE TRIGGER {delete_trigger} BEFORE DELETE ON {table} {when}"
        f"BEGIN SELECT RAISE(ABORT, '{GUARD_ERROR}: rows of {table} cannot be deleted'); END",
    ]


def _postgresql_function(allow_test_flush: bool) -> str:
    test_flush = (
        f"    IF TG_OP = 'TRUNCATE' AND current_setting('{TEST_FLUSH_SETTING}', true) = 'on' THEN\n"
        "        RETURN NULL;\n"
        "    END IF;\n"
        if allow_test_flush
        else ""
    )
    return (
        f"CREATE OR REPLACE FUNCTION {_PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        f"{test_flush}"
        # Nested, because PL/pgSQL may evaluate OLD.seq even when the table
        # check is false, and the other tables have no such column.
        f"    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = '{EVENT_TABLE}' THEN\n"
        f"        IF {_ARCHIVED} THEN\n"
        "            RETURN OLD;\n"
        "        END IF;\n"
        "    END IF;\n"
        f"    RAISE EXCEPTION '{GUARD_ERROR}: % on % is not allowed', TG_OP, TG_TABLE_NAME\n"
        "        USING ERRCODE = 'insufficient_privilege';\n"
        "END\n"
        "$$"
    )


def _postgresql_create(allow_test_flush: bool) -> list[str]:
    statements = [_postgresql_function(allow_test_flush)]
    for table in PROTECTED_TABLES:
        statements += [
            f"DROP TRIGGER IF EXISTS {table}_reject_change ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_reject_truncate ON {table}",
            f"CREATE TRIGGER {table}_reject_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {_PG_FUNCTION}()",
            f"CREATE TRIGGER {table}_reject_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {_PG_FUNCTION}()",
        ]
    return statements


def _statements(vendor: str, allow_test_flush: bool) -> list[str]:
    if vendor == "sqlite":
        return [
            statement
            for table in PROTECTED_TABLES
            for statement in _sqlite_create(table, allow_test_flush)
        ]
    if vendor == "postgresql":
        return _postgresql_create(allow_test_flush)
    raise NotImplementedError(
        f"No audit table guards for the {vendor!r} database; shoumi supports SQLite and PostgreSQL."
    )


def create_guards(connection: Any, *, allow_test_flush: bool = False) -> None:
    """Create (or replace) the triggers on every protected table of ``connection``."""
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, allow_test_flush):
            cursor.execute(statement)


def drop_guards(connection: Any) -> None:
    """Drop the triggers; used when the migration that created them is reversed."""
    with connection.cursor() as cursor:
        for table in PROTECTED_TABLES:
            if connection.vendor == "sqlite":
                for name in _sqlite_trigger_names(table):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_reject_change ON {table}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_reject_truncate ON {table}")
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP FUNCTION IF EXISTS {_PG_FUNCTION}()")


def expected_triggers(vendor: str) -> set[str]:
    """Return the names of the triggers that guard the tables on ``vendor``."""
    if vendor == "sqlite":
        return {name for table in PROTECTED_TABLES for name in _sqlite_trigger_names(table)}
    return {
        f"{table}_{kind}"
        for table in PROTECTED_TABLES
        for kind in ("reject_change", "reject_truncate")
    }


def missing_guards(connection: Any) -> list[str]:
    """Return the names of expected triggers that ``connection``'s database lacks, sorted."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        present = {row[0] for row in cursor.fetchall()}
    return sorted(expected_triggers(connection.vendor) - present)
