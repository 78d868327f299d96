from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pypdf
import pytest
from PIL import Image, ImageCms, PngImagePlugin
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from shoumi.documents.imaging import FileKind, IntakeLimits, detect_kind, open_image, sanitize
from shoumi.documents.imaging.errors import (
    CorruptFileError,
    DecompressionBombError,
    FileTooLargeError,
    ImageTooLargeError,
    IntakeError,
    PageTooLargeError,
    TooManyPagesError,
    UnsupportedFileTypeError,
)

from .conftest import decode, encode, synthetic_id_card

GPS_IFD = 0x8825
ORIENTATION = 0x0112
ROTATED_90_CLOCKWISE = 6


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_with_header(width: int, height: int, extra_chunks: bytes = b"") -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    image_data = zlib.compress(b"\0" * 64, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + extra_chunks
        + _png_chunk(b"IDAT", image_data)
        + _png_chunk(b"IEND", b"")
    )


def _photo_with_metadata() -> bytes:
    """A 300×200 JPEG with GPS, orientation 'rotate 90° clockwise', a comment and XMP."""
    image = Image.new("RGB", (300, 200), (255, 255, 255))
    image.paste((200, 0, 0), (0, 0, 300, 40))  # a red band along the stored top edge
    exif = Image.Exif()
    exif[ORIENTATION] = ROTATED_90_CLOCKWISE
    exif[0x010F] = "SampleCam"  # Make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (39.0, 54.0, 0.0), 3: "E", 4: (116.0, 23.0, 0.0)})
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    return encode(image, "JPEG", quality=95, exif=exif, comment=b"sample comment", xmp=xmp)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xff\xd8\xff\xe0rest", FileKind.JPEG),
        (b"\x89PNG\r\n\x1a\nrest", FileKind.PNG),
        (b"\0\0\0\x18ftypheic\0\0\0\0", FileKind.HEIC),
        (b"\0\0\0\x18ftypmif1\0\0\0\0", FileKind.HEIC),
        (b"%PDF-1.7\n", FileKind.PDF),
    ],
)
def test_detect_kind_reads_magic_bytes(content, expected):
    assert detect_kind(content) is expected


@pytest.mark.parametrize(
    "content",
    [
        b"GIF89a....",
        b"II*\0tiff",
        b"RIFF\0\0\0\0WEBPVP8 ",
        b"\0\0\0\x18ftypavif\0\0\0\0",
        b"<html><body>not an image</body></html>",
        b"",
    ],
)
def test_detect_kind_rejects_other_types(content):
    with pytest.raises(UnsupportedFileTypeError) as raised:
        detect_kind(content)

    assert raised.value.code == "unsupported_file_type"
    assert "文件类型不受支持" in raised.value.message


def test_text_file_renamed_to_jpg_is_rejected(tmp_path):
    renamed = tmp_path / "身份证正面.jpg"
    renamed.write_text("这不是图片", encoding="utf-8")

    with pytest.raises(UnsupportedFileTypeError):
        sanitize(renamed.read_bytes())


def test_png_renamed_to_jpg_is_treated_as_png(tmp_path):
    renamed = tmp_path / "scan.jpg"
    renamed.write_bytes(encode(synthetic_id_card(320, 200), "PNG"))

    clean = sanitize(renamed.read_bytes())

    assert clean.kind is FileKind.PNG
    assert clean.media_type == "image/png"


def test_jpeg_header_on_garbage_is_corrupt():
    with pytest.raises(CorruptFileError) as raised:
        sanitize(b"\xff\xd8\xff\xe0" + b"\x13" * 500)

    assert raised.value.code == "corrupt_file"


def test_truncated_jpeg_is_corrupt():
    content = encode(synthetic_id_card(320, 200), "JPEG", quality=90)

    with pytest.raises(CorruptFileError):
        sanitize(content[: len(content) // 2])


def test_file_over_size_limit_is_rejected():
    limits = IntakeLimits(max_file_bytes=1024 * 1024)

    with pytest.raises(FileTooLargeError) as raised:
        sanitize(b"\xff\xd8\xff" + b"\0" * (1024 * 1024), limits=limits)

    assert raised.value.code == "file_too_large"
    assert "1 MB" in raised.value.message


def test_png_declaring_a_billion_pixels_is_a_bomb():
    bomb = _png_with_header(40_000, 40_000)

    with pytest.raises(DecompressionBombError) as raised:
        sanitize(bomb)

    assert raised.value.code == "decompression_bomb"
    assert "解压炸弹" in raised.value.message


def test_real_zlib_bomb_png_is_rejected_before_decoding():
    # 20000×20000 black pixels compress to about 400 kB of zlib data.
    rows = b"\0" + b"\0" * (20_000 * 3)
    compressor = zlib.compressobj(9)
    image_data = b"".join(compressor.compress(rows) for _ in range(20_000)) + compressor.flush()
    header = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", image_data)
        + _png_chunk(b"IEND", b"")
    )

    with pytest.raises(DecompressionBombError):
        sanitize(bomb)


def test_png_text_chunk_bomb_is_rejected():
    text_bomb = b"Comment\0\0" + zlib.compress(b"A" * (PngImagePlugin.MAX_TEXT_CHUNK * 4), 9)
    bomb = _png_with_header(4, 4, _png_chunk(b"zTXt", text_bomb))

    with pytest.raises(DecompressionBombError):
        sanitize(bomb)


def test_large_but_honest_image_exceeds_pixel_limit():
    noise = np.random.default_rng(1).integers(0, 255, (600, 600, 3), dtype=np.uint8)
    content = encode(Image.fromarray(noise), "PNG")
    limits = IntakeLimits(max_pixels=100_000)

    with pytest.raises(ImageTooLargeError) as raised:
        sanitize(content, limits=limits)

    assert raised.value.code == "image_too_large"


def test_every_intake_error_message_is_chinese():
    errors = []
    for content in (b"GIF89a", _png_with_header(40_000, 40_000), b"\xff\xd8\xff\xe0junk"):
        with pytest.raises(IntakeError) as raised:
            sanitize(content)
        errors.append(raised.value)

    for error in errors:
        assert any("\u4e00" <= character <= "\u9fff" for character in error.message)


def test_exif_gps_xmp_and_comment_are_stripped():
    clean = sanitize(_photo_with_metadata())

    image = decode(clean.content)
    assert clean.kind is FileKind.JPEG
    assert not image.getexif()
    assert "exif" not in image.info
    assert "xmp" not in image.info
    assert "comment" not in image.info
    assert b"SampleCam" not in clean.content
    assert b"xmpmeta" not in clean.content


def test_exif_orientation_is_applied_before_stripping():
    clean = sanitize(_photo_with_metadata())

    image = decode(clean.content).convert("RGB")
    # Stored 300×200 with the band on top; rotated 90° clockwise for display,
    # the page is 200×300 with the band along the right edge.
    assert image.size == (200, 300)
    assert image.getpixel((190, 150))[0] > 150
    assert image.getpixel((190, 150))[1] < 80
    assert image.getpixel((10, 150)) > (230, 230, 230)


def test_icc_profile_is_converted_and_removed():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image = synthetic_id_card(320, 200)
    content = encode(image, "PNG", icc_profile=srgb)

    clean = sanitize(content)

    stored = decode(clean.content)
    assert "icc_profile" not in stored.info
    difference = np.abs(np.asarray(stored, dtype=int) - np.asarray(image, dtype=int))
    assert difference.max() <= 3


def test_png_text_chunks_are_stripped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "sample author")
    info.add_itxt("Description", "样本说明", zip=True)
    content = encode(synthetic_id_card(320, 200), "PNG", pnginfo=info)

    clean = sanitize(content)

    assert b"sample author" not in clean.content
    assert decode(clean.content).text == {}


def test_png_alpha_is_kept_in_the_stored_original():
    image = Image.new("RGBA", (320, 200), (0, 0, 0, 0))
    image.paste((20, 20, 20, 255), (20, 20, 120, 60))

    clean = sanitize(encode(image, "PNG"))

    assert decode(clean.content).mode == "RGBA"


def test_sixteen_bit_png_becomes_eight_bit():
    levels = np.tile(np.linspace(0, 65535, 256, dtype=np.uint16), (64, 1))
    content = encode(Image.fromarray(levels), "PNG")

    image = open_image(content)

    assert image.mode == "L"
    assert image.getpixel((255, 0)) == 255
    assert image.getpixel((0, 0)) == 0


def test_heic_is_decoded_and_reencoded_as_jpeg():
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x010F] = "SampleCam"
    content = encode(synthetic_id_card(320, 200), "HEIF", quality=90, exif=exif)

    clean = sanitize(content)

    assert detect_kind(content) is FileKind.HEIC
    assert clean.kind is FileKind.HEIC
    assert clean.media_type == "image/jpeg"
    assert decode(clean.content).size == (320, 200)
    assert b"SampleCam" not in clean.content


def _pdf(page_count: int = 1, *, size=(400, 300), resolution=72.0) -> bytes:
    pages = [synthetic_id_card(*size, seed=index) for index in range(page_count)]
    return encode(pages[0], "PDF", save_all=True, append_images=pages[1:], resolution=resolution)


def test_pdf_with_too_many_pages_is_rejected():
    with pytest.raises(TooManyPagesError) as raised:
        sanitize(_pdf(4), limits=IntakeLimits(max_pages=3))

    assert raised.value.code == "too_many_pages"
    assert "3 页" in raised.value.message


def test_pdf_with_huge_page_is_rejected():
    # 400×300 pixels at 4 dpi make a page of 100×75 inches.
    with pytest.raises(PageTooLargeError) as raised:
        sanitize(_pdf(1, resolution=4.0))

    assert raised.value.code == "page_too_large"


def test_pdf_page_over_pixel_limit_rejected():
    # 400×300 pixels at 10 dpi make a 40×30-inch page: 48 million pixels at 200 dpi.
    with pytest.raises(PageTooLargeError):
        sanitize(_pdf(1, resolution=10.0), limits=IntakeLimits(max_pixels=20_000_000))


def test_pdf_content_stream_bomb_is_rejected():
    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    stream = pypdf.generic.DecodedStreamObject()
    stream.set_data(b"0 0 m\n" * (4 * 1024 * 1024))
    page[pypdf.generic.NameObject("/Contents")] = writer._add_object(stream.flate_encode())
    buffer = io.BytesIO()
    writer.write(buffer)

    with pytest.raises(DecompressionBombError):
        sanitize(buffer.getvalue(), limits=IntakeLimits(max_pdf_stream_bytes=1024 * 1024))


def test_pdf_metadata_and_javascript_are_dropped():
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(_pdf(2)))
    writer.add_metadata({"/Author": "Sample Author", "/Title": "Sample Title"})
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('sample');"),
        }
    )
    buffer = io.BytesIO()
    writer.write(buffer)

    clean = sanitize(buffer.getvalue())

    reader = pypdf.PdfReader(io.BytesIO(clean.content))
    assert clean.kind is FileKind.PDF
    assert clean.page_count == 2
    assert len(reader.pages) == 2
    assert b"Sample Author" not in clean.content
    assert b"app.alert" not in clean.content
    assert "/OpenAction" not in reader.trailer["/Root"]


def test_encrypted_pdf_is_rejected():
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(_pdf(1)))
    writer.encrypt("sample-password")
    buffer = io.BytesIO()
    writer.write(buffer)

    with pytest.raises(CorruptFileError) as raised:
        sanitize(buffer.getvalue())

    assert "加密" in raised.value.message


def test_pdf_header_on_garbage_is_corrupt():
    with pytest.raises(CorruptFileError):
        sanitize(b"%PDF-1.7\n" + b"garbage" * 100)
