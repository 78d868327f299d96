"""Sensitivity levels of stored fields.

The levels follow how agencies classify client data: public (公开, e.g. the
credit code printed on the business licence), internal (内部), sensitive
(敏感, identity numbers, phones, bank accounts; PIPL treats financial accounts
as sensitive personal information) and highly sensitive (高度敏感,
credentials such as tax-bureau passwords, which JR/T 0171 puts in its top
class C3). Each app declares the level of each of its fields in one
registry that the access policy, masking and exports all read.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sensitivity(models.IntegerChoices):
    PUBLIC = 0, _("Public")
    INTERNAL = 1, _("Internal")
    SENSITIVE = 2, _("Sensitive")
    HIGHLY_SENSITIVE = 3, _("Highly sensitive")


class FieldRegistry:
    """Maps ``(model label, field name)`` to a sensitivity level; unknown fields are refused."""

    def __init__(self) -> None:
        self._levels: dict[tuple[str, str], Sensitivity] = {}

    def declare(self, model_label: str, levels: dict[str, Sensitivity]) -> None:
        for field_name, level in levels.items():
            self._levels[(model_label.lower(), field_name)] = level

    def level_of(self, model_label: str, field_name: str) -> Sensitivity:
        """Return the declared level; raise KeyError for a field nobody declared (default deny)."""
        return self._levels[(model_label.lower(), field_name)]

    def fields_of(self, model_label: str) -> dict[str, Sensitivity]:
        label = model_label.lower()
        return {field: level for (model, field), level in self._levels.items() if model == label}


registry = FieldRegistry()
