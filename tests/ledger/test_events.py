from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoumi.ledger.errors import EventEncodingError
from shoumi.ledger.events import (
    decode_event,
    encode_event,
    format_event_time,
    parse_event_time,
    read_event_seq,
)
from tests.ledger.factories import event_fields


def test_encoding_is_sorted_compact_utf8() -> None:
    encoded = encode_event(event_fields(3, purpose="年度汇算"))

    text = encoded.decode("utf-8")
    keys = list(json.loads(text))
    assert keys == sorted(keys)
    assert ", " not in text
    assert ": " not in text
    assert "年度汇算" in text
    assert '"v":1' in text
    assert '"time":"2026-03-01T08:00:03.000000Z"' in text


def test_decode_returns_encoded_fields() -> None:
    encoded = encode_event(event_fields(42))

    event = decode_event(encoded)

    assert event["seq"] == 42
    assert event["v"] == 1
    assert event["action"] == "client.update"
    assert event["details"] == {"mask": "6217 **** **** 6786"}
    assert encode_event(event) == encoded


def test_missing_optional_fields_become_null() -> None:
    encoded = encode_event(
        {
            "seq": 0,
            "time": "2026-03-01T08:00:00.000000Z",
            "action": "system.start",
            "result": "success",
        }
    )

    event = decode_event(encoded)

    assert event["actor_id"] is None
    assert event["client_ip"] is None
    assert event["details"] == {}


def test_time_is_converted_to_utc() -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    moment = dt.datetime(2026, 3, 1, 16, 0, 0, 5, tzinfo=beijing)

    assert format_event_time(moment) == "2026-03-01T08:00:00.000005Z"
    assert parse_event_time("2026-03-01T08:00:00.000005Z") == moment


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"time": dt.datetime(2026, 3, 1, 8, 0)}, "naive"),
        ({"time": "2026-03-01T08:00:00Z"}, "RFC 3339"),
        ({"time": "2026-02-30T08:00:00.000000Z"}, "valid date"),
        ({"seq": -1}, "seq"),
        ({"seq": True}, "seq"),
        ({"seq": "1"}, "seq"),
        ({"action": "Client Reveal"}, "snake_case"),
        ({"result": "ok"}, "result"),
        ({"client_ip": "127.000.000.001"}, "client_ip"),
        ({"client_ip": "2001:DB8::1"}, "canonical"),
        ({"actor_id": ""}, "actor_id"),
        ({"actor_id": 17}, "actor_id"),
        ({"purpose": "x" * 257}, "maximum"),
        ({"details": {"ratio": 0.5}}, "float"),
        ({"details": {"blob": b"raw"}}, "bytes"),
        ({"details": {"n": 2**63}}, "64-bit"),
        ({"details": []}, "object"),
        ({"colour": "red"}, "unknown"),
        ({"v": 2}, "version"),
        ({"v": 1.0}, "version"),
    ],
)
def test_invalid_event_is_rejected(overrides: dict, message: str) -> None:
    with pytest.raises(EventEncodingError) as raised:
        encode_event(event_fields(1, **overrides))

    assert message in raised.value.message


# Case A1: bank card 6217000000123456786 -> 6217000000654321094 and legal
# representative ID 320106197809230418 -> 33010619880315019X must never reach
# the audit storage in plaintext; masks and fingerprints must.
@pytest.mark.parametrize(
    "plaintext",
    ["6217000000123456786", "6217000000654321094", "320106197809230418", "33010619880315019X"],
)
@pytest.mark.parametrize(
    "place",
    ["details_value", "details_key", "object_id", "nested", "nested_key", "nested_list"],
)
def test_plaintext_identifier_is_rejected(plaintext: str, place: str) -> None:
    overrides = {
        "details_value": {"details": {"old": plaintext}},
        "details_key": {"details": {plaintext: "changed"}},
        "object_id": {"object_id": plaintext},
        "nested": {"details": {"changes": [{"new": f"值为{plaintext}。"}]}},
        "nested_key": {"details": {"changes": [{plaintext: "changed"}]}},
        "nested_list": {"details": {"changes": [["old", [plaintext]]]}},
    }[place]

    with pytest.raises(EventEncodingError) as raised:
        encode_event(event_fields(1, **overrides))

    assert raised.value.code == "ledger_event_plaintext_suspected"
    assert plaintext not in raised.value.message


@pytest.mark.parametrize(
    "written",
    [
        "６２１７００００００１２３４５６７８６",
        "３３０１０６１９８８０３１５０１９Ｘ",
        "6217 0000 0012 3456 786",
        "6217-0000-0012-3456",
        "320106780923041",
    ],
    ids=["full_width_card", "full_width_id", "grouped_card", "hyphen_card", "old_15_digit_id"],
)
def test_plaintext_identifier_in_other_writing_is_rejected(written: str) -> None:
    with pytest.raises(EventEncodingError) as raised:
        encode_event(event_fields(1, details={"new": written}))

    assert raised.value.code == "ledger_event_plaintext_suspected"


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-01 08:00:00",
        "invoice 044031900111 no. 12345678",
        "6217 **** **** 6786",
        "a1b2c3" + "1234567890123456" + "def",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ],
)
def test_numbers_that_are_not_identifiers_are_accepted(text: str) -> None:
    encoded = encode_event(event_fields(1, details={"note": text}))

    assert decode_event(encoded)["details"]["note"] == text


def test_masks_and_fingerprints_are_accepted() -> None:
    details = {
        "bank_account": "6217 **** **** 6786 → 6217 **** **** 1094",
        "legal_rep_resident_id": "320***********0418 → 330***********019X",
        "fingerprint": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "records": ["client-1", "client-2", "client-3"],
    }

    encoded = encode_event(event_fields(1, details=details))

    assert decode_event(encoded)["details"] == details
    assert b"6217000000123456786" not in encoded


@pytest.mark.parametrize(
    "mutation",
    [
        lambda text: text.replace('","', '", "', 1),
        lambda text: text + " ",
        lambda text: " " + text,
        lambda text: text.replace('"v":1', '"v":1.0'),
        lambda text: text.replace('"seq":5', '"seq":05'),
        lambda text: text.replace('"seq":5', '"seq":5e0'),
        lambda text: text.replace("user-5", "user\\u002d5"),
        lambda text: text.replace("{", '{"v":1,', 1),
        lambda text: json.dumps(json.loads(text), separators=(",", ":"), sort_keys=False),
        lambda text: json.dumps(json.loads(text), sort_keys=True, separators=(",", ":")),
    ],
)
def test_non_canonical_bytes_are_rejected(mutation) -> None:
    canonical = encode_event(event_fields(5, purpose="年度汇算", details={"b": 1, "a": 2})).decode()
    mutated = mutation(canonical)
    assert mutated != canonical

    with pytest.raises(EventEncodingError):
        decode_event(mutated.encode("utf-8"))


@pytest.mark.parametrize(
    "encoded",
    [b"\xff\xfe", b"[]", b'{"v":1}', b"", b'{"a":NaN}'],
)
def test_malformed_bytes_are_rejected(encoded: bytes) -> None:
    with pytest.raises(EventEncodingError):
        decode_event(encoded)


JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@given(
    seq=st.integers(0, 2**63 - 1),
    details=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4),
    purpose=st.none() | st.text(min_size=1, max_size=30),
)
def test_round_trip_and_seq_reader(seq: int, details: dict, purpose: str | None) -> None:
    fields = event_fields(0, seq=seq, details=details, purpose=purpose)
    try:
        encoded = encode_event(fields)
    except EventEncodingError as error:
        assert error.code == "ledger_event_plaintext_suspected"
        return

    assert decode_event(encoded) == {**fields, "v": 1, "time": "2026-03-01T08:00:00.000000Z"}
    assert read_event_seq(encoded) == seq


def test_seq_reader_ignores_seq_inside_details() -> None:
    encoded = encode_event(event_fields(9, details={"seq": 123, "note": '"seq":77,'}))

    assert read_event_seq(encoded) == 9


@pytest.mark.parametrize("encoded", [b'{"v":1}', b'{"seq":01,"time":""}', b'{"seq":x,"time":""}'])
def test_seq_reader_rejects_missing_or_malformed_seq(encoded: bytes) -> None:
    with pytest.raises(EventEncodingError):
        read_event_seq(encoded)
