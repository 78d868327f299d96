"""The database rejects UPDATE, DELETE and TRUNCATE on the audit tables."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.db import DatabaseError, connection, transaction

from shoumi.audit.guards import (
    GUARD_ERROR,
    PROTECTED_TABLES,
    create_guards,
    expected_triggers,
    missing_guards,
)
from shoumi.audit.models import ArchivedSegment, AuditEvent
from shoumi.audit.verification import verify_stored_log
from shoumi.config import clock
from tests.audit import flush
from tests.audit.helpers import append_events, execute, run_command

pytestmark = pytest.mark.django_db

CHANGES = {
    "audit_auditevent": "UPDATE audit_auditevent SET action = 'logout'",
    "audit_subtreehash": "UPDATE audit_subtreehash SET hash = hash",
    "audit_signedcheckpoint": "UPDATE audit_signedcheckpoint SET size = size + 1",
    "audit_archivedsegment": "UPDATE audit_archivedsegment SET end_seq = end_seq",
    "audit_verificationrun": "UPDATE audit_verificationrun SET is_valid = is_valid",
}


def _rejected(sql: str) -> str:
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        execute(sql)
    return str(caught.value)


def _record_segment(first_seq: int, end_seq: int) -> None:
    """Record an archive segment; its file does not exist, which the guards do not check."""
    ArchivedSegment.objects.create(
        first_seq=first_seq,
        end_seq=end_seq,
        file_name=f"audit-{first_seq}.segment",
        path=f"/nonexistent/audit-{first_seq}.segment",
        sha256="0" * 64,
        created_at=clock.now(),
    )


@pytest.fixture
def filled_tables() -> None:
    append_events(3)
    _record_segment(100, 101)
    verify_stored_log()


@pytest.mark.parametrize("table", PROTECTED_TABLES)
def test_update_is_rejected(filled_tables, table: str) -> None:
    assert GUARD_ERROR in _rejected(CHANGES[table])


@pytest.mark.parametrize("table", PROTECTED_TABLES)
def test_delete_is_rejected(filled_tables, table: str) -> None:
    assert GUARD_ERROR in _rejected(f"DELETE FROM {table}")  # noqa: S608


def test_orm_delete_of_an_event_is_rejected(filled_tables) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=0).delete()

    assert AuditEvent.objects.count() == 3


def test_event_inside_an_archived_range_may_be_deleted() -> None:
    append_events(3)
    _record_segment(0, 2)

    AuditEvent.objects.filter(seq__lt=2).delete()

    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [2]
    assert GUARD_ERROR in _rejected("DELETE FROM audit_auditevent WHERE seq = 2")


def test_test_flush_passes_only_while_flushing(filled_tables) -> None:
    with flush.flush_allowed(connection):
        execute(_flush_statement("audit_verificationrun"))

    assert GUARD_ERROR in _rejected(_flush_statement("audit_auditevent"))


def test_production_guards_have_no_flush_exception(filled_tables) -> None:
    create_guards(connection)  # rolled back with the test

    with flush.flush_allowed(connection):
        message = _rejected(_flush_statement("audit_auditevent"))

    assert GUARD_ERROR in message


def _flush_statement(table: str) -> str:
    if connection.vendor == "postgresql":
        return f"TRUNCATE {table}"
    return f"DELETE FROM {table}"  # noqa: S608


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL")
def test_truncate_is_rejected(filled_tables) -> None:
    assert GUARD_ERROR in _rejected("TRUNCATE audit_auditevent")


def test_migrations_leave_every_trigger_in_place() -> None:
    assert missing_guards(connection) == []
    assert len(expected_triggers(connection.vendor)) == 2 * len(PROTECTED_TABLES)


def test_missing_trigger_is_reported_and_created_again() -> None:
    trigger = sorted(expected_triggers(connection.vendor))[0]
    table = next(table for table in PROTECTED_TABLES if trigger.startswith(table))
    suffix = f" ON {table}" if connection.vendor == "postgresql" else ""
    execute(f"DROP TRIGGER {trigger}{suffix}")

    messages = run_checks(databases=["default"])
    outcome = run_command("audit", "guards")

    assert "audit.W002" in [message.id for message in messages]
    assert outcome.exit_code == 0
    assert missing_guards(connection) == []
    create_guards(connection, allow_test_flush=True)  # the test database's variant
