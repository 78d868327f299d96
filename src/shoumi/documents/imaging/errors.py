"""Errors of the imaging engine.

Intake and trace errors reach users, so their messages are Simplified
Chinese and state the limit that was exceeded and what to do next. They
never contain file names or document content. Configuration errors are for
the operator and are English.
"""

from __future__ import annotations

from shoumi.errors import ShoumiError


class ImagingError(ShoumiError):
    """Base class of the imaging engine's errors."""

    code = "imaging_error"


class IntakeError(ImagingError):
    """An uploaded file was rejected; the message is for the uploader."""

    code = "intake_rejected"


class UnsupportedFileTypeError(IntakeError):
    code = "unsupported_file_type"


class FileTooLargeError(IntakeError):
    code = "file_too_large"


class ImageTooLargeError(IntakeError):
    code = "image_too_large"


class DecompressionBombError(IntakeError):
    code = "decompression_bomb"


class CorruptFileError(IntakeError):
    code = "corrupt_file"


class TooManyPagesError(IntakeError):
    code = "too_many_pages"


class PageTooLargeError(IntakeError):
    code = "page_too_large"


class FontConfigurationError(ImagingError):
    """No usable CJK font: the watermark cannot be drawn, so no copy is issued."""

    code = "cjk_font_missing"


class InvalidTraceCodeError(ImagingError):
    code = "invalid_trace_code"


class TraceCodeNotFoundError(ImagingError):
    """No valid trace code could be read from a file."""

    code = "trace_code_not_found"
