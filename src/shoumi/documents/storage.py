"""Where sealed document scans are kept: local files or S3-compatible object storage.

Only ciphertext passes through this module. The services seal a scan with
the document's data key before ``write`` and open it after ``read``, so
neither the data directory nor a bucket ever contains an image in clear.
Objects are never overwritten: a name is written once, and writing it again
raises ``FileExistsError``.

``settings.DOCUMENT_STORAGE`` picks the backend: ``local`` writes files under
``<data directory>/documents``, and ``s3`` uses django-storages' ``S3Storage``
with the ``DOCUMENT_S3_*`` settings.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile

# Names are generated from record ids; anything else could leave the directory.
_NAME_PATTERN = re.compile(r"^[0-9a-f-]{36}\.sealed$")


class DocumentStorage(Protocol):
    """Storage for sealed scans, addressed by a name such as ``<document id>.sealed``."""

    def write(self, name: str, sealed: bytes) -> None:
        """Store ``sealed`` under ``name``; raise FileExistsError if the name is taken."""

    def read(self, name: str) -> bytes:
        """Return the bytes stored under ``name``; raise FileNotFoundError if there are none."""

    def delete(self, name: str) -> None:
        """Remove ``name``; a missing name is not an error."""


def check_name(name: str) -> str:
    """Return ``name`` if it has the form ``<uuid>.sealed``, else raise ValueError."""
    if not _NAME_PATTERN.match(name):
        raise ValueError(f"Invalid document storage name {name!r}; expected '<uuid>.sealed'.")
    return name


class LocalDocumentStorage:
    """Files under one directory (mode 0700), each file mode 0600."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, name: str, sealed: bytes) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.root / check_name(name)
        if path.exists():
            raise FileExistsError(f"Document storage name {name} is already taken.")
        # Written under a temporary name and renamed, so a reader never sees
        # half a file.
        partial = path.with_suffix(".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(sealed)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    def read(self, name: str) -> bytes:
        return (self.root / check_name(name)).read_bytes()

    def delete(self, name: str) -> None:
        (self.root / check_name(name)).unlink(missing_ok=True)


class DjangoDocumentStorage:
    """Any Django ``Storage``, such as django-storages' ``S3Storage``."""

    def __init__(self, storage: Any) -> None:
        self.storage = storage

    def write(self, name: str, sealed: bytes) -> None:
        check_name(name)
        if self.storage.exists(name):
            raise FileExistsError(f"Document storage name {name} is already taken.")
        saved = self.storage.save(name, ContentFile(sealed))
        if saved != name:
            # The storage picked another name (a race with another writer);
            # the services only know the one they asked for.
            self.storage.delete(saved)
            raise FileExistsError(f"Document storage name {name} is already taken.")

    def read(self, name: str) -> bytes:
        check_name(name)
        try:
            with self.storage.open(name, "rb") as handle:
                content: bytes = handle.read()
        except FileNotFoundError:
            raise
        except OSError as error:
            raise FileNotFoundError(f"Document storage name {name} cannot be read.") from error
        return content

    def delete(self, name: str) -> None:
        self.storage.delete(check_name(name))


def s3_storage() -> Any:
    """Return django-storages' ``S3Storage`` configured from the ``DOCUMENT_S3_*`` settings."""
    try:
        from storages.backends.s3 import S3Storage
    except ImportError as error:
        raise ImproperlyConfigured(
            "SHOUMI_DOCUMENT_STORAGE=s3 needs django-storages and boto3: "
            "install shoumi with the s3 extra (pip install 'shoumi[s3]')."
        ) from error
    return S3Storage(
        bucket_name=settings.DOCUMENT_S3_BUCKET,
        endpoint_url=settings.DOCUMENT_S3_ENDPOINT_URL,
        region_name=settings.DOCUMENT_S3_REGION,
        location=settings.DOCUMENT_S3_PREFIX,
        file_overwrite=False,
        default_acl="private",
        querystring_auth=True,
    )


def get_document_storage() -> DocumentStorage:
    """Return the configured storage; settings are read at each call."""
    if settings.DOCUMENT_STORAGE == "s3":
        return DjangoDocumentStorage(s3_storage())
    return LocalDocumentStorage(Path(settings.DATA_DIR) / "documents")
