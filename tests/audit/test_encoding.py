"""Index columns against the canonical encoding, compared byte for byte."""

from __future__ import annotations

import datetime as dt

import pytest

from shoumi.audit.encoding import IndexRow, index_mismatch, ledger_fields
from shoumi.ledger import encode_event

MOMENT = dt.datetime(2026, 3, 1, 8, 0, 0, 120000, tzinfo=dt.UTC)


def _encoded(**overrides: object) -> bytes:
    values: dict = {
        "seq": 41,
        "occurred_at": MOMENT,
        "action": "reveal",
        "result": "denied",
        "actor_id": 12,
        "actor_employee_number": "E00012",
        "actor_roles": "clerk",
        "object_type": "clients.person",
        "object_id": "0b6f4c2e-5d0b-4e0e-8f5c-1e2d3c4b5a69",
        "field": "resident_id",
        "purpose": '含"引号"和\\反斜杠的用途',
        "client_ip": "10.1.2.3",
        "request_id": "req-00000001",
        "details": {"object_id": "not the top-level key", "note": '"object_id":"x"'},
    }
    values.update(overrides)
    return encode_event(ledger_fields(**values))


ROW = IndexRow(
    seq=41,
    time="2026-03-01T08:00:00.120000Z",
    actor_id=12,
    actor_employee_number="E00012",
    action="reveal",
    object_type="clients.person",
    object_id="0b6f4c2e-5d0b-4e0e-8f5c-1e2d3c4b5a69",
    result="denied",
)


def test_matching_row_has_no_mismatch() -> None:
    assert index_mismatch(ROW, _encoded()) is None


def test_row_without_actor_or_object_matches() -> None:
    encoded = _encoded(actor_id=None, actor_employee_number="", object_type="", object_id="")
    row = ROW._replace(actor_id=None, actor_employee_number="", object_type="", object_id="")

    assert index_mismatch(row, encoded) is None


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "logout"),
        ("actor_id", 13),
        ("actor_id", None),
        ("actor_employee_number", "E00013"),
        ("actor_employee_number", ""),
        ("object_type", "clients.client"),
        ("object_id", "0b6f4c2e-5d0b-4e0e-8f5c-1e2d3c4b5a6a"),
        ("object_id", ""),
        ("result", "success"),
        ("seq", 42),
        ("time", "2026-03-01T08:00:00.120001Z"),
    ],
)
def test_each_changed_column_is_named(column: str, value: object) -> None:
    expected = "occurred_at" if column == "time" else column

    assert index_mismatch(ROW._replace(**{column: value}), _encoded()) == expected


def test_empty_values_become_null() -> None:
    fields = ledger_fields(
        seq=0,
        occurred_at=MOMENT,
        action="logout",
        result="success",
        actor_id=None,
        actor_employee_number="",
        actor_roles="",
        object_type="",
        object_id="",
        field="",
        purpose="",
        client_ip=None,
        request_id="",
        details={},
    )

    assert fields["actor_id"] is None
    assert fields["purpose"] is None
    assert fields["details"] == {}
