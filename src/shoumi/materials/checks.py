"""Start-up check: the PDFs need a font with Simplified Chinese glyphs."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Tags, Warning, register

from shoumi.documents.imaging.errors import FontConfigurationError as ImagingFontError
from shoumi.documents.imaging.fonts import find_cjk_font
from shoumi.materials.errors import FontConfigurationError
from shoumi.materials.pdf.layout import REQUIRED_TEXT


@register(Tags.compatibility)
def cjk_font_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn at start-up when receipts and destruction records could not be printed."""
    try:
        font = find_cjk_font()
        if font.missing_characters(REQUIRED_TEXT):
            raise FontConfigurationError(
                f"The CJK font {font.path} has no glyph for some characters of the PDFs. "
                "Install Debian's fonts-noto-cjk package or set SHOUMI_CJK_FONT."
            )
    except (ImagingFontError, FontConfigurationError) as error:
        return [
            Warning(
                "Intake receipts, the lending register and destruction records cannot be printed.",
                hint=error.message,
                id="materials.W001",
            )
        ]
    return []
