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
from typing import Any, Final, NamedTuple

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


_ACTOR_KEY: Final = b'"' + ACTOR_EMPLOYEE_NUMBER_KEY.encode("ascii") + b'":'
_MAX_CACHED: Final = 10_000
_json_cache: dict[str, bytes] = {}


def _json_string(value: str) -> bytes:
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return b'"' + value.encode("ascii") + b'"'
    # A column read with undecodable bytes kept as lone surrogates (see verification) must
    # still encode: its bytes then match no encoding, which contains valid Unicode only.
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _json_cached(value: str) -> bytes:
    """Return :func:`_json_string` of a value from a small set (actions, results, types, staff)."""
    encoded = _json_cache.get(value)
    if encoded is None:
        encoded = _json_string(value) if value else b"null"
        if len(_json_cache) < _MAX_CACHED:
            _json_cache[value] = encoded
    return encoded


def index_mismatch(row: IndexRow | tuple[Any, ...], encoded: bytes) -> str | None:
    """Return the name of the first index column that disagrees with ``encoded``, or None.

    ``row`` is an :class:`IndexRow` or a plain tuple of the same fields,
    which is what verification passes to save building one per event.

    This compares bytes instead of parsing the JSON, because verification
    runs it for every event. It relies on the canonical form, whose keys are
    sorted: ``action`` and ``actor_id`` open the object, ``result``, ``seq``,
    ``time`` and ``v`` close it, and ``object_id`` and ``object_type``
    follow ``details`` and ``field``. A quote inside a JSON string is always
    escaped, so the last ``"object_id":`` is the top-level key, and the
    actor key can only be the one this module adds to ``details``.
    """
    if _row_matches(row, encoded):
        return None
    return _first_mismatch(IndexRow(*row), encoded)


def _row_matches(row: IndexRow | tuple[Any, ...], encoded: bytes) -> bool:
    seq, time, actor_id, employee_number, action, object_type, object_id, result = row
    # SQLite stores any type in any column, and b"%d" would read 5.5 as 5.
    if (
        type(seq) is not int
        or (actor_id is not None and type(actor_id) is not int)
        or not all(
            type(value) is str
            for value in (time, employee_number, action, object_type, object_id, result)
        )
    ):
        return False
    head = b'{"action":%s,"actor_id":%s,"actor_role":' % (
        _json_cached(action),
        b"null" if actor_id is None else b'"%d"' % actor_id,
    )
    tail = b',"result":%s,"seq":%d,"time":"%s","v":1}' % (
        _json_cached(result),
        seq,
        time.encode("ascii"),
    )
    objects = b',"object_id":%s,"object_type":%s,"purpose":' % (
        _json_string(object_id) if object_id else b"null",
        _json_cached(object_type),
    )
    if employee_number:
        has_actor = _ACTOR_KEY + _json_cached(employee_number) in encoded
    else:
        has_actor = _ACTOR_KEY not in encoded
    return (
        encoded.startswith(head)
        and encoded.endswith(tail)
        and encoded.startswith(objects, encoded.rfind(b',"object_id":'))
        and has_actor
    )


_COLUMN_ORDER: Final = (
    "action",
    "actor_id",
    "time",
    "seq",
    "result",
    "object_id",
    "object_type",
    "actor_employee_number",
)


def _first_mismatch(row: IndexRow, encoded: bytes) -> str:
    """Name the column that differs, parsing the JSON; runs only when a row does not match."""
    decoded = _decoded_row(encoded)
    if decoded is not None:
        for column in _COLUMN_ORDER:
            if getattr(row, column) != getattr(decoded, column):
                return "occurred_at" if column == "time" else column
    # The values agree but the bytes are not laid out canonically.
    return "encoded"


def _decoded_row(encoded: bytes) -> IndexRow | None:
    try:
        decoded = json.loads(encoded)
    except ValueError:
        return None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("details"), dict):
        return None
    actor_id = decoded.get("actor_id")
    return IndexRow(
        seq=decoded.get("seq", -1),
        time=str(decoded.get("time")),
        actor_id=int(actor_id) if isinstance(actor_id, str) and actor_id.isdigit() else None,
        actor_employee_number=decoded["details"].get(ACTOR_EMPLOYEE_NUMBER_KEY, ""),
        action=str(decoded.get("action")),
        object_type=decoded.get("object_type") or "",
        object_id=decoded.get("object_id") or "",
        result=str(decoded.get("result")),
    )
