"""Model fields for encrypted values.

A :class:`SealedField` column stores the sealed (encrypted) text produced by
``shoumi.crypto``. Reading the attribute gives a :class:`SealedValue`: a
``str`` whose content is the stored mask, so ``str()``, ``repr()``,
``format()``, JSON encoding, Django templates, forms, serializers and log
calls all see the mask and nothing else. It has no plaintext attribute: the
only way to plaintext is ``shoumi.access.services.reveal``.

Each sealed field has siblings declared explicitly on the model:
``<name>_mask`` (:class:`MaskField`, for list pages) and, when the field is
searchable, ``<name>_blind_index`` (:class:`BlindIndexField`, for exact
search) plus ``<name>_blind_index_next`` (the second column used while the
blind-index key is rotated). A system check reports a missing sibling.

What this does not protect against: code that runs raw SQL can still read
the sealed text (it is ciphertext), and the mask itself is stored in clear
by design, so choose masks that are safe to show (see shoumi.identifiers).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models import Field, Model
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from shoumi.crypto import is_sealed

SUPPORTED_LOOKUPS = frozenset({"isnull"})


class PlaintextInSealedFieldError(TypeError):
    """Plaintext was about to be stored in a sealed column."""


class SealedValue(str):
    """The value of a sealed field as application code sees it: the mask, nothing more.

    The sealed text is kept on a private slot for the storage layer and the
    reveal service. Equality and hashing are those of the mask string, so two
    different values with the same mask compare equal; never compare sealed
    values to find duplicates (use the blind index).
    """

    _sealed_text: str | None
    _blind_index: str
    _field_name: str

    def __new__(
        cls, mask: str, *, sealed_text: str | None, blind_index: str = "", field_name: str = ""
    ) -> SealedValue:
        instance = super().__new__(cls, mask or "")
        instance._sealed_text = sealed_text or None
        instance._blind_index = blind_index
        instance._field_name = field_name
        return instance

    @property
    def mask(self) -> str:
        return str.__str__(self)

    @property
    def is_empty(self) -> bool:
        return self._sealed_text is None

    def __str__(self) -> str:
        return self.mask

    def __repr__(self) -> str:
        return f"<SealedValue {self._field_name or '?'} {self.mask!r}>"

    def __format__(self, format_spec: str) -> str:
        return format(self.mask, format_spec)

    def __html__(self) -> str:
        return str(escape(self.mask))

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickling (for caches or sessions) keeps only the mask.
        return (str, (self.mask,))

    def sealed_text_for_storage(self) -> str | None:
        """Return the sealed text; only the storage layer and the reveal service call this."""
        return self._sealed_text

    def blind_index_for_storage(self) -> str:
        return self._blind_index


class SealedDescriptor:
    """Builds a SealedValue from the stored sealed text and the sibling mask column."""

    def __init__(self, field: SealedField) -> None:
        self.field = field

    def __get__(self, instance: Model | None, owner: type[Model]) -> Any:
        if instance is None:
            return self
        sealed_text = instance.__dict__.get(self.field.attname)
        mask = instance.__dict__.get(self.field.mask_attname, "") or ""
        if isinstance(sealed_text, SealedValue):
            return sealed_text
        # The blind index travels along so that writing the value back (as
        # Model.full_clean does) keeps the index column as it was.
        blind_index = (
            instance.__dict__.get(self.field.blind_index_attname, "")
            if self.field.searchable
            else ""
        )
        return SealedValue(
            mask, sealed_text=sealed_text, blind_index=blind_index or "", field_name=self.field.name
        )

    def __set__(self, instance: Model, value: Any) -> None:
        if isinstance(value, SealedValue):
            instance.__dict__[self.field.attname] = value.sealed_text_for_storage()
            instance.__dict__[self.field.mask_attname] = value.mask
            if self.field.searchable:
                instance.__dict__[self.field.blind_index_attname] = value.blind_index_for_storage()
            return
        # Raw values arrive here when Django loads a row from the database.
        instance.__dict__[self.field.attname] = value or None


class SealedField(models.TextField):
    """A column holding sealed text; see the module docstring."""

    description = _("Encrypted value")

    def __init__(self, *args: Any, mask_kind: str, searchable: bool = True, **kwargs: Any) -> None:
        self.mask_kind = mask_kind
        self.searchable = searchable
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["mask_kind"] = self.mask_kind
        kwargs["searchable"] = self.searchable
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def contribute_to_class(self, cls: type[Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        setattr(cls, self.attname, SealedDescriptor(self))

    @property
    def mask_attname(self) -> str:
        return f"{self.name}_mask"

    @property
    def blind_index_attname(self) -> str:
        return f"{self.name}_blind_index"

    @property
    def blind_index_next_attname(self) -> str:
        return f"{self.name}_blind_index_next"

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, SealedValue):
            value = value.sealed_text_for_storage()
        if value is None or value == "":
            return None
        if isinstance(value, str) and is_sealed(value):
            return value
        raise PlaintextInSealedFieldError(
            f"Refusing to store a non-sealed value in {self.model.__name__}.{self.name}; "
            "seal it with shoumi.vault.services.seal first."
        )

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return value

    def value_to_string(self, obj: Model) -> str:
        # Serializers (dumpdata, JSON exports) see the mask only.
        return str(getattr(obj, self.name))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in SUPPORTED_LOOKUPS:
            raise FieldError(
                f"Lookup {lookup_name!r} is not supported on the encrypted field "
                f"{self.model.__name__}.{self.name}. Search with its blind index "
                f"({self.blind_index_attname}) through the app's selectors instead."
            )
        return super().get_lookup(lookup_name)

    def formfield(self, **kwargs: Any) -> None:
        # Forms take plaintext through ordinary fields and seal it in a service.
        return None


class MaskField(models.CharField):
    """The stored display mask of a sealed field (safe to show in lists)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        return name, path, args, kwargs


class BlindIndexField(models.CharField):
    """The keyed hash of a sealed field's normalised value, for exact search."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("db_index", True)
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        return name, path, args, kwargs


def sealed_fields_of(model: type[Model]) -> list[SealedField]:
    """Return the sealed fields of a model, in declaration order."""
    return [field for field in model._meta.get_fields() if isinstance(field, SealedField)]


def sibling_problems(model: type[Model]) -> list[str]:
    """Return one line per missing mask or blind-index sibling column of ``model``."""
    names = {field.name for field in model._meta.get_fields() if isinstance(field, Field)}
    problems: list[str] = []
    for field in sealed_fields_of(model):
        required = [field.mask_attname]
        if field.searchable:
            required += [field.blind_index_attname, field.blind_index_next_attname]
        problems.extend(
            f"{model.__name__}.{field.name} needs a sibling field {sibling}"
            for sibling in required
            if sibling not in names
        )
    return problems
