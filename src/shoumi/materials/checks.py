"""Start-up check: the PDFs need a font with Simplified Chinese glyphs."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Tags, Warning, register

from shoumi.materials.errors import FontConfigurationError
from shoumi.materials.pdf.fonts import find_cjk_font


@register(Tags.compatibility)
def cjk_font_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn at start-up when receipts and destruction records could not be printed."""
    try:
        find_cjk_font()
    except FontConfigurationError as error:
        return [
            Warning(
                "Intake receipts, the lending register and destruction records cannot be printed.",
                hint=error.message,
                id="materials.W001",
            )
        ]
    return []
