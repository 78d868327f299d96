"""Visible watermark: tiled, rotated, semi-transparent Chinese text over the page.

Each text block states the purpose and that a further copy is invalid, names
the recipient and the date, and prints the trace code small, so a person can
read the code off a leaked copy without any tool. Blocks are laid out on a
grid aligned with the four quarters of the page, so that each quarter
contains at least one whole block (see ``layout_blocks``). A page cropped
down to a quarter still shows the full statement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from PIL import Image, ImageDraw, ImageFont

from shoumi.documents.imaging.fonts import CJKFont, find_cjk_font
from shoumi.documents.imaging.tracecode import TraceCode

ROTATION_DEGREES = 30
# Alpha of the text over the page: dark enough to read on white paper and
# light enough that the document under it stays readable.
TEXT_OPACITY = 0.38
TEXT_COLOUR = (40, 40, 40)
HALO_COLOUR = (255, 255, 255)
MIN_FONT_SIZE = 10
MIN_LEGIBLE_FONT_SIZE = 12
MAX_FONT_SIZE = 72
# The font size is the page's short side divided by FONT_SIZE_DIVISOR,
# within MIN_LEGIBLE_FONT_SIZE and MAX_FONT_SIZE: 31 pixels (5 mm) on an A4
# page at 150 dpi, 12 on a 640×400 photo. It shrinks further, down to
# MIN_FONT_SIZE, if a block does not fit in a quarter of the page.
FONT_SIZE_DIVISOR = 40
TRACE_CODE_SCALE = 0.8
BLOCK_GAP_FACTOR = 1.12


@dataclass(frozen=True)
class VisibleMark:
    """Text of the visible watermark.

    ``purpose`` completes "仅供…使用" (for example "办理税务登记").
    ``statement`` replaces the whole first sentence when the wording must
    differ, for example "仅用于办理税务登记，再复印无效".
    """

    purpose: str
    recipient: str
    issued_on: date
    trace_code: TraceCode
    statement: str | None = None

    def statement_lines(self) -> list[str]:
        """Return the statement, broken after its first full-width comma."""
        statement = self.statement or f"仅供{self.purpose}使用，再复印无效"
        head, comma, tail = statement.partition("，")
        if comma and tail:
            return [head + comma, tail]
        return [statement]

    def detail_line(self) -> str:
        """Return the recipient and the issue date."""
        return f"{self.recipient}  {self.issued_on:%Y-%m-%d}"

    def trace_line(self) -> str:
        """Return the printed trace code."""
        return f"追踪码：{self.trace_code}"

    def text(self) -> str:
        """Return every character the watermark draws, for the glyph check."""
        return "".join([*self.statement_lines(), self.detail_line(), self.trace_line()])


@dataclass(frozen=True)
class BlockLayout:
    """Font size and positions of the rotated text blocks on one page.

    ``boxes`` are the blocks' bounding boxes as (left, top, right, bottom)
    in page pixels, and the text lies inside each box.
    """

    font_size: int
    block_size: tuple[int, int]
    boxes: tuple[tuple[int, int, int, int], ...]


def apply_visible_mark(
    image: Image.Image, mark: VisibleMark, *, font: CJKFont | None = None
) -> Image.Image:
    """Return an RGB copy of ``image`` with the visible watermark drawn over it.

    Transparent areas are flattened onto white first, because a copy is
    paper-like and JPEG has no alpha. ``image`` itself is not modified.
    Raises ``FontConfigurationError`` if the font lacks a glyph of the text.
    """
    font = font or find_cjk_font()
    font.require_glyphs(mark.text())
    page = flatten_onto_white(image)

    layout = layout_blocks(page.size, mark, font)
    block = _render_block(mark, font, layout.font_size)
    overlay = Image.new("RGBA", page.size, (0, 0, 0, 0))
    for left, top, _, _ in layout.boxes:
        overlay.alpha_composite(block, (left, top))
    return Image.alpha_composite(page.convert("RGBA"), overlay).convert("RGB")


def flatten_onto_white(image: Image.Image) -> Image.Image:
    """Return an RGB copy of ``image`` with any transparency composited onto white."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")


def layout_blocks(page_size: tuple[int, int], mark: VisibleMark, font: CJKFont) -> BlockLayout:
    """Choose the font size and block positions for a page.

    Each quarter of the page is divided into the same grid of cells, each
    at least as large as one rotated block, and a block is centred in every
    cell. So every quarter contains whole blocks, provided a block at
    ``MIN_FONT_SIZE`` fits in a quarter: pages of at least about 280×240
    pixels. A smaller page still gets blocks, cut at its edges.
    """
    width, height = page_size
    quarter_width, quarter_height = width / 2, height / 2
    font_size = round(min(width, height) / FONT_SIZE_DIVISOR)
    font_size = max(MIN_LEGIBLE_FONT_SIZE, min(MAX_FONT_SIZE, font_size))
    block_width, block_height = _rotated_block_size(mark, font, font_size)
    while font_size > MIN_FONT_SIZE and (
        block_width > quarter_width or block_height > quarter_height
    ):
        font_size = max(MIN_FONT_SIZE, int(font_size * 0.92))
        block_width, block_height = _rotated_block_size(mark, font, font_size)

    columns = max(1, int(quarter_width // (block_width * BLOCK_GAP_FACTOR)))
    rows = max(1, int(quarter_height // (block_height * BLOCK_GAP_FACTOR)))
    cell_width, cell_height = quarter_width / columns, quarter_height / rows
    boxes = []
    for row in range(2 * rows):
        for column in range(2 * columns):
            left = round(column * cell_width + (cell_width - block_width) / 2)
            top = round(row * cell_height + (cell_height - block_height) / 2)
            boxes.append((left, top, left + block_width, top + block_height))
    return BlockLayout(font_size, (block_width, block_height), tuple(boxes))


def _rotated_block_size(mark: VisibleMark, font: CJKFont, font_size: int) -> tuple[int, int]:
    return _render_block(mark, font, font_size).size


def _render_block(mark: VisibleMark, font: CJKFont, font_size: int) -> Image.Image:
    """Render the text block on a transparent image and rotate it."""
    main_font = font.truetype(font_size)
    small_font = font.truetype(max(MIN_FONT_SIZE, round(font_size * TRACE_CODE_SCALE)))
    lines = [(text, main_font) for text in mark.statement_lines()]
    lines += [(mark.detail_line(), main_font), (mark.trace_line(), small_font)]

    # A thin light halo keeps the dark text readable over dark parts of a
    # photo; on white paper it is invisible.
    halo = max(1, font_size // 14)
    spacing = max(2, font_size // 4)
    sizes = [_text_size(text, line_font, halo) for text, line_font in lines]
    block_width = max(size[0] for size in sizes) + 2 * halo
    block_height = sum(size[1] for size in sizes) + spacing * (len(lines) - 1) + 2 * halo

    block = Image.new("RGBA", (block_width, block_height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(block)
    top = halo
    for (text, line_font), (line_width, line_height) in zip(lines, sizes, strict=True):
        draw.text(
            ((block_width - line_width) / 2, top),
            text,
            font=line_font,
            fill=(*TEXT_COLOUR, 255),
            stroke_width=halo,
            stroke_fill=(*HALO_COLOUR, 255),
        )
        top += line_height + spacing

    alpha = block.getchannel("A").point(lambda value: round(value * TEXT_OPACITY))
    block.putalpha(alpha)
    return block.rotate(ROTATION_DEGREES, resample=Image.Resampling.BICUBIC, expand=True)


def _text_size(text: str, font: ImageFont.FreeTypeFont, stroke_width: int) -> tuple[int, int]:
    left, top, right, bottom = ImageDraw.Draw(Image.new("RGBA", (1, 1))).textbbox(
        (0, 0), text, font=font, stroke_width=stroke_width
    )
    return math.ceil(right - min(left, 0)), math.ceil(bottom - min(top, 0))
