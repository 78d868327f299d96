"""Tracing a leaked copy: the security administrator's page and ``shoumi trace FILE``."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action, Result
from shoumi.audit.models import AuditEvent
from shoumi.documents import services
from shoumi.documents.models import CopyChannel
from tests.accounts.factories import DepartmentFactory, enrolled_staff
from tests.clients.factories import make_client
from tests.documents.helpers import encode, logged_in, scan_jpeg, scan_png, upload
from tests.staff.factories import pass_gates

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued():
    department = DepartmentFactory(name="记账一部")
    client = make_client(department=department, name="宁波新桥贸易有限公司")
    clerk = enrolled_staff(roles=[Role.CLERK], department=department).user
    reviewer = pass_gates(enrolled_staff(roles=[Role.REVIEWER], department=department).user)
    document = upload(client, clerk, scan_png(seed=41))
    return services.copy_issue(
        actor=reviewer,
        document=document,
        channel=CopyChannel.VIEW,
        purpose="办理银行开户",
        recipient=services.Recipient.for_vendor("示例银行城东支行"),
    )


def _leaked(issued, *, quality: int = 70, scale: float = 0.5) -> bytes:
    """The issued copy as a leak usually looks: scaled down and recompressed."""
    image = Image.open(io.BytesIO(issued.content))
    image = image.resize((round(image.width * scale), round(image.height * scale)))
    return encode(image, "JPEG", quality=quality)


def test_trace_page_shows_the_recipient(issued) -> None:
    browser, security_admin = logged_in(Role.SECURITY_ADMIN, None)

    response = browser.post(
        "/documents/trace/",
        {"file": SimpleUploadedFile("leak.jpg", _leaked(issued), content_type="image/jpeg")},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert issued.copy.trace_code in page
    assert "示例银行城东支行" in page
    assert "办理银行开户" in page
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action=Action.DOCUMENT_TRACED)
    assert event.result == Result.SUCCESS
    assert event.actor_id == security_admin.pk
    assert event.object_id == str(issued.copy.pk)
    assert event.details["source"] == "upload"


def test_trace_page_accepts_a_typed_code(issued) -> None:
    browser, _security_admin = logged_in(Role.SECURITY_ADMIN, None)
    typed = issued.copy.trace_code.lower().replace("-", " ")

    response = browser.post("/documents/trace/", {"trace_code": typed})

    assert "示例银行城东支行" in response.content.decode()


def test_unmarked_file_yields_a_chinese_message(db) -> None:
    browser, _security_admin = logged_in(Role.SECURITY_ADMIN, None)

    response = browser.post(
        "/documents/trace/",
        {"file": SimpleUploadedFile("leak.jpg", scan_jpeg(seed=3), content_type="image/jpeg")},
    )

    assert "未能从该文件读出追踪码" in response.content.decode()
    event = AuditEvent.objects.get(action=Action.DOCUMENT_TRACED)
    assert event.result == Result.FAILURE
    assert event.details["reason"] == "trace_code_not_found"


def test_unregistered_code_is_reported(db) -> None:
    browser, _security_admin = logged_in(Role.SECURITY_ADMIN, None)

    response = browser.post("/documents/trace/", {"trace_code": "7K3M-Q9TX"})

    assert 'id="trace-unregistered"' in response.content.decode()
    assert AuditEvent.objects.get(action=Action.DOCUMENT_TRACED).result == Result.FAILURE


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ADMINISTRATOR, Role.AUDIT_ADMIN])
def test_trace_page_is_for_the_security_administrator_only(role, db) -> None:
    browser, _user = logged_in(role, DepartmentFactory(name="记账一部"))

    assert browser.get("/documents/trace/").status_code == 403
    assert browser.post("/documents/trace/", {"trace_code": "7K3M-Q9TX"}).status_code == 403
    assert not AuditEvent.objects.filter(action=Action.DOCUMENT_TRACED).exists()


def test_trace_command_prints_the_registered_copy(issued, tmp_path, capsys) -> None:
    leak = tmp_path / "leak.jpg"
    leak.write_bytes(_leaked(issued))

    call_command("trace", str(leak), "--json")

    report = json.loads(capsys.readouterr().out)
    assert report["trace_code"] == issued.copy.trace_code
    assert report["registered"] is True
    assert report["recipient"] == "示例银行城东支行"
    assert report["purpose"] == "办理银行开户"
    assert report["client"] == "宁波新桥贸易有限公司"
    event = AuditEvent.objects.get(action=Action.DOCUMENT_TRACED)
    assert event.actor_id is None
    assert event.details["source"] == "command_line"


def test_trace_command_text_output(issued, tmp_path, capsys) -> None:
    leak = tmp_path / "leak.pdf"
    Image.open(io.BytesIO(issued.content)).save(leak, "PDF", resolution=150.0)

    call_command("trace", str(leak))

    output = capsys.readouterr().out
    assert f"追踪码：{issued.copy.trace_code}" in output
    assert "接收人：示例银行城东支行" in output


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (lambda: scan_jpeg(seed=4), 1),
        (lambda: b"plain text renamed to jpg", 2),
    ],
)
def test_trace_command_exit_status(content, status, tmp_path, db) -> None:
    leak = tmp_path / "leak.jpg"
    leak.write_bytes(content())

    with pytest.raises(CommandError) as raised:
        call_command("trace", str(leak))

    assert raised.value.returncode == status


def test_trace_command_missing_file_exits_two(tmp_path, db) -> None:
    with pytest.raises(CommandError) as raised:
        call_command("trace", str(tmp_path / "missing.jpg"))

    assert raised.value.returncode == 2


def test_shoumi_cli_dispatches_trace(issued, tmp_path, capsys, monkeypatch) -> None:
    import django.utils.log

    from shoumi.config.cli import main

    # main() runs django.setup() again, which would bind the log handlers to
    # this test's captured stderr and break logging for every later test.
    monkeypatch.setattr(django.utils.log, "configure_logging", lambda *args: None)
    leak = tmp_path / "leak.jpg"
    leak.write_bytes(issued.content)

    status = main(["shoumi", "trace", str(leak), "--json"])

    assert status == 0
    assert json.loads(capsys.readouterr().out)["trace_code"] == issued.copy.trace_code


def test_trace_command_unregistered_code_exits_three(tmp_path, db, capsys) -> None:
    from datetime import date

    from shoumi.documents.imaging import TraceCode, VisibleMark, mark_document

    mark = VisibleMark("办理税务登记", "他处系统", date(2026, 3, 1), TraceCode.generate())
    leak = tmp_path / "leak.jpg"
    leak.write_bytes(mark_document(scan_png(seed=5), mark).content)

    with pytest.raises(CommandError) as raised:
        call_command("trace", str(leak))

    assert raised.value.returncode == 3
    assert f"追踪码：{mark.trace_code}" in capsys.readouterr().out
