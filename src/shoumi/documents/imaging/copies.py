"""Marked copies, thumbnails and trace reading: the calls the documents app makes.

A copy is made from the stored original (after intake) each time it is
viewed, downloaded or printed. It carries the visible watermark and,
under it, the invisible watermark with the same trace code. The original
bytes and any image passed in are never modified.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from PIL import Image

from shoumi.documents.imaging import invisible
from shoumi.documents.imaging.errors import TraceCodeNotFoundError
from shoumi.documents.imaging.fonts import CJKFont
from shoumi.documents.imaging.intake import (
    FileKind,
    IntakeLimits,
    detect_kind,
    encode_image,
    open_image,
)
from shoumi.documents.imaging.invisible import TraceReading
from shoumi.documents.imaging.pdf import render_pages, write_pdf
from shoumi.documents.imaging.visible import VisibleMark, apply_visible_mark

logger = structlog.get_logger(__name__)

COPY_JPEG_QUALITY = 90
COPY_PDF_DPI = 150
THUMBNAIL_MAX_SIDE = 480


@dataclass(frozen=True)
class MarkedCopy:
    """The bytes of an issued copy and their media type."""

    content: bytes
    media_type: str
    page_count: int


def mark_page(
    image: Image.Image,
    mark: VisibleMark,
    *,
    font: CJKFont | None = None,
    strength: float = invisible.DEFAULT_STRENGTH,
) -> Image.Image:
    """Return a marked RGB copy of one page: visible mark first, invisible mark over it."""
    visible = apply_visible_mark(image, mark, font=font)
    return invisible.embed(visible, mark.trace_code, strength=strength)


def mark_document(
    content: bytes,
    mark: VisibleMark,
    *,
    limits: IntakeLimits | None = None,
    font: CJKFont | None = None,
) -> MarkedCopy:
    """Return a marked copy of a stored original, in the original's type.

    Images become JPEG (RGB, transparency flattened onto white). PDFs
    become PDFs with every page rendered at ``COPY_PDF_DPI`` and the marks
    burned into the page image.
    """
    kind = detect_kind(content)
    if kind is FileKind.PDF:
        pages = render_pages(content, dpi=COPY_PDF_DPI, limits=limits)
        marked_pages = [mark_page(page, mark, font=font) for page in pages]
        copy = MarkedCopy(
            write_pdf(marked_pages, dpi=COPY_PDF_DPI, quality=COPY_JPEG_QUALITY),
            FileKind.PDF.media_type,
            len(pages),
        )
    else:
        image = open_image(content, limits=limits, kind=kind)
        marked = mark_page(image, mark, font=font)
        copy = MarkedCopy(
            encode_image(marked, "JPEG", quality=COPY_JPEG_QUALITY), FileKind.JPEG.media_type, 1
        )
    logger.info("marked_copy_made", kind=kind.value, pages=copy.page_count, bytes=len(copy.content))
    return copy


def make_thumbnail(
    content: bytes,
    mark: VisibleMark,
    *,
    max_side: int = THUMBNAIL_MAX_SIDE,
    limits: IntakeLimits | None = None,
    font: CJKFont | None = None,
) -> bytes:
    """Return a marked JPEG thumbnail of the first page, at most ``max_side`` pixels wide or high.

    The visible mark is drawn at the thumbnail's size, so it stays legible.
    The invisible mark is embedded too and needs about two tiles: on
    synthetic pages saved as JPEG q90 it was read from all 8 thumbnails
    with a short side of 200 pixels and from none at 160.
    """
    kind = detect_kind(content)
    if kind is FileKind.PDF:
        page = render_pages(content, dpi=COPY_PDF_DPI, limits=limits, first_only=True)[0]
    else:
        page = open_image(content, limits=limits, kind=kind)
    page = page.copy()
    page.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return encode_image(mark_page(page, mark, font=font), "JPEG", quality=COPY_JPEG_QUALITY)


def read_trace_code(content: bytes, *, limits: IntakeLimits | None = None) -> TraceReading:
    """Read the trace code from a leaked copy (JPEG, PNG, HEIC or PDF).

    For a PDF every page is tried until one yields a code. Raises
    ``TraceCodeNotFoundError`` when no page carries a readable code.
    """
    kind = detect_kind(content)
    if kind is FileKind.PDF:
        pages = render_pages(content, dpi=COPY_PDF_DPI, limits=limits)
    else:
        pages = [open_image(content, limits=limits, kind=kind)]

    for page in pages:
        reading = invisible.read(page)
        if reading is not None:
            logger.info(
                "trace_code_read",
                kind=kind.value,
                confidence=reading.confidence,
                sync_score=round(reading.sync_score, 1),
            )
            return reading
    logger.info("trace_code_not_found", kind=kind.value, pages=len(pages))
    raise TraceCodeNotFoundError(
        "未能从该文件读出追踪码。可能不是本系统发出的副本，或已被过度压缩、缩小或裁剪；"
        "可尝试人工辨认可见水印中印出的追踪码。"
    )
