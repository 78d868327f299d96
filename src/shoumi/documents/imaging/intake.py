"""Safe intake of uploaded scans: type by content, limits, metadata removal.

What this protects against:

- files whose name or declared type lies about their content;
- images whose header declares more pixels than the server should decode
  (decompression bombs). This includes PNGs whose zlib data expand without
  bound, and PNG text chunks, which Pillow stops at
  ``PngImagePlugin.MAX_TEXT_CHUNK``;
- PDFs with too many pages, huge pages or content streams that expand
  without bound;
- metadata that would leave the firm inside a copy: EXIF with GPS position
  and camera serial numbers, XMP, IPTC, comments, ICC profile descriptions,
  PDF document information and active content.

Every accepted file is decoded and encoded again, so only pixels survive:
JPEG and HEIC become JPEG, PNG stays PNG, and a PDF becomes a PDF of page
images. EXIF orientation is applied before the metadata goes, so the page
stays upright.

What it does not protect against: bugs in the decoders themselves (libjpeg,
libpng, libheif, PDFium), which parse hostile input in this process, and
files built to cost CPU time within the limits, such as a progressive JPEG
with thousands of scans. The caller should run intake in a worker with a
memory and time limit.
"""

from __future__ import annotations

import enum
import io
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import structlog
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from shoumi.documents.imaging.errors import (
    CorruptFileError,
    DecompressionBombError,
    FileTooLargeError,
    ImageTooLargeError,
    UnsupportedFileTypeError,
)

logger = structlog.get_logger(__name__)

MEBIBYTE = 1024 * 1024

# A declared image larger than the pixel limit whose file contains less than
# one byte per this many pixels is a decompression bomb rather than a big
# scan: real scans and photos compress far less.
BOMB_PIXELS_PER_BYTE = 200

JPEG_QUALITY = 92
PDF_PAGE_QUALITY = 90


class FileKind(enum.StrEnum):
    """A file type recognised by its content."""

    JPEG = "jpeg"
    PNG = "png"
    HEIC = "heic"
    PDF = "pdf"

    @property
    def media_type(self) -> str:
        """Return the IANA media type of this kind."""
        return _MEDIA_TYPES[self]


_MEDIA_TYPES = {
    FileKind.JPEG: "image/jpeg",
    FileKind.PNG: "image/png",
    FileKind.HEIC: "image/heic",
    FileKind.PDF: "application/pdf",
}

# ISO base media file format brands of HEIF images with HEVC coding
# (ISO/IEC 23008-12). AVIF brands are absent on purpose: the
# pillow-heif build used here decodes HEVC only.
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


@dataclass(frozen=True)
class IntakeLimits:
    """Limits an uploaded file must stay within.

    The defaults allow an A3 page scanned at 600 dpi (about 35 million
    pixels), a 48-megapixel phone photo and a 50-page PDF.
    """

    max_file_bytes: int = 30 * MEBIBYTE
    max_pixels: int = 50_000_000
    max_pages: int = 50
    max_page_inches: float = 50.0
    pdf_dpi: int = 200
    max_pdf_stream_bytes: int = 64 * MEBIBYTE


@dataclass(frozen=True)
class CleanDocument:
    """An upload after intake: re-encoded content without metadata."""

    kind: FileKind
    content: bytes
    media_type: str
    page_count: int
    width: int
    height: int


def detect_kind(content: bytes) -> FileKind:
    """Return the file type from the content's magic bytes, whatever the file name says.

    Raises ``UnsupportedFileTypeError`` for anything but JPEG, PNG, HEIC and PDF.
    """
    if content.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.PNG
    if content[4:8] == b"ftyp" and content[8:12] in _HEIC_BRANDS:
        return FileKind.HEIC
    if content.startswith(b"%PDF-"):
        return FileKind.PDF
    raise UnsupportedFileTypeError(
        "文件类型不受支持：请上传 JPEG、PNG、HEIC 图片或 PDF 文件。"
        "文件扩展名与实际内容不符的文件也会被拒绝。"
    )


def check_file_size(byte_count: int, limits: IntakeLimits) -> None:
    """Raise ``FileTooLargeError`` if a file of ``byte_count`` bytes exceeds the size limit."""
    if byte_count > limits.max_file_bytes:
        raise FileTooLargeError(
            f"文件过大：上限为 {limits.max_file_bytes // MEBIBYTE} MB。请压缩或拆分后重新上传。"
        )


def sanitize(content: bytes, *, limits: IntakeLimits | None = None) -> CleanDocument:
    """Check an upload against the limits and re-encode it without metadata.

    Raises an ``IntakeError`` subclass with a Chinese message for the
    uploader when the file is rejected.
    """
    limits = limits or IntakeLimits()
    check_file_size(len(content), limits)
    kind = detect_kind(content)

    if kind is FileKind.PDF:
        from shoumi.documents.imaging.pdf import render_pages, write_pdf

        pages = render_pages(content, dpi=limits.pdf_dpi, limits=limits)
        clean = write_pdf(pages, dpi=limits.pdf_dpi, quality=PDF_PAGE_QUALITY)
        width, height = pages[0].size
        logger.info("document_sanitized", kind=kind.value, pages=len(pages), bytes=len(clean))
        return CleanDocument(kind, clean, kind.media_type, len(pages), width, height)

    image = open_image(content, limits=limits, kind=kind)
    if kind is FileKind.PNG:
        clean, media_type = encode_image(image, "PNG"), FileKind.PNG.media_type
    else:
        clean, media_type = encode_image(image, "JPEG"), FileKind.JPEG.media_type
    logger.info("document_sanitized", kind=kind.value, pages=1, bytes=len(clean))
    return CleanDocument(kind, clean, media_type, 1, image.width, image.height)


def open_image(
    content: bytes, *, limits: IntakeLimits | None = None, kind: FileKind | None = None
) -> Image.Image:
    """Decode a JPEG, PNG or HEIC image safely and return it upright, without metadata.

    The pixel limit is checked against the header before any pixel data is
    decoded. The result is in mode L, LA, RGB or RGBA, in sRGB when the file
    carried an ICC profile, and its ``info`` is empty.
    """
    limits = limits or IntakeLimits()
    check_file_size(len(content), limits)
    kind = kind or detect_kind(content)
    if kind is FileKind.PDF:
        raise UnsupportedFileTypeError("此处需要图片文件（JPEG、PNG 或 HEIC），收到的是 PDF。")
    if kind is FileKind.HEIC:
        _register_heif_opener()

    formats = {FileKind.JPEG: ["JPEG", "MPO"], FileKind.PNG: ["PNG"], FileKind.HEIC: ["HEIF"]}
    with warnings.catch_warnings():
        # Pillow warns above Image.MAX_IMAGE_PIXELS and raises above twice
        # that; both count as bombs here, whatever the limits say.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            opened = Image.open(io.BytesIO(content), formats=formats[kind])
            _check_pixels(opened.size, len(content), limits)
            opened.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _bomb_error() from error
        except ValueError as error:
            # PngImagePlugin raises ValueError when a compressed text or
            # ICC chunk would expand past MAX_TEXT_CHUNK.
            if "decompressed" in str(error).lower():
                raise _bomb_error() from error
            raise _corrupt_error() from error
        except (UnidentifiedImageError, OSError, SyntaxError, EOFError) as error:
            raise _corrupt_error() from error

    upright = ImageOps.exif_transpose(opened)
    return _normalise_mode(_to_srgb(upright))


def encode_image(image: Image.Image, image_format: str, *, quality: int = JPEG_QUALITY) -> bytes:
    """Encode ``image`` as JPEG (RGB or L, alpha flattened onto white) or PNG, without metadata."""
    from shoumi.documents.imaging.visible import flatten_onto_white

    buffer = io.BytesIO()
    if image_format == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = flatten_onto_white(image)
        image.save(buffer, "JPEG", quality=quality, optimize=True)
    elif image_format == "PNG":
        image.save(buffer, "PNG", optimize=False)
    else:
        raise ValueError(f"image_format must be 'JPEG' or 'PNG', got {image_format!r}.")
    return buffer.getvalue()


def _check_pixels(size: tuple[int, int], file_bytes: int, limits: IntakeLimits) -> None:
    width, height = size
    pixels = width * height
    if pixels <= limits.max_pixels:
        return
    if pixels > BOMB_PIXELS_PER_BYTE * max(file_bytes, 1):
        raise _bomb_error()
    raise ImageTooLargeError(
        f"图片像素过多：上限为 {limits.max_pixels // 1_000_000} 百万像素。"
        "请降低扫描分辨率后重新上传。"
    )


def _bomb_error() -> DecompressionBombError:
    return DecompressionBombError(
        "文件解压后的尺寸异常巨大，疑似“解压炸弹”，已拒绝。请上传正常扫描或拍摄的文件。"
    )


def _corrupt_error() -> CorruptFileError:
    return CorruptFileError("文件已损坏或无法解码。请重新扫描或导出后再上传。")


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert pixels from the embedded ICC profile to sRGB, so dropping it keeps the colours."""
    icc_profile = image.info.get("icc_profile")
    if not icc_profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        target = ImageCms.createProfile("sRGB")
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, target, outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError) as error:
        # A broken profile is dropped; the pixels are kept as they are.
        logger.warning("icc_profile_ignored", error=type(error).__name__)
        return image
    return converted if converted is not None else image


def _normalise_mode(image: Image.Image) -> Image.Image:
    """Return a copy in L, LA, RGB or RGBA with no metadata in ``info``."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale PNG scans: keep the top 8 bits.
        levels = np.asarray(image, dtype=np.uint32) >> 8 if image.mode != "I" else None
        if levels is None:
            levels = np.clip(np.asarray(image, dtype=np.int64), 0, 65535) >> 8
        clean = Image.fromarray(levels.astype(np.uint8), "L")
    elif image.mode == "P":
        has_alpha = "transparency" in image.info
        clean = image.convert("RGBA" if has_alpha else "RGB")
    elif image.mode in ("L", "LA", "RGB", "RGBA"):
        clean = image.copy()
    elif image.mode == "1":
        clean = image.convert("L")
    else:
        clean = image.convert("RGB")
    clean.info.clear()
    return clean


@lru_cache(maxsize=1)
def _register_heif_opener() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()
