"""The interim event table's rows become ledger events, in id order, keeping their values."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shoumi.audit.guards import create_guards, missing_guards
from shoumi.audit.models import AuditEvent, LogHead, SignedCheckpoint
from shoumi.audit.verification import verify_stored_log
from shoumi.ledger import decode_event

INTERIM = [("audit", "0002_alter_auditevent_action")]
BASE = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


def _migrate(targets: list[tuple[str, str]] | None = None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor


@pytest.mark.django_db(transaction=True)
def test_interim_rows_are_converted_in_id_order() -> None:
    executor = _migrate(INTERIM)
    try:
        old_apps = executor.loader.project_state(INTERIM).apps
        interim_event = old_apps.get_model("audit", "AuditEvent")
        rows = [
            interim_event.objects.create(
                occurred_at=BASE + dt.timedelta(minutes=2),
                actor_id=7,
                actor_employee_number="E00007",
                actor_roles="clerk",
                action="login_succeeded",
                result="success",
                client_ip="2001:0db8:0000:0000:0000:0000:0000:0001",
                request_id="req-00000001",
            ),
            interim_event.objects.create(
                occurred_at=BASE,
                action="login_failed",
                result="failure",
                object_type="accounts.user",
                object_id="7",
                purpose="",
                details={"reason": "bad_password", "card": "6217 0000 0012 3456 786"},
            ),
            interim_event.objects.create(
                occurred_at=BASE + dt.timedelta(minutes=5),
                actor_id=8,
                actor_employee_number="E00008",
                actor_roles="manager,reviewer",
                action="reveal",
                result="denied",
                object_type="clients.person",
                object_id="0b6f4c2e-5d0b-4e0e-8f5c-1e2d3c4b5a69",
                field="resident_id",
                purpose="核对身份",
                details={"reason_code": "client_not_assigned"},
            ),
        ]
    finally:
        _migrate()
        create_guards(connection, allow_test_flush=True)

    events = list(AuditEvent.objects.order_by("seq"))
    assert [event.seq for event in events] == [0, 1, 2]
    assert [event.pk for event in events] == [row.pk for row in rows]
    first = decode_event(bytes(events[0].encoded))
    assert first["time"] == "2026-03-01T08:02:00.000000Z"
    assert first["client_ip"] == "2001:db8::1"
    assert first["details"] == {"actor_employee_number": "E00007"}
    assert events[0].actor_employee_number == "E00007"
    assert events[1].details == {"reason": "bad_password", "card": "[redacted]"}
    assert events[1].actor_id is None
    assert events[2].field == "resident_id"
    assert events[2].purpose == "核对身份"
    assert events[2].actor_roles == "manager,reviewer"
    assert LogHead.objects.get().size == 3
    assert SignedCheckpoint.objects.get().reason == "migration"
    outcome = verify_stored_log()
    assert outcome.is_valid, outcome.message
    assert outcome.covered_size == 3


@pytest.mark.django_db(transaction=True)
def test_empty_interim_table_needs_no_checkpoint() -> None:
    try:
        _migrate(INTERIM)
    finally:
        _migrate()
        create_guards(connection, allow_test_flush=True)

    assert not SignedCheckpoint.objects.exists()
    assert missing_guards(connection) == []
