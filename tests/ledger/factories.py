"""Synthetic audit events for ledger tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shoumi.ledger.events import encode_event

BASE_TIME = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
ACTIONS = ("auth.login", "client.reveal", "client.update", "export.create")


def event_fields(seq: int, /, **overrides: Any) -> dict[str, Any]:
    """Return the fields of a synthetic event numbered ``seq``."""
    fields: dict[str, Any] = {
        "seq": seq,
        "time": BASE_TIME + dt.timedelta(seconds=seq),
        "actor_id": f"user-{seq % 7}",
        "actor_role": "clerk",
        "action": ACTIONS[seq % len(ACTIONS)],
        "object_type": "client",
        "object_id": f"client-{seq % 13}",
        "field": "bank_account",
        "purpose": "tax_filing",
        "result": "success",
        "client_ip": "127.0.0.1",
        "request_id": f"req-{seq:08d}",
        "details": {"mask": "6217 **** **** 6786"},
    }
    fields.update(overrides)
    return fields


def encoded_events(count: int, start: int = 0) -> list[bytes]:
    """Return ``count`` encoded synthetic events numbered from ``start``."""
    return [encode_event(event_fields(seq)) for seq in range(start, start + count)]
