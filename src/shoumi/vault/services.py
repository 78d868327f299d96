"""Seal values into records, compute blind indexes, and open values for the reveal service.

``seal`` is how every app writes a sealed field: it gives the record a data
key on first use, encrypts the value bound to (model, record id, field),
and sets the field's mask and blind-index columns. ``sealed_columns`` does
the same for a new record that exists only as column values (bulk
inserts). ``open_for_reveal`` is
the only function that returns plaintext, and only
``shoumi.access.services.reveal`` may call it, after the audit event has
been written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
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
    return _model_sealed_field(type(record), field_name)


def _model_sealed_field(model: type[Model], field_name: str) -> SealedField:
    field = model._meta.get_field(field_name)
    if not isinstance(field, SealedField):
        raise TypeError(f"{model.__name__}.{field_name} is not a sealed field.")
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


def blind_index_key_ids() -> tuple[str, str]:
    """Return the ids of the (current, next) blind-index keys, with "" as next unless one rotates.

    A caller that keeps indexes from :func:`blind_indexes` compares these ids
    before reusing them, because a rotation may have started in between.
    """
    vault = get_vault()
    next_key = vault.next_index_key
    return vault.index_key.key_id, next_key.key_id if next_key is not None else ""


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
        columns = _seal_field(
            record._meta.label_lower,
            field,
            data_key,
            FieldValue(canonical_value, mask=mask),
            mask_kind=mask_kind,
        )
    value = SealedValue(
        columns.mask,
        sealed_text=columns.sealed_text,
        blind_index=columns.blind_index,
        field_name=field_name,
    )
    setattr(record, field_name, value)
    if field.searchable:
        setattr(record, field.blind_index_next_attname, columns.blind_index_next)


@dataclass(frozen=True)
class FieldValue:
    """A normalised value to seal into one field, with what the caller already computed.

    ``mask`` is the list-view mask (``Identifier.masked``); None masks the
    value by the field's mask kind. ``blind_indexes`` is the (current, next)
    pair that :func:`blind_indexes` returned for this same value; None
    computes it.
    """

    canonical_value: str | None
    mask: str | None = None
    blind_indexes: tuple[str, str] | None = None


@dataclass(frozen=True)
class _SealedColumns:
    sealed_text: str
    mask: str
    blind_index: str
    blind_index_next: str


def _seal_field(
    model_label: str,
    field: SealedField,
    data_key: crypto.DataKey,
    value: FieldValue,
    *,
    mask_kind: str | None = None,
) -> _SealedColumns:
    """Seal one non-empty value and compute its mask and blind indexes."""
    canonical_value = value.canonical_value or ""
    sealed_text = data_key.seal(field.name, canonical_value, suite=get_vault().suite)
    current_index, next_index = ("", "")
    if field.searchable:
        current_index, next_index = value.blind_indexes or blind_indexes(
            model_label, field.name, canonical_value
        )
    mask = value.mask
    if mask is None:
        mask = mask_for(mask_kind or field.mask_kind, canonical_value)
    return _SealedColumns(sealed_text, mask, current_index, next_index)


def sealed_columns(
    *, model: type[Model], record_id: uuid.UUID, values: Mapping[str, FieldValue]
) -> dict[str, Any]:
    """Give a new record of ``model`` a data key and seal ``values`` into column values.

    Returns the values of the ``data_key`` column and, for each sealed field
    in ``values``, of the field and its mask and blind-index columns, keyed
    by attribute name, exactly as :func:`seal` would set them on a record
    with this ``record_id``. An empty value gives NULL and empty siblings.
    For bulk inserts that build no model instances; the caller inserts the
    row and writes the audit event. Raises TypeError for a field that is not
    sealed.
    """
    fields = [_model_sealed_field(model, field_name) for field_name in values]
    model_label = model._meta.label_lower
    context = crypto.RecordContext(model_label, str(record_id))
    data_key, wrapped = get_vault().keyring.new_data_key(context)
    columns: dict[str, Any] = {"data_key": wrapped.to_text()}
    with data_key:
        for field in fields:
            value = values[field.name]
            if not value.canonical_value:
                sealed = _SealedColumns("", "", "", "")
            else:
                sealed = _seal_field(model_label, field, data_key, value)
            columns[field.attname] = sealed.sealed_text or None
            columns[field.mask_attname] = sealed.mask
            if field.searchable:
                columns[field.blind_index_attname] = sealed.blind_index
                columns[field.blind_index_next_attname] = sealed.blind_index_next
    return columns


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
