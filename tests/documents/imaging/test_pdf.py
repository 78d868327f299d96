"""Case D2: marks burned into PDF page images, in the orientation a reader sees."""

from __future__ import annotations

import io

import numpy as np
import pypdf
import pypdfium2 as pdfium
import pytest
from PIL import Image

from shoumi.documents.imaging import invisible, make_thumbnail, mark_document, read_trace_code
from shoumi.documents.imaging.pdf import render_pages

from .conftest import decode, encode, make_mark, synthetic_id_card, synthetic_text_page


def _pdf_of(pages: list[Image.Image], dpi: float = 150.0) -> bytes:
    return encode(pages[0], "PDF", save_all=True, append_images=pages[1:], resolution=dpi)


def _rotated(content: bytes, degrees: int) -> bytes:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(content))
    for page in writer.pages:
        page.rotate(degrees)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _page_images(content: bytes) -> list[Image.Image]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return [image.image for page in reader.pages for image in page.images]


@pytest.fixture(scope="module")
def licence_pdf():
    return _pdf_of([synthetic_id_card(1240, 877, seed=1), synthetic_text_page(1240, 1754)])


@pytest.fixture(scope="module")
def marked_licence(licence_pdf):
    mark = make_mark()
    return mark, mark_document(licence_pdf, mark)


def test_every_page_is_marked_and_kept(licence_pdf, marked_licence):
    _, copy = marked_licence

    originals = render_pages(licence_pdf, dpi=150)
    marked = render_pages(copy.content, dpi=150)

    assert copy.media_type == "application/pdf"
    assert copy.page_count == 2
    assert [page.size for page in marked] == [page.size for page in originals]
    for original, page in zip(originals, marked, strict=True):
        difference = np.abs(
            np.asarray(original.convert("L"), dtype=int) - np.asarray(page.convert("L"), dtype=int)
        )
        assert (difference > 25).mean() > 0.01


def test_mark_is_burned_into_the_only_page_object(marked_licence):
    _, copy = marked_licence

    reader = pypdf.PdfReader(io.BytesIO(copy.content))

    for page in reader.pages:
        assert len(page.images) == 1
        assert page.extract_text().strip() == ""
        assert "/Annots" not in page


def test_image_extracted_with_pypdf_still_carries_both_marks(marked_licence):
    mark, copy = marked_licence

    images = _page_images(copy.content)

    for image in images:
        reading = invisible.read(image)
        assert reading is not None
        assert reading.trace_code == mark.trace_code
        # The visible mark is in the same pixels: the grey text darkens parts of the page.
        assert (np.asarray(image.convert("L")) < 230).mean() > 0.01


def test_trace_code_reads_from_marked_pdf(marked_licence):
    mark, copy = marked_licence

    assert read_trace_code(copy.content).trace_code == mark.trace_code


def test_rotated_page_marked_upright():
    upright = synthetic_id_card(877, 1240, seed=4)
    stored_sideways = upright.rotate(90, expand=True)  # as a scanner might store it
    rotated_pdf = _rotated(_pdf_of([stored_sideways]), 90)
    upright_pdf = _pdf_of([upright])
    mark = make_mark()

    from_rotated = render_pages(mark_document(rotated_pdf, mark).content, dpi=150)[0]
    from_upright = render_pages(mark_document(upright_pdf, mark).content, dpi=150)[0]

    reader = pypdf.PdfReader(io.BytesIO(mark_document(rotated_pdf, mark).content))
    assert reader.pages[0].get("/Rotate", 0) == 0
    # PDFium may round a rendered side up by one pixel.
    assert abs(from_rotated.width - upright.width) <= 1
    assert abs(from_rotated.height - upright.height) <= 1
    common = (
        0,
        0,
        min(from_rotated.width, from_upright.width),
        min(from_rotated.height, from_upright.height),
    )
    difference = np.abs(
        np.asarray(from_rotated.crop(common).convert("L"), dtype=int)
        - np.asarray(from_upright.crop(common).convert("L"), dtype=int)
    )
    # Same page as seen, same mark: only JPEG noise differs.
    assert np.percentile(difference, 99) < 24


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_rotated_pdf_copy_is_traceable(degrees):
    pdf = _rotated(_pdf_of([synthetic_text_page(1000, 1400)]), degrees)
    mark = make_mark()

    copy = mark_document(pdf, mark)

    assert read_trace_code(copy.content).trace_code == mark.trace_code


def test_pdfium_renders_rotate_entry_applied():
    page = synthetic_id_card(600, 300)
    pdf = _rotated(_pdf_of([page]), 90)

    document = pdfium.PdfDocument(pdf)
    try:
        width, height = document[0].get_size()
    finally:
        document.close()

    assert height > width


def test_pdf_thumbnail_is_marked_first_page():
    pdf = _pdf_of([synthetic_text_page(1240, 1754), synthetic_id_card()])
    mark = make_mark()

    thumbnail = decode(make_thumbnail(pdf, mark, max_side=480))

    assert max(thumbnail.size) == 480
    assert thumbnail.size[1] > thumbnail.size[0]
    white = np.asarray(thumbnail.convert("L"))[:40, :]
    assert white.min() < 250


def test_image_thumbnail_carries_visible_mark_and_trace_code():
    mark = make_mark()
    thumbnail = decode(make_thumbnail(encode(synthetic_id_card(1712, 1080), "PNG"), mark))

    reading = invisible.read(thumbnail)

    assert max(thumbnail.size) == 480
    assert reading is not None
    assert reading.trace_code == mark.trace_code
