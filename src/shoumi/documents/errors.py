"""Errors of the documents app.

Messages are English msgids with Simplified Chinese translations. They
say what was refused and what the user can do next, and name records by
internal id only, never by file name or content.
"""

from __future__ import annotations

from shoumi.errors import ShoumiError


class DocumentsError(ShoumiError):
    """A refused step on documents; ``field`` names the form field it belongs to, if any."""

    code = "documents_error"

    def __init__(
        self, message: str = "", *, field: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.field = field


class UploadRejectedError(DocumentsError):
    """Intake rejected the file: wrong type, too large, a decompression bomb, damaged."""

    code = "upload_rejected"


class DocumentInputInvalidError(DocumentsError):
    code = "document_input_invalid"


class DocumentAccessDeniedError(DocumentsError):
    """The policy or a gate refused; ``needs_approval`` says whether an approval would help."""

    code = "document_access_denied"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        needs_approval: bool = False,
    ) -> None:
        super().__init__(message, code=code)
        self.needs_approval = needs_approval


class DocumentUnavailableError(DocumentsError):
    """The stored file is missing or cannot be decrypted; the operator must look."""

    code = "document_unavailable"


class WatermarkUnavailableError(DocumentsError):
    """No CJK font can draw the watermark, so no copy is issued."""

    code = "watermark_unavailable"


class TraceFailedError(DocumentsError):
    """No trace code could be read from the file, or the code is not registered."""

    code = "trace_failed"
