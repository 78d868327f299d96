"""Find a font with Simplified Chinese glyphs for the PDFs, checked from its character map.

fpdf2 embeds OpenType fonts with CFF outlines and picks a face from a
``.ttc`` collection, so Debian's Noto Sans CJK (``fonts-noto-cjk``) works as
installed. Without a font that covers the text the PDFs would show empty
boxes, so this module raises ``FontConfigurationError`` naming what to
install instead of falling back to a Latin font.

TODO: replace this module with ``shoumi.documents.imaging.fonts.find_cjk_font``
once the imaging work is merged; ``CJKFont`` here has the same fields and
``find_cjk_font`` the same contract, so callers only change their import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import structlog
from fontTools.ttLib import TTCollection, TTFont, TTLibError

from shoumi.materials.errors import FontConfigurationError

logger = structlog.get_logger(__name__)

FONT_ENVIRONMENT_VARIABLE = "SHOUMI_CJK_FONT"

# Searched in order when SHOUMI_CJK_FONT is unset.
KNOWN_FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian, Ubuntu: fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch: noto-fonts-cjk
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora: google-noto-cjk-fonts
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian: fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # Debian: fonts-wqy-zenhei
    "/System/Library/Fonts/PingFang.ttc",  # macOS
    "C:/Windows/Fonts/msyh.ttc",  # Windows: Microsoft YaHei
)

# Characters of the fixed wording of every PDF; a font without them is refused.
REQUIRED_TEXT = (
    "材料接收回执客户联存档联借阅登记簿销毁记录表操作人监销人方式时间清单（）：、0123456789"
)

INSTALL_HINT = (
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
        """Raise FontConfigurationError unless every character of ``text`` has a glyph.

        The message counts the missing characters without quoting them,
        because the text can contain names.
        """
        missing = self.missing_characters(text)
        if missing:
            raise FontConfigurationError(
                f"The CJK font {self.path} (face {self.face_index}) has no glyph for "
                f"{len(missing)} character(s) of the document. {INSTALL_HINT}"
            )


def find_cjk_font() -> CJKFont:
    """Return the CJK font for PDFs; raise FontConfigurationError naming what to install.

    Uses ``SHOUMI_CJK_FONT`` when it is set, so a wrong path is an error and
    not a silent switch to another font; otherwise the first of
    ``KNOWN_FONT_PATHS`` that exists and covers ``REQUIRED_TEXT``.
    """
    configured = os.environ.get(FONT_ENVIRONMENT_VARIABLE, "").strip()
    return _find_cjk_font(configured)


@lru_cache(maxsize=4)
def _find_cjk_font(configured: str) -> CJKFont:
    if configured:
        if not Path(configured).is_file():
            raise FontConfigurationError(
                f"{FONT_ENVIRONMENT_VARIABLE} is set to {configured}, which is not a file. "
                f"{INSTALL_HINT}"
            )
        font = _load_font(configured)
        if font is None:
            raise FontConfigurationError(
                f"{FONT_ENVIRONMENT_VARIABLE} is set to {configured}, which is not a readable "
                f"TrueType or OpenType font. {INSTALL_HINT}"
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
        f"No font with Simplified Chinese glyphs was found. {INSTALL_HINT}"
    )


def _load_font(path: str) -> CJKFont | None:
    """Read the character map of the Simplified Chinese face in ``path`` (face 0 if none)."""
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
    # Noto Sans CJK collections hold JP, KR, SC, TC and HK faces that draw
    # some shared characters differently; the SC face draws them as readers
    # in mainland China expect.
    for index, face in enumerate(faces):
        family = str(face["name"].getDebugName(1) or "")
        if "Mono" in family:
            continue
        if family.endswith((" SC", " CN", " GB")) or "Simplified" in family:
            return index
    return 0
