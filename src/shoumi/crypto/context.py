"""Associated data that binds ciphertexts and wrapped keys to where they are stored.

A sealed field value is bound to (model, record id, field), and a record's wrapped
data key to (model, record id). Moving either to another row or field makes
decryption fail. Each part is length-prefixed, so no two different contexts encode
to the same bytes (``("a:b", "c")`` differs from ``("a", "b:c")``).

Contexts hold internal identifiers only: never put personal data in a model name,
record id or field name, because they are neither secret nor encrypted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

# Each part is stored with a 2-byte length prefix, so this is also the format's limit.
MAX_PART_BYTES = 255

_FIELD_LABEL = b"shoumi.field.v1"


def encode_parts(label: bytes, *parts: str) -> bytes:
    """Encode ``parts`` after ``label``, each as a 2-byte big-endian length and UTF-8 bytes."""
    chunks = [label]
    for part in parts:
        encoded = part.encode("utf-8")
        chunks.append(len(encoded).to_bytes(2, "big"))
        chunks.append(encoded)
    return b"".join(chunks)


def _check_part(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    if len(value.encode("utf-8")) > MAX_PART_BYTES:
        raise ValueError(f"{name} must be at most {MAX_PART_BYTES} bytes in UTF-8")
    return value


def _record_id_text(record_id: object) -> str:
    # bool is a subclass of int, and True would silently become record "True".
    if isinstance(record_id, bool) or not isinstance(record_id, str | int | uuid.UUID):
        raise TypeError(f"record_id must be a str, int or UUID, got {type(record_id).__name__}")
    return _check_part("record_id", str(record_id))


@dataclass(frozen=True)
class RecordContext:
    """The record that a data key belongs to: model label and primary key.

    ``model`` is a stable name such as the Django label ``"clients.Person"``. Renaming
    it later makes existing values undecryptable, so pick a name that will not change.
    ``record_id`` accepts ``str``, ``int`` or ``UUID`` and is stored as text, so the
    id must be known before the first value is sealed.
    """

    model: str
    record_id: str

    def __init__(self, model: str, record_id: str | int | uuid.UUID) -> None:
        object.__setattr__(self, "model", _check_part("model", model))
        object.__setattr__(self, "record_id", _record_id_text(record_id))

    def field(self, name: str) -> FieldContext:
        """Return the context of field ``name`` of this record."""
        return FieldContext(self.model, self.record_id, name)

    def field_bytes(self, name: str) -> bytes:
        """Return ``self.field(name).to_bytes()`` without checking model and record id again."""
        return encode_parts(_FIELD_LABEL, self.model, self.record_id, _check_part("field", name))

    def to_bytes(self) -> bytes:
        """Return the unambiguous byte encoding used as associated data."""
        return encode_parts(b"shoumi.record.v1", self.model, self.record_id)


@dataclass(frozen=True)
class FieldContext:
    """One field of one record: the associated data of a sealed value."""

    model: str
    record_id: str
    field: str

    def __init__(self, model: str, record_id: str | int | uuid.UUID, field: str) -> None:
        object.__setattr__(self, "model", _check_part("model", model))
        object.__setattr__(self, "record_id", _record_id_text(record_id))
        object.__setattr__(self, "field", _check_part("field", field))

    @property
    def record(self) -> RecordContext:
        """The record this field belongs to."""
        return RecordContext(self.model, self.record_id)

    def to_bytes(self) -> bytes:
        """Return the unambiguous byte encoding used as associated data."""
        return encode_parts(_FIELD_LABEL, self.model, self.record_id, self.field)
