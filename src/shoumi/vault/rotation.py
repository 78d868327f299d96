"""Master-key rotation: re-wrap every stored data key under the current master key.

Sealed values are not touched: each record's data key (DEK) is re-wrapped,
and the values it encrypts stay as they are. The job works in batches, each
in its own transaction, and skips keys already under the current master
key, so an interrupted run simply continues when started again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction
from django.db.models import Model

from shoumi import crypto
from shoumi.vault.fields import SealedField
from shoumi.vault.models import StoredKey
from shoumi.vault.runtime import get_vault

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class RewrapReport:
    total: int
    changed: int
    unchanged: int


def sealed_record_models() -> list[type[Model]]:
    """Return every model whose rows keep a wrapped data key (a ``data_key`` field).

    That includes models whose sealed content lives outside the row, such as document
    scans and intake signatures in files: their data keys must be re-wrapped and
    counted like the others, or retiring a master key would make the files unreadable.
    """
    found = []
    for model in apps.get_models():
        names = {field.name for field in model._meta.get_fields()}
        if "data_key" in names:
            found.append(model)
    return sorted(found, key=lambda model: model._meta.label_lower)


def master_key_usage() -> Counter[str]:
    """Count stored wrapped keys per master key id (data keys and stored keys).

    Shredded data keys are left out, because no master key wraps them.
    """
    usage: Counter[str] = Counter()
    for model in sealed_record_models():
        for wrapped_text in (
            model._default_manager.exclude(data_key="")
            .values_list("data_key", flat=True)
            .iterator()
        ):
            wrapped = crypto.WrappedKey.parse(wrapped_text)
            if not wrapped.is_shredded:
                usage[wrapped.kek_id] += 1
    for wrapped_text in StoredKey.objects.values_list("wrapped", flat=True):
        usage[crypto.WrappedKey.parse(wrapped_text).kek_id] += 1
    return usage


def count_wrapped_keys() -> int:
    total = StoredKey.objects.count()
    for model in sealed_record_models():
        total += model._default_manager.exclude(data_key="").count()
    return total


def rewrap_all(*, batch_size: int = 500, progress: ProgressCallback | None = None) -> RewrapReport:
    """Re-wrap every data key and stored key under the current master key."""
    keyring = get_vault().keyring
    total = count_wrapped_keys()
    done = changed = 0

    for stored in StoredKey.objects.all():
        result = crypto.BlindIndexKey.rewrap(keyring, stored.wrapped)
        if result.changed:
            StoredKey.objects.filter(pk=stored.pk).update(wrapped=result.wrapped.to_text())
            changed += 1
        done += 1
    if progress:
        progress(done, total)

    for model in sealed_record_models():
        label = model._meta.label_lower
        last_pk = None
        while True:
            rows = model._default_manager.exclude(data_key="").order_by("pk")
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            batch = list(rows.values_list("pk", "data_key")[:batch_size])
            if not batch:
                break
            with transaction.atomic():
                for pk, wrapped_text in batch:
                    wrapped = crypto.WrappedKey.parse(wrapped_text)
                    if wrapped.is_shredded:
                        continue
                    result = keyring.rewrap_data_key(wrapped, crypto.RecordContext(label, str(pk)))
                    if result.changed:
                        model._default_manager.filter(pk=pk).update(
                            data_key=result.wrapped.to_text()
                        )
                        changed += 1
            done += len(batch)
            last_pk = batch[-1][0]
            if progress:
                progress(done, total)
    return RewrapReport(total=total, changed=changed, unchanged=total - changed)


def seal_plaintext_rows(*, batch_size: int = 500, progress: ProgressCallback | None = None) -> int:
    """Encrypt values that were stored in clear before encryption was switched on.

    A value is left alone when it is already sealed, so running this again
    changes nothing. Returns the number of values sealed.
    """
    from shoumi.vault import services as vault

    sealed_count = 0
    for model in sealed_record_models():
        fields = [field for field in model._meta.get_fields() if isinstance(field, SealedField)]
        for field in fields:
            # Sealed columns support no value lookups, so the test runs in Python.
            stored = model._default_manager.filter(**{f"{field.attname}__isnull": False})
            primary_keys = [
                pk
                for pk, raw in stored.values_list("pk", field.attname).iterator()
                if raw and not crypto.is_sealed(raw)
            ]
            for start in range(0, len(primary_keys), batch_size):
                with transaction.atomic():
                    for record in model._default_manager.filter(
                        pk__in=primary_keys[start : start + batch_size]
                    ):
                        raw = record.__dict__[field.attname]
                        record.__dict__[field.attname] = None
                        vault.seal(
                            record=record,
                            field_name=field.name,
                            canonical_value=_canonical(field, raw),
                        )
                        record.save()
                        sealed_count += 1
                if progress:
                    progress(sealed_count, len(primary_keys))
    return sealed_count


def _canonical(field: SealedField, raw: str) -> str:
    from shoumi import identifiers

    if field.mask_kind in identifiers.Kind.__members__.values():
        try:
            return identifiers.normalise(raw, kind=field.mask_kind)
        except identifiers.InvalidIdentifier:
            return raw.strip()
    return raw.strip()
