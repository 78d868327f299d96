"""Materials pages: forms post to the services, other departments get 404, roles get 403."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django_otp.plugins.otp_totp.models import TOTPDevice

from shoumi.accounts.models import User
from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.materials.models import (
    DestructionRecord,
    Intake,
    ItemStatus,
    Loan,
    LoanStatus,
    Sensor,
)
from shoumi.materials.services.common import today
from tests.accounts.conftest import log_in
from tests.accounts.factories import DEFAULT_PASSWORD, EnrolledStaff, UserFactory
from tests.materials.factories import Office, item_line, make_intake, signature_png

pytestmark = pytest.mark.django_db


def _browser(user: User) -> HttpClient:
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    browser = HttpClient()
    log_in(browser, EnrolledStaff(user=user, password=DEFAULT_PASSWORD, device=device))
    return browser


def _intake_post(office: Office, **overrides: str) -> dict[str, str]:
    data = {
        "client": str(office.client.pk),
        "handed_over_by": "李四",
        "signature_method": "drawn",
        "signature_drawn": "data:image/png;base64," + base64.b64encode(signature_png()).decode(),
        "note": "",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "50",
        "items-0-name": "营业执照副本复印件",
        "items-0-quantity": "2",
        "items-0-kind": "copy",
        "items-0-sensitivity": "2",
        "items-0-retention_period": "none",
        "items-0-fiscal_year": "",
        "items-0-location": str(office.cabinet.pk),
        "items-1-name": "",
        "items-1-quantity": "1",
        "items-1-kind": "copy",
        "items-1-sensitivity": "1",
        "items-1-retention_period": "none",
        "items-1-fiscal_year": "",
        "items-1-location": "",
    }
    data.update(overrides)
    return data


def test_intake_form_records_and_redirects(office: Office) -> None:
    browser = _browser(office.clerk)

    response = browser.post("/materials/intakes/new/", _intake_post(office))

    intake = Intake.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/materials/intakes/{intake.pk}/"
    assert intake.items.count() == 1
    page = browser.get(response["Location"]).content.decode()
    assert "营业执照副本复印件" in page
    assert "李*" in page
    assert "李四" not in page


def test_intake_form_without_signature_shows_chinese_error(office: Office) -> None:
    browser = _browser(office.clerk)

    response = browser.post("/materials/intakes/new/", _intake_post(office, signature_drawn=""))

    assert response.status_code == 200
    assert "缺少手写签名，请客户在签名框内签字。" in response.content.decode()
    assert not Intake.objects.exists()


def test_intake_form_with_scanned_signature(office: Office) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    browser = _browser(office.clerk)
    data = _intake_post(office, signature_method="scanned", signature_drawn="")
    data["signature_scan"] = SimpleUploadedFile("sig.png", signature_png(), "image/png")

    response = browser.post("/materials/intakes/new/", data)

    assert response.status_code == 302
    assert Intake.objects.get().signature_method == "scanned"


def test_receipt_download_not_cached(office: Office) -> None:
    intake = make_intake(office)
    browser = _browser(office.clerk)

    response = browser.get(f"/materials/intakes/{intake.pk}/receipt.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert response.content.startswith(b"%PDF-")


def test_other_department_gets_404(office: Office) -> None:
    intake = make_intake(office)
    item = intake.items.get()
    outsider = _browser(UserFactory(roles=["clerk"]))

    for path in (
        f"/materials/intakes/{intake.pk}/",
        f"/materials/intakes/{intake.pk}/receipt.pdf",
        f"/materials/intakes/{intake.pk}/signature.png",
        f"/materials/items/{item.pk}/",
    ):
        assert outsider.get(path).status_code == 404, path
    assert not AuditEvent.objects.filter(action=Action.MATERIAL_SIGNATURE_VIEWED).exists()


def test_signature_image_is_served_and_audited(office: Office) -> None:
    intake = make_intake(office)
    browser = _browser(office.reviewer)

    response = browser.get(f"/materials/intakes/{intake.pk}/signature.png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action=Action.MATERIAL_SIGNATURE_VIEWED).count() == 1


def test_separated_admin_sees_no_materials(office: Office) -> None:
    make_intake(office)
    admin = _browser(UserFactory(roles=["system_admin"]))

    assert admin.get("/materials/").status_code == 403
    assert admin.get("/materials/loans/").status_code == 403


def test_loan_steps_through_the_pages(office: Office) -> None:
    item = make_intake(office).items.get()
    clerk, manager, archivist = (
        _browser(office.clerk),
        _browser(office.manager),
        _browser(office.archivist),
    )

    clerk.post(
        f"/materials/items/{item.pk}/loan/",
        {"purpose": "办理变更登记", "due_on": (today() + timedelta(days=3)).isoformat()},
    )
    loan = Loan.objects.get()
    listing = manager.get("/materials/loans/?status=requested").content.decode()
    manager.post(f"/materials/loans/{loan.pk}/approve/")
    archivist.post(f"/materials/loans/{loan.pk}/hand-out/")
    loan.refresh_from_db()
    item.refresh_from_db()

    assert "办理变更登记" in listing
    assert loan.status == LoanStatus.LENT
    assert item.status == ItemStatus.ON_LOAN
    register = archivist.get("/materials/loans/register.pdf")
    assert register["Content-Type"] == "application/pdf"


def test_unknown_loan_decision_is_404(office: Office) -> None:
    item = make_intake(office).items.get()
    Loan.objects.create(
        item=item,
        borrower=office.clerk,
        purpose="查阅",
        due_on=today() + timedelta(days=1),
        requested_at=item.created_at,
    )
    loan = Loan.objects.get()

    response = _browser(office.manager).post(f"/materials/loans/{loan.pk}/delete/")

    assert response.status_code == 404


def test_returning_an_item_never_lent_shows_message(office: Office) -> None:
    item = make_intake(office).items.get()
    browser = _browser(office.archivist)

    response = browser.post(f"/materials/items/{item.pk}/return/", follow=True)

    assert "该材料没有借出，不能办理归还。" in response.content.decode()


def test_destruction_through_the_pages(office: Office) -> None:
    item = make_intake(office).items.get()
    archivist, manager = _browser(office.archivist), _browser(office.manager)

    response = archivist.post(
        "/materials/destruction/new/",
        {"supervisor": office.manager.pk, "method": "shredder", "items": [str(item.pk)]},
    )
    list_path = response["Location"]
    archivist.post(list_path + "confirm/")
    manager.post(list_path + "confirm/")
    record = DestructionRecord.objects.get()
    pdf = manager.get(f"/materials/destruction/records/{record.pk}/record.pdf")

    item.refresh_from_db()
    assert item.status == ItemStatus.DESTROYED
    assert pdf["Content-Type"] == "application/pdf"


def test_destruction_form_without_supervisor_shows_error(office: Office) -> None:
    item = make_intake(office).items.get()

    response = _browser(office.archivist).post(
        "/materials/destruction/new/", {"method": "shredder", "items": [str(item.pk)]}
    )

    assert response.status_code == 200
    assert "销毁必须有一名部门经理监销，请选择监销人。" in response.content.decode()


def test_archive_room_page_for_archivist_only(office: Office) -> None:
    assert _browser(office.archivist).get("/materials/archive-room/").status_code == 200
    assert _browser(office.clerk).get("/materials/archive-room/").status_code == 403


def test_sensor_token_is_shown_once(office: Office) -> None:
    browser = _browser(office.archivist)

    response = browser.post(
        "/materials/archive-room/sensors/new/", {"room": str(office.room.pk), "name": "东墙"}
    )

    sensor = Sensor.objects.get()
    page = response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert "Authorization: Bearer " in page
    assert sensor.token_hash not in page
    assert f"/materials/sensors/{sensor.pk}/readings/" in page


def test_key_holders_must_differ(office: Office) -> None:
    browser = _browser(office.manager)
    base = {"assign_key": "1", "cabinet": str(office.cabinet.pk), "holder": office.archivist.pk}

    browser.post("/materials/locations/", {**base, "slot": "key"})
    response = browser.post("/materials/locations/", {**base, "slot": "combination"})

    assert "档案柜的钥匙和密码必须由两个不同的人分别保管，请另选一人。" in response.content.decode()
    assert office.cabinet.key_holders.count() == 1


def test_item_list_searches_by_name(office: Office) -> None:
    make_intake(office, item_line(name="银行对账单复印件", location=office.cabinet))
    make_intake(office, item_line(name="社保登记表复印件", location=office.cabinet))

    page = _browser(office.clerk).get("/materials/?q=对账单").content.decode()

    assert "银行对账单复印件" in page
    assert "社保登记表复印件" not in page


def _large_scan_jpeg(min_bytes: int) -> bytes:
    """A JPEG of grey noise with a few strokes, at least ``min_bytes`` long."""
    import io

    import numpy
    from PIL import Image, ImageDraw

    generator = numpy.random.default_rng(5)
    side = 1200
    while True:
        noise = generator.integers(150, 256, size=(side, side, 3), dtype=numpy.uint8)
        image = Image.fromarray(noise, "RGB")
        ImageDraw.Draw(image).line([(100, 900), (500, 200), (900, 900)], fill="black", width=12)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=98)
        if buffer.tell() >= min_bytes:
            return buffer.getvalue()
        side += 300


def test_scanned_signature_above_memory_limit_never_touches_disk(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.files import uploadedfile
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shoumi.materials import signatures

    def fail_on_temporary_file(*args: object, **kwargs: object) -> None:
        raise AssertionError("the signature scan was written to a temporary file")

    monkeypatch.setattr(uploadedfile.TemporaryUploadedFile, "__init__", fail_on_temporary_file)
    content = _large_scan_jpeg(3 * 1024 * 1024)
    assert 3 * 1024 * 1024 <= len(content) <= signatures.MAX_UPLOAD_BYTES
    browser = _browser(office.clerk)
    data = _intake_post(office, signature_method="scanned", signature_drawn="")
    data["signature_scan"] = SimpleUploadedFile("sig.jpg", content, "image/jpeg")

    response = browser.post("/materials/intakes/new/", data)

    assert response.status_code == 302
    assert Intake.objects.get().signature_method == "scanned"


def test_scanned_signature_above_limit_is_refused_in_chinese(office: Office) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shoumi.materials import signatures

    browser = _browser(office.clerk)
    data = _intake_post(office, signature_method="scanned", signature_drawn="")
    data["signature_scan"] = SimpleUploadedFile(
        "sig.png", signature_png() + b"\0" * signatures.MAX_UPLOAD_BYTES, "image/png"
    )

    response = browser.post("/materials/intakes/new/", data)

    assert response.status_code == 200
    assert "扫描件超过5 MB" in response.content.decode()
    assert not Intake.objects.exists()


def test_intake_form_still_checks_csrf(office: Office) -> None:
    browser = _browser(office.clerk)
    browser.handler.enforce_csrf_checks = True

    response = browser.post("/materials/intakes/new/", _intake_post(office))

    assert response.status_code == 403
    assert not Intake.objects.exists()


def test_intake_form_errors_read_as_sentences(office: Office) -> None:
    browser = _browser(office.clerk)

    page = browser.post(
        "/materials/intakes/new/", _intake_post(office, signature_drawn="")
    ).content.decode()

    assert "缺少手写签名" in page
    assert "(&#x27;" not in page
    assert "[&#x27;" not in page
