"""Start-up check: marked copies need a font with Simplified Chinese glyphs."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Tags, Warning, register

from shoumi.documents.imaging import find_cjk_font
from shoumi.documents.imaging.errors import FontConfigurationError


@register(Tags.compatibility)
def watermark_font_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn at start-up when no font can draw the watermark.

    Without it no copy, thumbnail or view of a document can be issued,
    because the imaging engine never falls back to a font without CJK
    glyphs. The rest of shoumi still works, so this is a warning.
    """
    try:
        find_cjk_font()
    except FontConfigurationError as error:
        return [
            Warning(
                "Document copies cannot be watermarked: no CJK font was found.",
                hint=error.message,
                id="documents.W001",
            )
        ]
    return []
