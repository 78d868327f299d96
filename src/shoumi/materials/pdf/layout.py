"""A small layer over fpdf2 for the materials PDFs: CJK font, title, facts, tables, images.

fpdf2 embeds OpenType fonts with CFF outlines and picks a face from a
``.ttc`` collection, so Debian's Noto Sans CJK (``fonts-noto-cjk``), which
``shoumi.documents.imaging.fonts.find_cjk_font`` finds, works as installed.
Every text that a page draws goes through :class:`PdfDocument`, which first
checks that the font has a glyph for it, so a missing glyph is an error
naming the font rather than an empty box on paper.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import segno
from fpdf import FPDF
from fpdf.enums import TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

from shoumi.documents.imaging.fonts import CJKFont, find_cjk_font
from shoumi.materials.errors import FontConfigurationError

FONT_FAMILY = "cjk"
BODY_SIZE = 10
TABLE_SIZE = 9
TITLE_SIZE = 17

# Characters of the fixed wording of every PDF, checked when a document starts.
REQUIRED_TEXT = (
    "材料接收回执客户联存档联借阅登记簿销毁记录表操作人监销人方式时间清单（）：、0123456789"
)

INSTALL_HINT = (
    "Install Debian's fonts-noto-cjk package (apt-get install fonts-noto-cjk) or set "
    "SHOUMI_CJK_FONT to the path of a .ttf, .otf or .ttc font with Simplified Chinese glyphs."
)


@dataclass(frozen=True)
class Fact:
    """One "label: value" line under a title."""

    label: str
    value: str


class PdfDocument:
    """An A4 document written in the system's CJK font."""

    def __init__(self, *, title: str, landscape: bool = False, font: CJKFont | None = None) -> None:
        self.font = font or find_cjk_font()
        self.check(REQUIRED_TEXT)
        self.pdf = FPDF(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.pdf.set_title(title)
        self.pdf.set_creator("shoumi")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.set_margins(15, 15, 15)
        self.pdf.add_font(
            FONT_FAMILY, "", self.font.path, collection_font_number=self.font.face_index
        )
        self.pdf.set_font(FONT_FAMILY, size=BODY_SIZE)

    @property
    def width(self) -> float:
        """Usable width between the margins, in millimetres."""
        return float(self.pdf.epw)

    def check(self, *texts: str) -> None:
        """Raise FontConfigurationError unless the font draws every character of ``texts``.

        The message counts the missing characters without quoting them,
        because the text can contain names.
        """
        missing = self.font.missing_characters("".join(texts))
        if missing:
            raise FontConfigurationError(
                f"The CJK font {self.font.path} (face {self.font.face_index}) has no glyph for "
                f"{len(missing)} character(s) of the document. {INSTALL_HINT}"
            )

    def new_page(self) -> None:
        self.pdf.add_page()

    def title(self, text: str, subtitle: str = "") -> None:
        self.check(text, subtitle)
        self.pdf.set_font(FONT_FAMILY, size=TITLE_SIZE)
        self.pdf.cell(w=0, h=10, text=text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subtitle:
            self.pdf.set_font(FONT_FAMILY, size=BODY_SIZE + 1)
            self.pdf.cell(w=0, h=7, text=subtitle, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_font(FONT_FAMILY, size=BODY_SIZE)
        self.pdf.ln(2)

    def facts(self, facts: Sequence[Fact], *, width: float | None = None) -> None:
        """Write label–value lines; ``width`` narrows them to leave room for a QR code."""
        line_width = width or self.width
        for fact in facts:
            self.check(fact.label, fact.value)
            self.pdf.multi_cell(
                w=line_width,
                h=6,
                text=f"{fact.label}：{fact.value}",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )

    def paragraph(self, text: str, *, size: int = BODY_SIZE) -> None:
        self.check(text)
        self.pdf.set_font(FONT_FAMILY, size=size)
        self.pdf.multi_cell(w=0, h=5.5, text=text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_font(FONT_FAMILY, size=BODY_SIZE)

    def table(
        self, headings: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int]
    ) -> None:
        """Write a table with a repeated heading row; ``widths`` are relative column widths."""
        self.check(*headings, *(cell for row in rows for cell in row))
        self.pdf.ln(2)
        self.pdf.set_font(FONT_FAMILY, size=TABLE_SIZE)
        with self.pdf.table(
            col_widths=tuple(widths),
            line_height=6,
            text_align="LEFT",
            cell_fill_color=(238, 241, 245),
            cell_fill_mode=TableCellFillMode.ROWS,
            first_row_as_headings=True,
            # The CJK face has no bold style; the fill colour marks the heading row.
            headings_style=FontFace(emphasis=None, fill_color=(220, 226, 234)),
        ) as table:
            heading = table.row()
            for text in headings:
                heading.cell(text)
            for values in rows:
                row = table.row()
                for text in values:
                    row.cell(text)
        self.pdf.set_font(FONT_FAMILY, size=BODY_SIZE)
        self.pdf.ln(3)

    def qr_code(self, url: str, *, x: float, y: float, size: float = 32) -> None:
        """Draw a QR code of ``url`` with its top-left corner at (x, y), ``size`` mm wide."""
        buffer = io.BytesIO()
        segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
        buffer.seek(0)
        self.pdf.image(buffer, x=x, y=y, w=size, h=size)

    def image(
        self, png: bytes, *, pixel_size: tuple[int, int], width: float, height: float
    ) -> None:
        """Draw a PNG at the current position, scaled into a ``width`` × ``height`` mm box."""
        pixel_width, pixel_height = pixel_size
        scale = min(width / pixel_width, height / pixel_height)
        drawn_width, drawn_height = pixel_width * scale, pixel_height * scale
        self.pdf.image(
            io.BytesIO(png), x=self.pdf.get_x(), y=self.pdf.get_y(), w=drawn_width, h=drawn_height
        )
        self.pdf.set_y(self.pdf.get_y() + drawn_height + 2)

    def signature_lines(self, labels: Sequence[str]) -> None:
        """Write lines for handwritten signatures and dates."""
        self.check(*labels)
        self.pdf.ln(6)
        column = self.width / len(labels)
        for label in labels:
            self.pdf.cell(w=column, h=8, text=f"{label}：________________")
        self.pdf.ln(10)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
