"""Canonical, versioned byte encoding of audit events.

The leaf of the Merkle tree is the encoded event, so the encoding must be
deterministic: one mapping has exactly one encoding, and :func:`decode_event`
rejects every other byte string that would parse to the same mapping.

Encoding (format version 1): a JSON object (RFC 8259) in UTF-8 with keys
sorted by code point, no whitespace, non-ASCII characters written as
themselves, and only these value types: string, integer, boolean, null,
array and object. Floats, NaN and infinities are rejected. Integers lie in
the signed 64-bit range.

Schema (every key is present; ``null`` where a field does not apply):

=============== ======================= =====================================
key             type                    meaning
=============== ======================= =====================================
``v``           integer, 1              encoding format version
``seq``         integer >= 0            position of the event in the log
``time``        string                  RFC 3339 UTC time with microseconds,
                                        ``YYYY-MM-DDTHH:MM:SS.ffffffZ``
``actor_id``    string or null          internal id of the acting user;
                                        null for system events
``actor_role``  string or null          role the actor acted in
``action``      string                  dotted snake_case event type, for
                                        example ``client.reveal``
``object_type`` string or null          type of the record acted on
``object_id``   string or null          internal id of that record
``field``       string or null          field name, for field-level events
``purpose``     string or null          reason code given for the access
``result``      string                  ``success``, ``failure`` or
                                        ``denied``
``client_ip``   string or null          IPv4 or IPv6 address in the form
                                        :mod:`ipaddress` prints it
``request_id``  string or null          request id bound by the middleware
``details``     object                  further key-value pairs (may be
                                        empty); masks and keyed
                                        fingerprints only
=============== ======================= =====================================

Events never carry plaintext personal data. As a safety net,
:func:`encode_event` rejects any string that contains, standing alone, a run
of 15 to 19 digits, 17 digits and ``X``, or 16 to 19 digits in groups of
four: the shapes of resident ID and bank card numbers, also in full-width
digits. NOTE: the check does not catch 11-digit mobile numbers, names,
addresses or numbers split in other ways; masking them is the caller's job.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Final

from shoumi.ledger.errors import EventEncodingError

EVENT_FORMAT_VERSION: Final = 1
MAX_EVENT_BYTES: Final = 65536
MAX_FIELD_LENGTH: Final = 256
MAX_DETAILS_DEPTH: Final = 8
RESULTS: Final = frozenset({"success", "failure", "denied"})

OPTIONAL_STRING_FIELDS: Final = (
    "actor_id",
    "actor_role",
    "object_type",
    "object_id",
    "field",
    "purpose",
    "client_ip",
    "request_id",
)
EVENT_FIELDS: Final = frozenset(
    {"v", "seq", "time", "action", "result", "details", *OPTIONAL_STRING_FIELDS}
)

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_TIME_PATTERN: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_ACTION_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
_IDENTIFIER_SHAPED: Final = re.compile(
    r"(?<![0-9A-Za-z])"
    r"(?:[0-9]{15,19}|[0-9]{17}[Xx]|[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -][0-9]{1,3})?)"
    r"(?![0-9A-Za-z])"
)
"""Resident ID numbers (15 or 18 characters) and bank card numbers (16-19 digits,
possibly in groups of four), standing alone. Applied after NFKC normalisation,
so full-width digits and letters count as ASCII ones."""
SEQ_KEY: Final = b'"seq":'


def format_event_time(moment: dt.datetime) -> str:
    """Return ``moment`` as the canonical RFC 3339 UTC string with microseconds.

    Raises:
        EventEncodingError: ``moment`` has no time zone.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise EventEncodingError("event time must be timezone-aware; got a naive datetime")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_event_time(text: str) -> dt.datetime:
    """Return the aware UTC datetime of a canonical event time string.

    Raises:
        EventEncodingError: ``text`` is not ``YYYY-MM-DDTHH:MM:SS.ffffffZ``
            or is not a real date and time.
    """
    if not isinstance(text, str) or not _TIME_PATTERN.fullmatch(text):
        raise EventEncodingError(
            "event time must be an RFC 3339 UTC string like 2026-01-31T08:00:00.000000Z"
        )
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise EventEncodingError("event time is not a valid date and time") from None


def _check_text(key: str, value: object, *, is_required: bool) -> None:
    if value is None and not is_required:
        return
    if not isinstance(value, str) or not value:
        expected = "a non-empty string" if is_required else "a non-empty string or null"
        raise EventEncodingError(f"event field {key!r} must be {expected}")
    if len(value) > MAX_FIELD_LENGTH:
        raise EventEncodingError(
            f"event field {key!r} has {len(value)} characters, maximum {MAX_FIELD_LENGTH}"
        )


def _check_client_ip(value: object) -> None:
    if value is None:
        return
    try:
        canonical = ipaddress.ip_address(value).compressed  # type: ignore[arg-type]
    except ValueError:
        raise EventEncodingError("event field 'client_ip' is not an IP address") from None
    if canonical != value:
        raise EventEncodingError(
            "event field 'client_ip' must be written in canonical form, "
            "as ipaddress.ip_address(value).compressed prints it"
        )


def _check_json_value(value: object, path: str, depth: int) -> None:
    if depth > MAX_DETAILS_DEPTH:
        raise EventEncodingError(f"event details nest deeper than {MAX_DETAILS_DEPTH} at {path}")
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise EventEncodingError(f"integer at {path} is outside the signed 64-bit range")
        return
    if isinstance(value, float):
        raise EventEncodingError(f"float at {path}; events allow integers and strings only")
    if isinstance(value, list):
        for position, item in enumerate(value):
            _check_json_value(item, f"{path}[{position}]", depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EventEncodingError(f"object key at {path} is not a string")
            _check_json_value(item, f"{path}.{key}", depth + 1)
        return
    raise EventEncodingError(f"value of type {type(value).__name__} at {path} is not allowed")


def _check_event(event: Mapping[str, Any]) -> None:
    unknown = sorted(set(event) - EVENT_FIELDS)
    if unknown:
        raise EventEncodingError(f"unknown event fields: {', '.join(map(repr, unknown))}")
    missing = sorted(EVENT_FIELDS - set(event))
    if missing:
        raise EventEncodingError(f"missing event fields: {', '.join(map(repr, missing))}")

    if type(event["v"]) is not int or event["v"] != EVENT_FORMAT_VERSION:
        raise EventEncodingError(
            f"event format version must be {EVENT_FORMAT_VERSION}; got {event['v']!r}"
        )
    seq = event["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= _INT64_MAX:
        raise EventEncodingError("event field 'seq' must be a non-negative 64-bit integer")
    parse_event_time(event["time"])
    _check_text("action", event["action"], is_required=True)
    if not _ACTION_PATTERN.fullmatch(event["action"]):
        raise EventEncodingError(
            "event field 'action' must be dotted snake_case, for example 'client.reveal'"
        )
    if event["result"] not in RESULTS:
        raise EventEncodingError(
            f"event field 'result' must be one of {', '.join(sorted(RESULTS))}"
        )
    for key in OPTIONAL_STRING_FIELDS:
        _check_text(key, event[key], is_required=False)
    _check_client_ip(event["client_ip"])
    if not isinstance(event["details"], dict):
        raise EventEncodingError("event field 'details' must be an object")
    _check_json_value(event["details"], "details", 1)


def _collect_strings(value: object, strings: list[str]) -> None:
    """Append the strings of ``value``, with the keys and values of nested objects and lists."""
    if isinstance(value, str):
        strings.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            strings.append(key)
            if isinstance(item, str):
                strings.append(item)
            else:
                _collect_strings(item, strings)
    elif isinstance(value, list):
        for item in value:
            _collect_strings(item, strings)


def _reject_identifier_shapes(event: Mapping[str, Any]) -> None:
    # One search over the strings of every field first: almost every event
    # passes, and only a failing one needs the search by field, which names
    # the field in the error.
    strings: list[str] = []
    for value in event.values():
        if isinstance(value, str):
            strings.append(value)
        elif value is not None:
            _collect_strings(value, strings)
    every_string = "\x00".join(strings)
    if not _IDENTIFIER_SHAPED.search(unicodedata.normalize("NFKC", every_string)):
        return
    for key, value in event.items():
        # One search over the field's strings, joined by a separator that
        # the pattern treats as a boundary, is faster than one per string.
        field_strings: list[str] = []
        _collect_strings(value, field_strings)
        text = unicodedata.normalize("NFKC", "\x00".join(field_strings))
        if _IDENTIFIER_SHAPED.search(text):
            raise EventEncodingError(
                f"event field {key!r} contains a 15-19 digit number shaped like an "
                "ID or bank card number; store its mask or a keyed fingerprint instead",
                code="ledger_event_plaintext_suspected",
            )


def _dump(event: Mapping[str, Any]) -> bytes:
    try:
        text = json.dumps(
            event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise EventEncodingError("event contains a string that is not valid Unicode") from None


def encode_event(event: Mapping[str, Any]) -> bytes:
    """Return the canonical encoding of ``event``.

    ``event`` contains the schema's keys except ``v``, which is added. Missing
    optional string fields become null and missing ``details`` becomes an
    empty object. ``time`` may be an aware :class:`datetime.datetime`.

    Raises:
        EventEncodingError: a field is unknown, missing or of the wrong type,
            the encoding exceeds ``MAX_EVENT_BYTES``, or a string looks like
            a plaintext ID or bank card number (code
            ``ledger_event_plaintext_suspected``).
    """
    record: dict[str, Any] = dict.fromkeys(OPTIONAL_STRING_FIELDS)
    record["details"] = {}
    record.update(event)
    record.setdefault("v", EVENT_FORMAT_VERSION)
    if isinstance(record.get("time"), dt.datetime):
        record["time"] = format_event_time(record["time"])

    _check_event(record)
    _reject_identifier_shapes(record)
    encoded = _dump(record)
    if len(encoded) > MAX_EVENT_BYTES:
        raise EventEncodingError(
            f"encoded event has {len(encoded)} bytes, maximum {MAX_EVENT_BYTES}"
        )
    return encoded


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise EventEncodingError("encoded event has a duplicate object key")
    return result


def _reject_float(text: str) -> Any:
    raise EventEncodingError("encoded event contains a number that is not an integer")


def decode_event(encoded: bytes) -> dict[str, Any]:
    """Parse canonical event bytes back into a mapping.

    ``time`` stays a string; use :func:`parse_event_time` for a datetime.

    Raises:
        EventEncodingError: the bytes are not UTF-8 JSON, break the schema,
            or are not exactly the canonical encoding of what they contain
            (whitespace, key order, escapes, number forms).
    """
    if not isinstance(encoded, (bytes, bytearray)):
        raise EventEncodingError("encoded event must be bytes")
    if len(encoded) > MAX_EVENT_BYTES:
        raise EventEncodingError(
            f"encoded event has {len(encoded)} bytes, maximum {MAX_EVENT_BYTES}"
        )
    try:
        text = bytes(encoded).decode("utf-8")
        event = json.loads(
            text,
            object_pairs_hook=_reject_duplicate_keys,
            parse_float=_reject_float,
            parse_constant=_reject_float,
        )
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise EventEncodingError("encoded event is not UTF-8 JSON") from None
    if not isinstance(event, dict):
        raise EventEncodingError("encoded event is not a JSON object")

    _check_event(event)
    if _dump(event) != encoded:
        raise EventEncodingError("encoded event is not in canonical form")
    return event


def read_event_seq(encoded: bytes) -> int:
    """Return the ``seq`` of canonical event bytes without parsing the whole event.

    The verifier calls this for every event, and a full :func:`decode_event`
    would dominate its run time. It relies on the canonical form, in which
    keys are sorted. ``details``, the only nested object, sorts before
    ``seq`` and a quote inside a string is always escaped, so the top-level
    ``"seq":`` is the last occurrence of that key. ``"time"`` always follows it.

    Raises:
        EventEncodingError: no canonical ``seq`` value is found.
    """
    position = encoded.rfind(SEQ_KEY)
    if position < 0:
        raise EventEncodingError("encoded event has no 'seq' field")
    start = position + len(SEQ_KEY)
    end = encoded.find(b",", start)
    digits = encoded[start:end]
    if end < 0 or not digits.isdigit() or (digits[:1] == b"0" and len(digits) > 1):
        raise EventEncodingError("encoded event has no canonical 'seq' value")
    return int(digits)
