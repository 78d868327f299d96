"""Client signatures: checked, stored only encrypted, shown only to those who see the client."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from shoumi import crypto
from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.materials import services, signatures
from shoumi.materials.errors import MaterialsNotFoundError, SignatureInvalidError
from tests.accounts.factories import UserFactory
from tests.materials.factories import Office, item_line, make_intake, signature_png


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_drawn_signature_is_flattened_to_grey_png() -> None:
    checked = signatures.from_data_url(_data_url(signature_png()))

    with Image.open(io.BytesIO(checked.png)) as image:
        assert image.format == "PNG"
        assert image.mode == "L"
        assert image.getpixel((0, 0)) == 255


def test_empty_canvas_is_rejected() -> None:
    blank = _png(Image.new("RGBA", (600, 200), (0, 0, 0, 0)))

    with pytest.raises(SignatureInvalidError) as raised:
        signatures.from_data_url(_data_url(blank))

    assert raised.value.message == "签名为空，请客户签字。"


@pytest.mark.parametrize(
    "value", ["", "data:image/jpeg;base64,AAAA", "data:image/png;base64,!!!", "hello"]
)
def test_malformed_drawn_signature_is_rejected(value: str) -> None:
    with pytest.raises(SignatureInvalidError):
        signatures.from_data_url(value)


def test_scan_must_be_an_image() -> None:
    with pytest.raises(SignatureInvalidError) as raised:
        signatures.from_scan(b"%PDF-1.7 not an image")

    assert raised.value.message == "无法读取签字图片，请使用 PNG 或 JPEG 文件。"


def test_scan_over_five_megabytes_is_rejected() -> None:
    with pytest.raises(SignatureInvalidError) as raised:
        signatures.from_scan(b"\xff" * (signatures.MAX_UPLOAD_BYTES + 1))

    assert raised.value.field == "signature_scan"


def test_jpeg_scan_loses_its_metadata() -> None:
    image = Image.open(io.BytesIO(signature_png())).convert("RGB")
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "Scanner maker"
    image.save(buffer, format="JPEG", exif=exif)

    checked = signatures.from_scan(buffer.getvalue())

    with Image.open(io.BytesIO(checked.png)) as stored:
        assert stored.format == "PNG"
        assert not stored.getexif()
        assert "exif" not in stored.info


@pytest.mark.django_db
def test_signature_file_holds_no_plaintext(office: Office) -> None:
    intake = make_intake(office, item_line(location=office.cabinet))

    stored = signatures.signature_path(intake.pk).read_bytes()

    assert b"PNG" not in stored
    assert b"IHDR" not in stored
    assert oct(signatures.signature_path(intake.pk).stat().st_mode & 0o777) == "0o600"
    assert crypto.is_sealed(stored)


@pytest.mark.django_db
def test_signature_opens_for_department_staff(office: Office) -> None:
    intake = make_intake(office, item_line(location=office.cabinet))

    png = services.signature_open(actor=office.reviewer, intake=intake)

    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
    event = AuditEvent.objects.get(action=Action.MATERIAL_SIGNATURE_VIEWED)
    assert event.actor_id == office.reviewer.pk
    assert event.object_id == str(intake.pk)


@pytest.mark.django_db
def test_signature_is_hidden_from_other_departments(office: Office) -> None:
    intake = make_intake(office, item_line(location=office.cabinet))
    outsider = UserFactory(roles=["reviewer"])

    with pytest.raises(MaterialsNotFoundError):
        services.signature_open(actor=outsider, intake=intake)

    assert not AuditEvent.objects.filter(action=Action.MATERIAL_SIGNATURE_VIEWED).exists()


@pytest.mark.django_db
def test_signature_file_swapped_between_intakes_fails(office: Office) -> None:
    first = make_intake(office, item_line(location=office.cabinet))
    second = make_intake(office, item_line(location=office.cabinet))
    signatures.signature_path(second.pk).write_bytes(
        signatures.signature_path(first.pk).read_bytes()
    )

    with pytest.raises(crypto.DecryptionError):
        signatures.load(intake=second)


@pytest.mark.django_db
def test_failed_intake_leaves_no_signature_file(office: Office) -> None:
    before = set(signatures.signature_directory().glob("*"))

    with pytest.raises(Exception):  # noqa: B017 - any failure after the file is written
        services.intake_create(
            actor=office.clerk,
            client=office.client,
            items=[item_line(location=office.cabinet)],
            signature=signatures.from_data_url(_data_url(signature_png())),
            signature_method="not-a-method",
        )

    assert set(signatures.signature_directory().glob("*")) == before


@pytest.mark.django_db
def test_handed_over_name_is_sealed(office: Office) -> None:
    intake = make_intake(office, item_line(location=office.cabinet), handed_over_by="王小明")

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM materials_intake")
        row_text = " ".join(str(value) for value in cursor.fetchone())
    assert "王小明" not in row_text
    assert str(intake.handed_over_by) == "王**"


@pytest.mark.django_db
def test_intake_logs_no_name_or_signature(
    office: Office, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level("DEBUG")

    intake = make_intake(office, item_line(location=office.cabinet), handed_over_by="欧阳明月")
    services.signature_open(actor=office.reviewer, intake=intake)
    services.intake_receipt_pdf(actor=office.reviewer, intake=intake)

    logged = caplog.text + capsys.readouterr().err
    assert "material_intake_recorded" in logged
    assert "欧阳明月" not in logged
    assert "base64" not in logged
    stored = " ".join(str(event.details) for event in AuditEvent.objects.all())
    assert "欧阳明月" not in stored
