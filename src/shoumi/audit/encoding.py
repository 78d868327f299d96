"""Mapping of an audit event's values to the ledger's event schema, and checks of the index columns.

The append path and the migration of the interim event table both build
the ledger mapping with :func:`ledger_fields`. Verification and the viewer
compare an event's index columns with its encoding through
:func:`index_mismatch`, so a search column edited behind the guards'
back is found too.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from shoumi.audit.models import ACTOR_EMPLOYEE_NUMBER_KEY


def ledger_fields(
    *,
    seq: int,
    occurred_at: dt.datetime,
    action: str,
    result: str,
    actor_id: int | None,
    actor_employee_number: str,
    actor_roles: str,
    object_type: str,
    object_id: str,
    field: str,
    purpose: str,
    client_ip: str | None,
    request_id: str,
    details: Mapping[str, Any],
) -> dict[str, Any]:
    """Return the mapping that ``shoumi.ledger.encode_event`` encodes for one event.

    Empty strings become null, because the ledger schema allows null but
    not an empty string for optional fields. The actor's employee number
    goes into ``details`` under ``ACTOR_EMPLOYEE_NUMBER_KEY``.
    """
    encoded_details = dict(details)
    if actor_employee_number:
        encoded_details[ACTOR_EMPLOYEE_NUMBER_KEY] = actor_employee_number
    return {
        "seq": seq,
        "time": occurred_at,
        "action": action,
        "result": result,
        "actor_id": str(actor_id) if actor_id is not None else None,
        "actor_role": actor_roles or None,
        "object_type": object_type or None,
        "object_id": object_id or None,
        "field": field or None,
        "purpose": purpose or None,
        "client_ip": client_ip or None,
        "request_id": request_id or None,
        "details": encoded_details,
    }


class IndexRow(NamedTuple):
    """The index columns of one stored event, with the time as the canonical event time string."""

    seq: int
    time: str
    actor_id: int | None
    actor_employee_number: str
    action: str
    object_type: str
    object_id: str
    result: str


def _json_string(value: str) -> bytes:
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return b'"' + value.encode("ascii") + b'"'
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _json_optional(value: str) -> bytes:
    return _json_string(value) if value else b"null"


def index_mismatch(row: IndexRow, encoded: bytes) -> str | None:
    """Return the name of the first index column that disagrees with ``encoded``, or None.

    This compares bytes instead of parsing the JSON, because verification
    runs it for every event. It relies on the canonical form, whose keys are
    sorted: ``action`` and ``actor_id`` open the object, ``result``, ``seq``,
    ``time`` and ``v`` close it, and ``object_id`` and ``object_type``
    follow ``details`` and ``field``. A quote inside a JSON string is always
    escaped, so the last ``"object_id":`` is the top-level key, and the
    actor key can only be the one this module adds to ``details``.
    """
    action_prefix = b'{"action":' + _json_string(row.action) + b',"actor_id":'
    if not encoded.startswith(action_prefix):
        return "action"
    actor_id = b"null" if row.actor_id is None else b'"%d"' % row.actor_id
    if not encoded.startswith(actor_id + b',"actor_role":', len(action_prefix)):
        return "actor_id"

    time_suffix = b',"time":"' + row.time.encode("ascii") + b'","v":1}'
    if not encoded.endswith(time_suffix):
        return "occurred_at"
    seq_suffix = b',"seq":%d' % row.seq + time_suffix
    if not encoded.endswith(seq_suffix):
        return "seq"
    if not encoded.endswith(b',"result":' + _json_string(row.result) + seq_suffix):
        return "result"

    object_position = encoded.rfind(b',"object_id":')
    object_id = b',"object_id":' + _json_optional(row.object_id) + b',"object_type":'
    if object_position < 0 or not encoded.startswith(object_id, object_position):
        return "object_id"
    object_type = _json_optional(row.object_type) + b',"purpose":'
    if not encoded.startswith(object_type, object_position + len(object_id)):
        return "object_type"

    actor_key = b'"' + ACTOR_EMPLOYEE_NUMBER_KEY.encode("ascii") + b'":'
    if row.actor_employee_number:
        if actor_key + _json_string(row.actor_employee_number) not in encoded:
            return "actor_employee_number"
    elif actor_key in encoded:
        return "actor_employee_number"
    return None
