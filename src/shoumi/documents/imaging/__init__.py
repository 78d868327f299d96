"""Imaging engine of the documents app: safe intake, watermarked copies, trace codes.

Pure Python with no Django imports, so it can be tested and benchmarked on
its own. The documents app stores what ``sanitize`` returns, issues copies
with ``mark_document`` and ``make_thumbnail``, and registers each copy's
trace code. ``read_trace_code`` finds that code again in a leaked copy.
"""

from shoumi.documents.imaging.copies import (
    MarkedCopy,
    make_thumbnail,
    mark_document,
    mark_page,
    read_trace_code,
)
from shoumi.documents.imaging.fonts import CJKFont, find_cjk_font
from shoumi.documents.imaging.intake import (
    CleanDocument,
    FileKind,
    IntakeLimits,
    detect_kind,
    open_image,
    sanitize,
)
from shoumi.documents.imaging.invisible import TraceReading
from shoumi.documents.imaging.tracecode import TraceCode
from shoumi.documents.imaging.visible import VisibleMark

__all__ = [
    "CJKFont",
    "CleanDocument",
    "FileKind",
    "IntakeLimits",
    "MarkedCopy",
    "TraceCode",
    "TraceReading",
    "VisibleMark",
    "detect_kind",
    "find_cjk_font",
    "make_thumbnail",
    "mark_document",
    "mark_page",
    "open_image",
    "read_trace_code",
    "sanitize",
]
