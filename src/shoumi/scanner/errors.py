"""Exceptions raised by the scanner."""

from __future__ import annotations

from shoumi.errors import ShoumiError


class ScannerError(ShoumiError):
    """Base class of scanner errors."""

    code = "scanner_error"


class ArchiveLimitError(ScannerError):
    """An archive exceeded a configured limit (depth, size, ratio or entry count)."""

    code = "archive_limit"


class UnreadableFileError(ScannerError):
    """A file could not be read: unknown encoding, corrupt, or encrypted."""

    code = "unreadable_file"

    def __init__(self, message: str = "", *, code: str | None = None, status: str = "unreadable"):
        super().__init__(message, code=code)
        self.status = status
