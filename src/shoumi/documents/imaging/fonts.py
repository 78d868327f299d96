"""Find a CJK font and prove from its character map that it can draw the watermark.

Pillow's built-in default font has no CJK glyphs, so a watermark drawn with
it would show empty boxes and still look like success. This module never
falls back to it: without a font that covers the text it raises
``FontConfigurationError``, and no copy is issued.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import structlog
from fontTools.ttLib import TTCollection, TTFont, TTLibError
from PIL import ImageFont

from shoumi.documents.imaging.errors import FontConfigurationError

logger = structlog.get_logger(__name__)

FONT_ENVIRONMENT_VARIABLE = "SHOUMI_CJK_FONT"

# Searched in order when SHOUMI_CJK_FONT is unset. Sans-serif faces first,
# because thin serif strokes fade at watermark opacity.
KNOWN_FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian, Ubuntu: fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch: noto-fonts-cjk
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora: google-noto-cjk-fonts
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian: fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # Debian: fonts-wqy-zenhei
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",  # Fedora: wqy-microhei-fonts
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",  # macOS
    "C:/Windows/Fonts/msyh.ttc",  # Windows: Microsoft YaHei
)

# Characters that every watermark uses: the fixed wording, digits and the
# trace-code alphabet. Recipient names are checked when they are drawn.
REQUIRED_TEXT = "仅供用于办理使用，再复印无效追踪码：-0123456789ABCDEFGHJKMNPQRSTVWXYZ"

_INSTALL_HINT = (
    "Install Debian's fonts-noto-cjk package (apt-get install fonts-noto-cjk) or set "
    f"{FONT_ENVIRONMENT_VARIABLE} to the path of a .ttf, .otf or .ttc font with "
    "Simplified Chinese glyphs."
)


@dataclass(frozen=True)
class CJKFont:
    """A font file and face index whose character map has been read."""

    path: str
    face_index: int
    family: str
    code_points: frozenset[int]

    def missing_characters(self, text: str) -> list[str]:
        """Return the characters of ``text`` that have no glyph, ignoring whitespace."""
        return sorted({c for c in text if not c.isspace() and ord(c) not in self.code_points})

    def require_glyphs(self, text: str) -> None:
        """Raise ``FontConfigurationError`` unless every character of ``text`` has a glyph.

        The message gives the number of missing characters, not the
        characters, because the text can contain a recipient's name.
        """
        missing = self.missing_characters(text)
        if missing:
            raise FontConfigurationError(
                f"The CJK font {self.path} (face {self.face_index}) has no glyph for "
                f"{len(missing)} character(s) of the watermark text. {_INSTALL_HINT}"
            )

    def truetype(self, size: int) -> ImageFont.FreeTypeFont:
        """Return the face at ``size`` pixels for Pillow's ImageDraw."""
        return _truetype(self.path, self.face_index, size)


def find_cjk_font() -> CJKFont:
    """Return the CJK font to draw watermarks with; call it at start-up to fail early.

    Uses ``SHOUMI_CJK_FONT`` when it is set, so a misconfigured path is an
    error and not a silent switch to another font. Otherwise the first
    of ``KNOWN_FONT_PATHS`` that exists and covers ``REQUIRED_TEXT``.
    Raises ``FontConfigurationError`` naming what to install.
    """
    configured = os.environ.get(FONT_ENVIRONMENT_VARIABLE, "").strip()
    return _find_cjk_font(configured)


@lru_cache(maxsize=4)
def _find_cjk_font(configured: str) -> CJKFont:
    if configured:
        if not Path(configured).is_file():
            raise FontConfigurationError(
                f"{FONT_ENVIRONMENT_VARIABLE} is set to {configured}, which is not a file. "
                f"{_INSTALL_HINT}"
            )
        font = _load_font(configured)
        if font is None:
            raise FontConfigurationError(
                f"{FONT_ENVIRONMENT_VARIABLE} is set to {configured}, which is not a readable "
                f"TrueType or OpenType font. {_INSTALL_HINT}"
            )
        font.require_glyphs(REQUIRED_TEXT)
        return font

    for path in KNOWN_FONT_PATHS:
        if not Path(path).is_file():
            continue
        font = _load_font(path)
        if font is not None and not font.missing_characters(REQUIRED_TEXT):
            logger.info("cjk_font_selected", path=path, face_index=font.face_index)
            return font
    raise FontConfigurationError(
        "No font with Simplified Chinese glyphs (for watermarks and PDFs) was found. "
        f"{_INSTALL_HINT}"
    )


def _load_font(path: str) -> CJKFont | None:
    """Read the character map of the best Simplified Chinese face in ``path``."""
    try:
        if path.lower().endswith((".ttc", ".otc")):
            faces = list(TTCollection(path, lazy=True).fonts)
        else:
            faces = [TTFont(path, lazy=True)]
    except (OSError, TTLibError) as error:
        logger.warning("cjk_font_unreadable", path=path, error=str(error))
        return None

    face_index = _simplified_chinese_face(faces)
    face = faces[face_index]
    cmap = face.getBestCmap() or {}
    family = str(face["name"].getDebugName(1) or "")
    return CJKFont(path, face_index, family, frozenset(cmap))


def _simplified_chinese_face(faces: list[TTFont]) -> int:
    """Return the index of the face meant for Simplified Chinese, else 0.

    Noto Sans CJK collections hold JP, KR, SC, TC and HK faces that share
    code points but draw some characters differently, so the SC face is
    the one that draws them as readers in mainland China expect.
    """
    for index, face in enumerate(faces):
        family = str(face["name"].getDebugName(1) or "")
        if "Mono" in family:
            continue
        if family.endswith((" SC", " CN", " GB")) or "Simplified" in family:
            return index
    return 0


@lru_cache(maxsize=32)
def _truetype(path: str, face_index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size, index=face_index)
