"""Upload of scans: encrypted storage, intake rejections in Chinese, audit, who may upload."""

from __future__ import annotations

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action, Result
from shoumi.audit.models import AuditEvent
from shoumi.documents.imaging import sanitize
from shoumi.documents.models import Document, DocumentType
from shoumi.documents.services.common import open_scan
from shoumi.documents.storage import get_document_storage
from tests.accounts.factories import DepartmentFactory
from tests.clients.factories import make_client
from tests.documents.helpers import contains_bytes, logged_in, scan_jpeg, scan_png

pytestmark = pytest.mark.django_db


@pytest.fixture
def department():
    return DepartmentFactory(name="记账一部")


@pytest.fixture
def own_client(department):
    return make_client(department=department, name="杭州明远财税咨询有限公司")


def _post_upload(browser, client, content: bytes, name: str = "scan.png", **extra):
    return browser.post(
        f"/documents/clients/{client.pk}/upload/",
        {
            "document_type": DocumentType.ID_CARD_FRONT,
            "file": SimpleUploadedFile(name, content, content_type="image/jpeg"),
        },
        **extra,
    )


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _bomb_png() -> bytes:
    """A PNG whose header declares 40,000 × 40,000 pixels over a few bytes of data."""
    header = struct.pack(">IIBBBBB", 40_000, 40_000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64, 9))
        + _png_chunk(b"IEND", b"")
    )


def test_upload_stores_no_plaintext_bytes(own_client, department) -> None:
    browser, _clerk = logged_in(Role.CLERK, department)
    original = scan_png(seed=101)
    clean = sanitize(original).content

    response = _post_upload(browser, own_client, original)

    assert response.status_code == 302, response.content.decode()[:500]
    document = Document.objects.get(client=own_client)
    middle = len(original) // 2
    assert contains_bytes(original) == []
    assert contains_bytes(original[middle : middle + 64]) == []
    assert contains_bytes(clean[len(clean) // 2 : len(clean) // 2 + 64]) == []
    assert contains_bytes(clean[:256]) == []
    sealed = get_document_storage().read(document.storage_name)
    assert clean[:64] not in sealed
    assert open_scan(document) == clean


def test_sealed_file_is_bound_to_its_record(own_client, department) -> None:
    _browser, clerk = logged_in(Role.CLERK, department)
    from tests.documents.helpers import upload

    first = upload(own_client, clerk, scan_png(seed=1))
    second = upload(own_client, clerk, scan_png(seed=2))
    storage = get_document_storage()
    storage.delete(second.storage_name)
    storage.write(second.storage_name, storage.read(first.storage_name))

    from shoumi.documents.errors import DocumentUnavailableError

    with pytest.raises(DocumentUnavailableError) as raised:
        open_scan(second)

    assert raised.value.code == "decrypt_failed"


def test_upload_is_audited_without_file_name(own_client, department) -> None:
    browser, clerk = logged_in(Role.CLERK, department)

    _post_upload(browser, own_client, scan_jpeg(), name="王小明身份证.jpg")

    event = AuditEvent.objects.get(action=Action.DOCUMENT_UPLOADED)
    assert event.result == Result.SUCCESS
    assert event.actor_id == clerk.pk
    assert event.details["client"] == str(own_client.pk)
    assert event.details["kind"] == "jpeg"
    assert "王小明" not in str(event.details)


def test_renamed_file_is_rejected_in_chinese(own_client, department) -> None:
    browser, _clerk = logged_in(Role.CLERK, department)
    fake_jpeg = b"MZ\x90\x00" + b"not an image at all " * 200

    response = _post_upload(browser, own_client, fake_jpeg, name="身份证.jpg")

    page = response.content.decode()
    assert response.status_code == 200
    assert "文件类型不受支持" in page
    assert "文件名与实际内容不符" in page
    assert not Document.objects.exists()
    event = AuditEvent.objects.get(action=Action.DOCUMENT_UPLOADED)
    assert event.result == Result.FAILURE
    assert event.details["reason"] == "unsupported_file_type"


def test_decompression_bomb_is_rejected_in_chinese(own_client, department) -> None:
    browser, _clerk = logged_in(Role.CLERK, department)

    response = _post_upload(browser, own_client, _bomb_png(), name="scan.png")

    page = response.content.decode()
    assert response.status_code == 200
    assert "解压炸弹" in page
    assert not Document.objects.exists()


def test_png_named_jpg_is_stored_as_png(own_client, department) -> None:
    browser, _clerk = logged_in(Role.CLERK, department)

    response = _post_upload(browser, own_client, scan_png(), name="scan.jpg")

    assert response.status_code == 302
    document = Document.objects.get()
    assert document.source_kind == "png"
    assert document.media_type == "image/png"


def test_large_upload_never_goes_to_a_temporary_file(own_client, department, monkeypatch) -> None:
    browser, _clerk = logged_in(Role.CLERK, department)
    # Random pixels barely compress, so this PNG is over Django's 2.5 MB
    # in-memory limit for uploads.
    import numpy as np
    from PIL import Image

    from tests.documents.helpers import encode

    pixels = np.random.default_rng(5).integers(0, 255, size=(1100, 1100, 3), dtype=np.uint8)
    content = encode(Image.fromarray(pixels, "RGB"), "PNG")
    assert len(content) > 2_621_440

    def refuse(*args, **kwargs):
        raise AssertionError("an upload was written to a temporary file")

    monkeypatch.setattr(TemporaryUploadedFile, "__init__", refuse)

    response = _post_upload(browser, own_client, content)

    assert response.status_code == 302
    assert Document.objects.count() == 1


def test_upload_over_the_limit_is_rejected_with_the_limit(own_client, department, settings) -> None:
    settings.DOCUMENT_MAX_UPLOAD_MB = 1
    browser, _clerk = logged_in(Role.CLERK, department)
    content = scan_png() + b"\0" * (1024 * 1024)

    response = _post_upload(browser, own_client, content)

    assert response.status_code == 200
    assert "文件超过 1 MB" in response.content.decode()
    assert not Document.objects.exists()


def test_reviewer_may_not_upload(own_client, department) -> None:
    browser, _reviewer = logged_in(Role.REVIEWER, department)

    response = _post_upload(browser, own_client, scan_png())

    assert response.status_code == 200
    assert not Document.objects.exists()
    assert "您的角色无权执行此操作" in response.content.decode()


def test_upload_to_another_departments_client_is_not_found(department) -> None:
    hidden = make_client(department=DepartmentFactory(name="记账二部"))
    browser, _clerk = logged_in(Role.CLERK, department)

    response = _post_upload(browser, hidden, scan_png())

    assert response.status_code == 404
    assert not Document.objects.exists()


def test_upload_without_csrf_token_is_refused(own_client, department) -> None:
    from django.test import Client as HttpClient

    from tests.accounts.conftest import log_in
    from tests.accounts.factories import enrolled_staff

    browser = HttpClient()
    staff = enrolled_staff(roles=[Role.CLERK], department=department)
    log_in(browser, staff)
    browser.handler.enforce_csrf_checks = True

    response = _post_upload(browser, own_client, scan_png())

    assert response.status_code == 403
    assert not Document.objects.exists()


@pytest.mark.parametrize("suite", ["aes-256-gcm", "sm4-gcm"])
def test_scan_is_sealed_with_the_configured_suite(suite, own_client, department, settings) -> None:
    from shoumi import crypto
    from shoumi.vault.runtime import reset_vault
    from tests.documents.helpers import upload

    settings.CRYPTO_SUITE = suite
    reset_vault()
    _browser, clerk = logged_in(Role.CLERK, department)
    original = scan_png(seed=61)

    document = upload(own_client, clerk, original)

    sealed = get_document_storage().read(document.storage_name)
    assert crypto.Ciphertext.parse(sealed).suite.name == suite
    assert open_scan(document) == sanitize(original).content
