"""Document storage: local files and S3-compatible object storage (moto's server on 127.0.0.1)."""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterator

import pytest

from shoumi.accounts.roles import Role
from shoumi.documents.models import Document
from shoumi.documents.services.common import open_scan
from shoumi.documents.storage import (
    DjangoDocumentStorage,
    LocalDocumentStorage,
    check_name,
    get_document_storage,
)
from tests.accounts.factories import DepartmentFactory, enrolled_staff
from tests.clients.factories import make_client
from tests.documents.helpers import scan_png, upload

BUCKET = "shoumi-documents-test"


def _name() -> str:
    return f"{uuid.uuid4()}.sealed"


def test_local_storage_round_trip_with_private_modes(tmp_path) -> None:
    storage = LocalDocumentStorage(tmp_path / "documents")
    name = _name()

    storage.write(name, b"sealed bytes")

    path = tmp_path / "documents" / name
    assert storage.read(name) == b"sealed bytes"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert not list(path.parent.glob("*.partial"))


def test_local_storage_never_overwrites(tmp_path) -> None:
    storage = LocalDocumentStorage(tmp_path)
    name = _name()
    storage.write(name, b"first")

    with pytest.raises(FileExistsError):
        storage.write(name, b"second")

    assert storage.read(name) == b"first"


def test_local_storage_delete_and_missing(tmp_path) -> None:
    storage = LocalDocumentStorage(tmp_path)
    name = _name()
    storage.write(name, b"x")

    storage.delete(name)
    storage.delete(name)

    with pytest.raises(FileNotFoundError):
        storage.read(name)


@pytest.mark.parametrize("name", ["../escape.sealed", "a.sealed", f"{uuid.uuid4()}.png", ""])
def test_storage_names_are_checked(name) -> None:
    with pytest.raises(ValueError):
        check_name(name)


# S3 ---------------------------------------------------------------------------------


@pytest.fixture
def s3_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Start moto's S3 server on 127.0.0.1 and point boto3 at it with dummy credentials."""
    pytest.importorskip("storages.backends.s3")
    server_module = pytest.importorskip("moto.server")
    import boto3

    # Explicit credentials and a disabled metadata lookup keep boto3 off every
    # address but the local server.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def s3_settings(settings, s3_server):
    settings.DOCUMENT_STORAGE = "s3"
    settings.DOCUMENT_S3_BUCKET = BUCKET
    settings.DOCUMENT_S3_ENDPOINT_URL = s3_server
    settings.DOCUMENT_S3_REGION = "us-east-1"
    settings.DOCUMENT_S3_PREFIX = "documents"
    return settings


def test_s3_storage_round_trip(s3_settings) -> None:
    storage = get_document_storage()
    name = _name()

    storage.write(name, b"sealed bytes")

    assert isinstance(storage, DjangoDocumentStorage)
    assert storage.read(name) == b"sealed bytes"
    with pytest.raises(FileExistsError):
        storage.write(name, b"other")
    storage.delete(name)
    with pytest.raises(FileNotFoundError):
        storage.read(name)


@pytest.mark.django_db
def test_upload_to_s3_stores_ciphertext_only(s3_settings, s3_server) -> None:
    import boto3

    department = DepartmentFactory(name="记账一部")
    client = make_client(department=department)
    clerk = enrolled_staff(roles=[Role.CLERK], department=department).user
    original = scan_png(seed=31)

    document = upload(client, clerk, original)

    objects = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    stored = objects.get_object(Bucket=BUCKET, Key=f"documents/{document.storage_name}")
    body = stored["Body"].read()
    assert Document.objects.get(pk=document.pk).storage_name == document.storage_name
    assert original[100:164] not in body
    assert open_scan(document)[:8] == b"\x89PNG\r\n\x1a\n"
