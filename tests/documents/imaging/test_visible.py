from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTCollection
from PIL import Image

from shoumi.documents.imaging import fonts, mark_document, mark_page, sanitize
from shoumi.documents.imaging.errors import FontConfigurationError
from shoumi.documents.imaging.fonts import find_cjk_font
from shoumi.documents.imaging.visible import apply_visible_mark, layout_blocks

from .conftest import decode, encode, make_mark, synthetic_id_card

D1_STATEMENT = "仅用于办理税务登记，再复印无效"
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@pytest.fixture
def d1_mark():
    return make_mark(statement=D1_STATEMENT)


@pytest.fixture
def clear_font_cache():
    fonts._find_cjk_font.cache_clear()
    yield
    fonts._find_cjk_font.cache_clear()


def _quarters(size):
    width, height = size
    half_width, half_height = width // 2, height // 2
    return [
        (0, 0, half_width, half_height),
        (half_width, 0, width, half_height),
        (0, half_height, half_width, height),
        (half_width, half_height, width, height),
    ]


def _inside(box, region):
    return (
        box[0] >= region[0] and box[1] >= region[1] and box[2] <= region[2] and box[3] <= region[3]
    )


def _cmap_of_selected_face():
    font = find_cjk_font()
    if font.path.lower().endswith(".ttc"):
        face = TTCollection(font.path, lazy=True).fonts[font.face_index]
    else:
        from fontTools.ttLib import TTFont

        face = TTFont(font.path, lazy=True)
    return face.getBestCmap()


# Case D1: a white RGB JPEG and a transparent RGBA PNG, both 640×400.


def test_d1_white_jpeg_is_marked_as_rgb_jpeg(d1_mark):
    original = encode(Image.new("RGB", (640, 400), (255, 255, 255)), "JPEG", quality=95)

    copy = mark_document(original, d1_mark)

    image = decode(copy.content)
    assert copy.media_type == "image/jpeg"
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == (640, 400)


def test_d1_transparent_png_is_flattened_onto_white(d1_mark):
    transparent = Image.new("RGBA", (640, 400), (0, 0, 0, 0))
    original = sanitize(encode(transparent, "PNG")).content

    copy = mark_document(original, d1_mark)

    image = decode(copy.content)
    assert image.mode == "RGB"
    pixels = np.asarray(image, dtype=np.float64)
    # Transparent black must become white paper, not black.
    assert np.median(pixels) > 230


def test_d1_font_covers_text_and_comma(d1_mark):
    cmap = _cmap_of_selected_face()

    missing = [c for c in d1_mark.text() if not c.isspace() and ord(c) not in cmap]

    assert "，" in d1_mark.text()
    assert missing == []


def test_d1_every_quarter_contains_a_whole_block(d1_mark):
    layout = layout_blocks((640, 400), d1_mark, find_cjk_font())

    for quarter in _quarters((640, 400)):
        assert any(_inside(box, quarter) for box in layout.boxes), quarter


def test_d1_every_quarter_is_visibly_marked(d1_mark):
    white = Image.new("RGB", (640, 400), (255, 255, 255))

    marked = apply_visible_mark(white, d1_mark)

    darkened = np.asarray(marked.convert("L")) < 230
    for left, top, right, bottom in _quarters((640, 400)):
        assert darkened[top:bottom, left:right].mean() > 0.015


def test_d1_stored_original_is_unchanged(d1_mark):
    original = encode(synthetic_id_card(640, 400), "JPEG", quality=95)
    digest = hashlib.sha256(original).hexdigest()
    page = decode(original)
    pixels_before = np.asarray(page).copy()

    mark_document(original, d1_mark)
    mark_page(page, d1_mark)

    assert hashlib.sha256(original).hexdigest() == digest
    assert np.array_equal(np.asarray(page), pixels_before)


@pytest.mark.parametrize("size", [(640, 400), (400, 640), (1240, 1754), (2480, 3508), (280, 240)])
def test_layout_puts_whole_block_in_each_quarter(size, mark):
    layout = layout_blocks(size, mark, find_cjk_font())

    for quarter in _quarters(size):
        assert any(_inside(box, quarter) for box in layout.boxes), (size, quarter)


def test_layout_tiles_large_pages_densely(mark):
    layout = layout_blocks((2480, 3508), mark, find_cjk_font())

    assert len(layout.boxes) >= 8


def test_mark_keeps_document_readable(mark):
    card = synthetic_id_card(856, 540)

    marked = apply_visible_mark(card, mark)

    # The watermark is semi-transparent: no pixel moves more than about
    # 40 % of the way to black, so the card's own text stays visible.
    before = np.asarray(card.convert("L"), dtype=np.float64)
    after = np.asarray(marked.convert("L"), dtype=np.float64)
    assert (before - after).max() < 0.45 * 255
    assert (before - after).max() > 20


def test_marked_id_card_png_glyphs_covered(tmp_path, mark):
    cmap = _cmap_of_selected_face()
    card = synthetic_id_card()

    marked = mark_page(card, mark)
    path = tmp_path / "marked-id-card.png"
    marked.save(path)

    rendered = Image.open(path)
    assert rendered.size == card.size
    assert all(ord(c) in cmap for c in mark.text() if not c.isspace())
    assert not np.array_equal(np.asarray(rendered), np.asarray(card))


def test_unknown_glyph_in_recipient_is_a_configuration_error():
    mark = make_mark(recipient="测试\U000f0000")  # a Private Use Area code point no font maps

    with pytest.raises(FontConfigurationError) as raised:
        apply_visible_mark(Image.new("RGB", (640, 400), "white"), mark)

    assert raised.value.code == "cjk_font_missing"
    assert "1 character" in raised.value.message
    assert "\U000f0000" not in raised.value.message


def test_font_without_cjk_glyphs_is_rejected(monkeypatch, clear_font_cache):
    if not Path(DEJAVU).is_file():
        pytest.skip("DejaVu Sans is not installed")
    monkeypatch.setenv("SHOUMI_CJK_FONT", DEJAVU)

    with pytest.raises(FontConfigurationError) as raised:
        find_cjk_font()

    assert "fonts-noto-cjk" in raised.value.message


def test_missing_configured_font_file_is_rejected(monkeypatch, tmp_path, clear_font_cache):
    monkeypatch.setenv("SHOUMI_CJK_FONT", str(tmp_path / "absent.ttc"))

    with pytest.raises(FontConfigurationError) as raised:
        find_cjk_font()

    assert "SHOUMI_CJK_FONT" in raised.value.message


def test_no_known_font_is_a_configuration_error(monkeypatch, clear_font_cache):
    monkeypatch.delenv("SHOUMI_CJK_FONT", raising=False)
    monkeypatch.setattr(fonts, "KNOWN_FONT_PATHS", ("/nonexistent/font.ttc", DEJAVU))

    with pytest.raises(FontConfigurationError) as raised:
        find_cjk_font()

    assert "apt-get install fonts-noto-cjk" in raised.value.message


def test_configured_font_is_used(monkeypatch, clear_font_cache):
    default = find_cjk_font()
    fonts._find_cjk_font.cache_clear()
    monkeypatch.setenv("SHOUMI_CJK_FONT", default.path)

    configured = find_cjk_font()

    assert configured.path == default.path
    assert configured.family.endswith("SC") or configured.face_index == 0
