"""An upload handler that keeps files in memory and never writes them to a temporary file.

Django's default handlers write an upload larger than
``FILE_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB) to a temporary file, which would put
the plaintext of a scan on disk before it is encrypted. This handler keeps
every file in memory up to ``max_bytes`` and drops a larger one while the
rest of the request is read, so memory stays bounded and the view can
report the size limit.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest


class MemoryOnlyUploadHandler(FileUploadHandler):
    """Keep each uploaded file in memory up to ``max_bytes``; skip larger ones.

    ``oversized_fields`` lists the form fields whose file was skipped.
    """

    def __init__(self, request: HttpRequest, *, max_bytes: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.oversized_fields: list[str] = []
        self._buffer = io.BytesIO()

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > self.max_bytes:
            self.oversized_fields.append(self.field_name)
            self._buffer = io.BytesIO()
            raise SkipFile()
        self._buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self._buffer.seek(0)
        return InMemoryUploadedFile(
            file=self._buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def use_memory_only_uploads(request: HttpRequest, *, max_bytes: int) -> MemoryOnlyUploadHandler:
    """Replace the request's upload handlers; call before anything reads ``request.POST``."""
    handler = MemoryOnlyUploadHandler(request, max_bytes=max_bytes)
    request.upload_handlers = [handler]
    return handler
