"""Associated-data contexts: validation and unambiguous encoding."""

from __future__ import annotations

import uuid

import pytest

from shoumi.crypto.context import MAX_PART_BYTES, FieldContext, RecordContext, encode_parts


def test_record_id_accepts_int_str_and_uuid():
    record_uuid = uuid.UUID("12345678-1234-5678-1234-567812345678")

    assert RecordContext("clients.Person", 42).record_id == "42"
    assert RecordContext("clients.Person", "42").record_id == "42"
    assert RecordContext("clients.Person", record_uuid).record_id == str(record_uuid)


def test_int_and_str_record_ids_encode_alike():
    assert (
        RecordContext("clients.Person", 7).to_bytes()
        == RecordContext("clients.Person", "7").to_bytes()
    )


@pytest.mark.parametrize("record_id", [True, None, 4.0, b"7"])
def test_record_id_rejects_other_types(record_id):
    with pytest.raises(TypeError, match="record_id"):
        RecordContext("clients.Person", record_id)


@pytest.mark.parametrize(("model", "field"), [("", "resident_id"), ("clients.Person", "")])
def test_empty_parts_are_rejected(model, field):
    with pytest.raises(ValueError, match="must not be empty"):
        FieldContext(model, 1, field)


def test_overlong_part_is_rejected():
    with pytest.raises(ValueError, match=f"at most {MAX_PART_BYTES} bytes"):
        FieldContext("clients.Person", 1, "字" * 86)


def test_encoding_separates_shifted_boundaries():
    assert encode_parts(b"x", "a:b", "c") != encode_parts(b"x", "a", "b:c")
    assert FieldContext("m", "1", "23").to_bytes() != FieldContext("m", "12", "3").to_bytes()


def test_field_and_record_contexts_differ():
    record = RecordContext("clients.Person", 1)

    assert record.field("resident_id").to_bytes() != record.to_bytes()
    assert record.field("resident_id").record == record


def test_field_contexts_differ_by_each_part():
    base = FieldContext("clients.Person", 1, "resident_id")

    assert base.to_bytes() != FieldContext("clients.Client", 1, "resident_id").to_bytes()
    assert base.to_bytes() != FieldContext("clients.Person", 2, "resident_id").to_bytes()
    assert base.to_bytes() != FieldContext("clients.Person", 1, "mobile").to_bytes()
