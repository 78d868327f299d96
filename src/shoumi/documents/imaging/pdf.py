"""PDF pages as images: render with PDFium, rebuild from page images with Pillow.

Library choice: pypdfium2 (Apache-2.0 or BSD-3-Clause, wrapping PDFium,
the BSD-licensed PDF engine of Chromium) renders pages; pypdf (BSD-3-Clause)
inspects page content streams before rendering; Pillow writes the rebuilt
PDF. PyMuPDF renders well too but is AGPL-3.0, which would bind the whole
of shoumi, so it is not used.

Every page of a copy is rendered to an image, marked and written back as
one image per page. A watermark added as its own PDF object (a text
annotation or an extra content stream) can be removed again with ordinary
PDF tools, but a mark burned into the page image cannot be separated from
the scan under it. PDFium applies a page's /Rotate entry while rendering,
so the image, and the mark drawn on it, are upright as a reader sees the
page, and the rebuilt page needs no /Rotate entry. The cost is that text in
a PDF becomes pixels: copies cannot be searched or selected.
"""

from __future__ import annotations

import io

import pypdf
import pypdfium2 as pdfium
import structlog
from PIL import Image
from pypdf.errors import PdfReadError

from shoumi.documents.imaging.errors import (
    CorruptFileError,
    DecompressionBombError,
    PageTooLargeError,
    TooManyPagesError,
)
from shoumi.documents.imaging.intake import IntakeLimits, check_file_size

logger = structlog.get_logger(__name__)

POINTS_PER_INCH = 72


def render_pages(
    content: bytes, *, dpi: int, limits: IntakeLimits | None = None, first_only: bool = False
) -> list[Image.Image]:
    """Render every page of a PDF, or only the first, to upright RGB images at ``dpi``.

    The page-count limit applies in both cases.
    Raises ``TooManyPagesError``, ``PageTooLargeError``,
    ``DecompressionBombError`` or ``CorruptFileError`` with a Chinese message.
    """
    limits = limits or IntakeLimits()
    check_file_size(len(content), limits)
    _check_content_streams(content, limits)

    try:
        document = pdfium.PdfDocument(content)
    except pdfium.PdfiumError as error:
        raise CorruptFileError(
            "PDF 文件已损坏、已加密或无法解析。请导出未加密的 PDF 后重新上传。"
        ) from error
    try:
        page_count = len(document)
        if page_count == 0:
            raise CorruptFileError("PDF 文件没有页面。")
        if page_count > limits.max_pages:
            raise TooManyPagesError(
                f"PDF 页数过多：上限为 {limits.max_pages} 页。请拆分后分别上传。"
            )
        rendered = 1 if first_only else page_count
        return [_render_page(document[index], dpi, limits) for index in range(rendered)]
    finally:
        document.close()


def write_pdf(pages: list[Image.Image], *, dpi: int, quality: int = 90) -> bytes:
    """Write page images as a PDF, one JPEG-compressed image per page, at ``dpi``."""
    if not pages:
        raise ValueError("write_pdf needs at least one page.")
    rgb_pages = [page.convert("RGB") for page in pages]
    buffer = io.BytesIO()
    rgb_pages[0].save(
        buffer,
        "PDF",
        save_all=True,
        append_images=rgb_pages[1:],
        resolution=float(dpi),
        quality=quality,
    )
    return buffer.getvalue()


def _render_page(page: pdfium.PdfPage, dpi: int, limits: IntakeLimits) -> Image.Image:
    try:
        # PdfPage.get_size() returns the size as displayed, /Rotate applied.
        width_points, height_points = page.get_size()
        if max(width_points, height_points) > limits.max_page_inches * POINTS_PER_INCH:
            raise PageTooLargeError(
                f"PDF 页面尺寸过大：单边上限为 {limits.max_page_inches:g} 英寸。"
                "请检查文件后重新上传。"
            )
        scale = dpi / POINTS_PER_INCH
        if width_points * height_points * scale * scale > limits.max_pixels:
            raise PageTooLargeError(
                "PDF 页面在渲染分辨率下像素过多。请降低扫描分辨率或缩小页面后重新上传。"
            )
        bitmap = page.render(scale=scale, may_draw_forms=False)
        image = bitmap.to_pil().convert("RGB")
    except pdfium.PdfiumError as error:
        raise CorruptFileError("PDF 页面无法渲染，文件可能已损坏。") from error
    finally:
        page.close()
    return image


def _check_content_streams(content: bytes, limits: IntakeLimits) -> None:
    """Reject PDFs whose page content streams expand past the limit.

    PDFium would decompress such a stream while rendering, with no limit of
    its own. pypdf reads each page's contents and stops at its own cap on
    decompressed output, which counts as a bomb here too.
    """
    try:
        reader = pypdf.PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            raise CorruptFileError("PDF 文件已加密。请导出未加密的 PDF 后重新上传。")
        if len(reader.pages) > limits.max_pages:
            raise TooManyPagesError(
                f"PDF 页数过多：上限为 {limits.max_pages} 页。请拆分后分别上传。"
            )
        for page in reader.pages:
            contents = page.get_contents()
            if contents is not None and len(contents.get_data()) > limits.max_pdf_stream_bytes:
                raise DecompressionBombError("PDF 页面内容解压后异常巨大，疑似“解压炸弹”，已拒绝。")
    except pypdf.errors.LimitReachedError as error:
        raise DecompressionBombError(
            "PDF 页面内容解压后异常巨大，疑似“解压炸弹”，已拒绝。"
        ) from error
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise CorruptFileError("PDF 文件已损坏或无法解析。请重新导出后上传。") from error
