"""Vault tables: stored key material and the query guard for sealed records."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from shoumi.vault.fields import SealedField


class SealedUpdateError(TypeError):
    """A bulk update tried to change a sealed field outside the audited services."""


class SealedRecordQuerySet(models.QuerySet):
    """QuerySet that refuses bulk updates of sealed fields and their siblings.

    ``QuerySet.update`` fires no model signals and bypasses the services, so
    a change made that way would leave no audit event. Sealed fields change
    only through services, which save each record and write its event.
    """

    def update(self, **kwargs: Any) -> int:
        guarded = set()
        for field in self.model._meta.get_fields():
            if isinstance(field, SealedField):
                guarded |= {field.name, field.mask_attname, field.blind_index_attname}
                guarded.add(field.blind_index_next_attname)
        touched = sorted(guarded & set(kwargs))
        if touched and not getattr(self, "_allow_sealed_update", False):
            raise SealedUpdateError(
                f"Bulk update of sealed fields {touched} on {self.model.__name__} is not allowed; "
                "change them through the app's services so each change is audited."
            )
        return super().update(**kwargs)

    def allow_sealed_update(self) -> SealedRecordQuerySet:
        """Return a clone that may bulk-update sealed columns (key rotation and migrations only)."""
        clone: Any = self.all()
        clone._allow_sealed_update = True
        return clone

    def _clone(self) -> Any:
        clone: Any = super()._clone()  # type: ignore[misc]
        clone._allow_sealed_update = getattr(self, "_allow_sealed_update", False)
        return clone


class StoredKey(models.Model):
    """Key material kept in the database, always wrapped by the master key.

    Holds the blind-index root key (and its successor during a rotation).
    The master key itself is never stored here.
    """

    name = models.CharField(_("name"), max_length=64, unique=True)
    wrapped = models.TextField(_("wrapped key"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stored key")
        verbose_name_plural = _("stored keys")

    def __str__(self) -> str:
        return self.name
