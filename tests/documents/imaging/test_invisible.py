from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageFilter

from shoumi.documents.imaging import TraceCode, invisible, mark_document, read_trace_code
from shoumi.documents.imaging.errors import TraceCodeNotFoundError

from .conftest import decode, encode, make_mark, synthetic_id_card, synthetic_text_page


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    return decode(encode(image.convert("RGB"), "JPEG", quality=quality))


def _scale(image: Image.Image, factor: float) -> Image.Image:
    size = (round(image.width * factor), round(image.height * factor))
    return image.resize(size, Image.Resampling.BICUBIC)


def _crop_edges(image: Image.Image, fraction: float) -> Image.Image:
    """Cut ``fraction`` of the width and height away, half from each side."""
    dx, dy = round(image.width * fraction / 2), round(image.height * fraction / 2)
    return image.crop((dx, dy, image.width - dx, image.height - dy))


TRANSFORMATIONS = {
    "unchanged": lambda image: image,
    "png round trip": lambda image: decode(encode(image, "PNG")),
    "jpeg quality 70": lambda image: _jpeg(image, 70),
    "jpeg quality 50": lambda image: _jpeg(image, 50),
    "scaled to 50 %": lambda image: _scale(image, 0.5),
    "scaled to 50 % then jpeg 70": lambda image: _jpeg(_scale(image, 0.5), 70),
    "scaled to 75 %": lambda image: _scale(image, 0.75),
    "scaled to 150 %": lambda image: _scale(image, 1.5),
    "gaussian blur radius 1": lambda image: image.filter(ImageFilter.GaussianBlur(1)),
    "20 % of edges cropped": lambda image: _crop_edges(image, 0.2),
    "corner cropped off": lambda image: image.crop((97, 61, image.width, image.height)),
    "greyscale": lambda image: image.convert("L"),
}


@pytest.fixture(scope="module")
def marked_pages():
    """A card and a text page, each marked through the public copy path."""
    pages = {}
    for name, page in (("id card", synthetic_id_card()), ("text page", synthetic_text_page())):
        mark = make_mark()
        copy = mark_document(encode(page, "PNG"), mark)
        pages[name] = (decode(copy.content), mark.trace_code)
    return pages


@pytest.mark.parametrize("page_name", ["id card", "text page"])
@pytest.mark.parametrize("transformation", list(TRANSFORMATIONS))
def test_trace_code_survives_transformation(marked_pages, page_name, transformation):
    marked, expected = marked_pages[page_name]

    reading = invisible.read(TRANSFORMATIONS[transformation](marked))

    assert reading is not None
    assert reading.trace_code == expected


def test_reading_reports_scale(marked_pages):
    marked, _ = marked_pages["id card"]

    reading = invisible.read(_scale(marked, 0.5))

    assert reading is not None
    assert reading.scale == pytest.approx(0.5, abs=0.01)
    assert reading.confidence in ("high", "medium")


def test_copy_for_a_traces_to_a_not_b():
    original = encode(synthetic_id_card(), "JPEG", quality=95)
    mark_a, mark_b = make_mark("测试员甲"), make_mark("外包机构乙")

    copy_a = mark_document(original, mark_a).content
    copy_b = mark_document(original, mark_b).content

    assert mark_a.trace_code != mark_b.trace_code
    assert read_trace_code(copy_a).trace_code == mark_a.trace_code
    assert read_trace_code(copy_b).trace_code == mark_b.trace_code


def test_recompressed_copy_traces_to_a():
    original = encode(synthetic_text_page(), "PNG")
    mark_a, mark_b = make_mark("测试员甲"), make_mark("外包机构乙")
    copy_a = decode(mark_document(original, mark_a).content)

    leaked = encode(_scale(copy_a, 0.5), "JPEG", quality=70)

    reading = read_trace_code(leaked)
    assert reading.trace_code == mark_a.trace_code
    assert reading.trace_code != mark_b.trace_code


@pytest.mark.parametrize("seed", range(6))
def test_unmarked_images_yield_no_code(seed):
    generator = np.random.default_rng(seed)
    noise = generator.normal(128, 30, (500, 700)).clip(0, 255).astype(np.uint8)
    candidates = [
        synthetic_id_card(seed=seed),
        synthetic_text_page(900, 1200, seed=seed),
        Image.fromarray(noise),
    ]

    for image in candidates:
        assert invisible.read(image) is None


def test_unmarked_file_raises_trace_code_not_found():
    with pytest.raises(TraceCodeNotFoundError) as raised:
        read_trace_code(encode(synthetic_id_card(), "JPEG", quality=90))

    assert raised.value.code == "trace_code_not_found"
    assert "追踪码" in raised.value.message


def test_other_key_does_not_read_the_code():
    code = TraceCode.generate()
    marked = invisible.embed(synthetic_id_card(), code, key=b"deployment-a")

    assert invisible.read(marked, key=b"deployment-a").trace_code == code
    assert invisible.read(marked, key=b"deployment-b") is None


def test_embedding_is_faint():
    card = synthetic_id_card()

    marked = invisible.embed(card, TraceCode.generate())

    before = np.asarray(card, dtype=np.float64)
    after = np.asarray(marked, dtype=np.float64)
    peak_signal_to_noise = 10 * np.log10(255**2 / np.mean((before - after) ** 2))
    assert peak_signal_to_noise > 34


def test_too_small_image_yields_no_code():
    marked = invisible.embed(synthetic_id_card(), TraceCode.generate())

    assert invisible.read(marked.resize((40, 30))) is None


def test_reads_from_image_bytes_in_every_accepted_format():
    mark = make_mark()
    marked = decode(mark_document(encode(synthetic_id_card(), "PNG"), mark).content)
    buffer = io.BytesIO()
    marked.save(buffer, "PNG")

    assert read_trace_code(buffer.getvalue()).trace_code == mark.trace_code
    assert read_trace_code(encode(marked, "JPEG", quality=85)).trace_code == mark.trace_code


def test_very_large_copy_is_read_at_reduced_size():
    code = TraceCode.generate()
    marked = invisible.embed(synthetic_text_page(1240, 1754), code)
    enlarged = _scale(marked, 2.0)  # 2480×3508, past the read size limit

    reading = invisible.read(enlarged)

    assert max(enlarged.size) > invisible.MAX_READ_SIDE
    assert reading is not None
    assert reading.trace_code == code
    assert reading.scale == pytest.approx(2.0, abs=0.02)


def test_transparent_image_is_embedded_on_white():
    code = TraceCode.generate()
    transparent = Image.new("RGBA", (640, 400), (0, 0, 0, 0))

    marked = invisible.embed(transparent, code)

    assert marked.mode == "RGB"
    assert np.median(np.asarray(marked)) > 230
    assert invisible.read(marked).trace_code == code
