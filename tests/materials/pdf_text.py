"""Read back the PDFs the tests render: text through pypdf, pages as PNG through pypdfium2."""

from __future__ import annotations

import io

import pypdf
import pypdfium2


def page_texts(pdf: bytes) -> list[str]:
    """Return each page's text as pypdf extracts it, without whitespace.

    fpdf2 writes a CID-keyed CFF font (Noto Sans CJK) with an embedded
    encoding CMap. pypdf 7.1 does not read that CMap and takes each two-byte
    code as two one-byte codes, so a NUL precedes every character. The
    ToUnicode map still gives the right characters, so the NULs and the
    layout whitespace are dropped before comparing.
    """
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [
        "".join(page.extract_text(extraction_mode="layout").replace("\x00", "").split())
        for page in reader.pages
    ]


def render_pages(pdf: bytes, *, scale: float = 1.5) -> list[bytes]:
    """Render every page to PNG bytes with PDFium."""
    document = pypdfium2.PdfDocument(pdf)
    pages = []
    try:
        for page in document:
            image = page.render(scale=scale).to_pil()
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            pages.append(buffer.getvalue())
    finally:
        document.close()
    return pages
