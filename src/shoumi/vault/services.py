"""Seal values into records, compute blind indexes, and open values for the reveal service.

``seal`` is how every app writes a sealed field: it gives the record a data
key on first use, encrypts the value bound to (model, record id, field),
and sets the field's mask and blind-index columns. ``open_for_reveal`` is
the only function that returns plaintext, and only
``shoumi.access.services.reveal`` may call it, after the audit event has
been written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from django.db.models import Model

from shoumi import crypto
from shoumi.vault.fields import SealedField, SealedValue
from shoumi.vault.masking import mask_for
from shoumi.vault.runtime import get_vault


def record_context(record: Model) -> crypto.RecordContext:
    """Return the associated-data context that binds ciphertexts to ``record``'s row."""
    if record.pk is None:
        raise ValueError(
            f"{type(record).__name__} needs its primary key before sealing; use a UUID default."
        )
    return crypto.RecordContext(record._meta.label_lower, str(record.pk))


def _sealed_field(record: Model, field_name: str) -> SealedField:
    field = record._meta.get_field(field_name)
    if not isinstance(field, SealedField):
        raise TypeError(f"{type(record).__name__}.{field_name} is not a sealed field.")
    return field


# Attribute under which ``data_key_open`` keeps a record's unwrapped data key.
_OPEN_KEY_ATTRIBUTE = "_vault_open_data_key"


def _data_key(record: Model) -> AbstractContextManager[crypto.DataKey]:
    """Return the record's data key for one ``with`` block, creating the key on first use."""
    open_key = getattr(record, _OPEN_KEY_ATTRIBUTE, None)
    if open_key is not None:
        # data_key_open destroys it when its own block ends.
        return nullcontext(open_key)
    vault = get_vault()
    context = record_context(record)
    wrapped_text = getattr(record, "data_key", "")
    if wrapped_text:
        return vault.keyring.unwrap_data_key(wrapped_text, context)
    data_key, wrapped = vault.keyring.new_data_key(context)
    record.data_key = wrapped.to_text()  # type: ignore[attr-defined]
    return data_key


@contextmanager
def data_key_open(record: Model) -> Iterator[None]:
    """Keep the record's data key unwrapped while several fields are sealed.

    Each ``seal`` otherwise unwraps the key again through the master key,
    which costs more than the sealing itself. The key is destroyed when the
    block ends, also on an error.
    """
    if getattr(record, _OPEN_KEY_ATTRIBUTE, None) is not None:
        yield
        return
    with _data_key(record) as data_key:
        setattr(record, _OPEN_KEY_ATTRIBUTE, data_key)
        try:
            yield
        finally:
            delattr(record, _OPEN_KEY_ATTRIBUTE)


def blind_indexes(model_label: str, field_name: str, canonical_value: str) -> tuple[str, str]:
    """Return the (current, next) blind indexes of a value; next is "" when no rotation runs."""
    vault = get_vault()
    current = vault.indexer(model_label, field_name)
    if current is None:
        raise RuntimeError("The vault has no current blind-index key.")
    upcoming = vault.indexer(model_label, field_name, next_key=True)
    return current.compute(canonical_value), upcoming.compute(canonical_value) if upcoming else ""


def seal(
    *,
    record: Model,
    field_name: str,
    canonical_value: str | None,
    mask_kind: str | None = None,
    mask: str | None = None,
) -> None:
    """Encrypt ``canonical_value`` into ``record.<field_name>`` with its mask and blind indexes.

    The value must already be normalised (``shoumi.identifiers``), because
    the blind index is computed over it. ``None`` or "" clears the field. The
    record is not saved; the caller saves it and writes the audit event.
    ``mask`` saves masking the value again when the caller already has the
    list-view mask of the parsed identifier (``Identifier.masked``).
    """
    field = _sealed_field(record, field_name)
    if not canonical_value:
        setattr(record, field_name, SealedValue("", sealed_text=None, field_name=field_name))
        if field.searchable:
            setattr(record, field.blind_index_next_attname, "")
        return

    with _data_key(record) as data_key:
        sealed_text = data_key.seal(field_name, canonical_value, suite=get_vault().suite)
    current_index, next_index = ("", "")
    if field.searchable:
        current_index, next_index = blind_indexes(
            record._meta.label_lower, field_name, canonical_value
        )
    value = SealedValue(
        mask if mask is not None else mask_for(mask_kind or field.mask_kind, canonical_value),
        sealed_text=sealed_text,
        blind_index=current_index,
        field_name=field_name,
    )
    setattr(record, field_name, value)
    if field.searchable:
        setattr(record, field.blind_index_next_attname, next_index)


def open_for_reveal(*, record: Model, field_name: str) -> str | None:
    """Decrypt one field. Only the reveal service calls this, after writing its audit event.

    Raises crypto.DecryptionError (one opaque error) if the value was moved,
    altered, or its key is gone.
    """
    _sealed_field(record, field_name)
    value: Any = getattr(record, field_name)
    sealed_text = value.sealed_text_for_storage() if isinstance(value, SealedValue) else value
    if not sealed_text:
        return None
    with _data_key(record) as data_key:
        return data_key.open_text(field_name, sealed_text)


def seal_bytes(*, record: Model, field_name: str, content: bytes) -> bytes:
    """Encrypt a file's bytes with the record's data key, bound to (model, record id, field).

    Returns the binary sealed form for storing as a file; the record gets a
    data key on first use and must then be saved by the caller. For files
    such as signature images, which are too large for a sealed column.
    """
    with _data_key(record) as data_key:
        sealed_text = data_key.seal(field_name, content, suite=get_vault().suite)
    return crypto.Ciphertext.parse(sealed_text).to_bytes()


def open_bytes(*, record: Model, field_name: str, sealed: bytes) -> bytes:
    """Decrypt bytes sealed by :func:`seal_bytes` for the same record and field.

    The caller checks the policy and writes the audit event before calling.
    Raises crypto.DecryptionError (one opaque error) if the file was moved to
    another record, altered, or its key is gone.
    """
    if not getattr(record, "data_key", ""):
        raise crypto.DecryptionError()
    with _data_key(record) as data_key:
        return data_key.open(field_name, sealed)


def shred(*, record: Model) -> None:
    """Destroy the record's data key so its sealed values can never be opened again."""
    wrapped_text = getattr(record, "data_key", "")
    if wrapped_text:
        record.data_key = crypto.shred_data_key(wrapped_text).to_text()  # type: ignore[attr-defined]
