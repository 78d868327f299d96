"""Template filters for the clients pages."""

from __future__ import annotations

from django import template

from shoumi.clients import warnings
from shoumi.clients.models import ValueWarning

register = template.Library()


@register.filter
def warning_text(code: str) -> str:
    """Render a warning code as the reviewer's text."""
    return warnings.warning_text(code)


@register.filter
def value_warning_field(item: ValueWarning) -> str:
    """Render the field a value warning is about."""
    return warnings.field_label(item.field)
