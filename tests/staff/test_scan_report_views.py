"""Scan report upload, the staff member's page and the report page, with their audit events."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient

from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action, Result
from shoumi.audit.models import AuditEvent
from shoumi.staff.models import ScanReport
from tests.accounts.conftest import log_in
from tests.accounts.factories import UserFactory, enrolled_staff
from tests.scanner.helpers import bank_card, resident_id
from tests.staff.factories import pass_gates
from tests.staff.scan_report_data import encode, scanned_report

pytestmark = pytest.mark.django_db


def browser_for(role: str) -> tuple[HttpClient, object]:
    browser = HttpClient()
    staff = enrolled_staff(roles=[role])
    pass_gates(staff.user)
    log_in(browser, staff)
    return browser, staff.user


@pytest.fixture
def leaver():
    return UserFactory(roles=[Role.CLERK], full_name="王离职")


@pytest.fixture
def report_bytes(tmp_path) -> bytes:
    return encode(scanned_report(tmp_path))


def upload(browser: HttpClient, member, data: bytes):
    return browser.post(
        "/staff/scan-reports/upload/",
        {
            "staff_member": member.pk,
            "report": SimpleUploadedFile("report.json", data, content_type="application/json"),
        },
    )


@pytest.mark.parametrize("role", [Role.SECURITY_ADMIN, Role.MANAGER])
def test_upload_stores_report_and_audits(role, leaver, report_bytes):
    browser, actor = browser_for(role)

    response = upload(browser, leaver, report_bytes)

    assert response.status_code == 302
    assert response["Location"] == f"/staff/members/{leaver.pk}/"
    report = ScanReport.objects.get()
    assert report.staff_member == leaver
    assert report.uploaded_by == actor
    assert report.finding_count == 2
    assert report.findings_by_kind["resident_id"] == 1
    assert (report.files_scanned, report.files_not_scanned) == (1, 1)
    event = AuditEvent.objects.get(action=Action.SCAN_REPORT_UPLOADED)
    assert event.result == Result.SUCCESS
    assert event.actor_id == actor.pk
    assert event.object_id == str(report.pk)
    assert event.details == {"user": leaver.pk, "findings": 2}


def test_rejected_upload_shows_reason_and_audits_failure(leaver, report_bytes):
    browser, _ = browser_for(Role.SECURITY_ADMIN)
    value = resident_id(birth="19851107")
    data = report_bytes.decode("utf-8").replace("客户名单", f"客户{value}").encode("utf-8")

    response = upload(browser, leaver, data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "明文" in page
    assert value not in page
    assert not ScanReport.objects.exists()
    event = AuditEvent.objects.get(action=Action.SCAN_REPORT_UPLOADED)
    assert event.result == Result.FAILURE
    assert event.object_id == str(leaver.pk)
    assert event.details == {"reason": "plaintext_found", "size": len(data)}


def test_large_upload_skips_temporary_file(leaver, monkeypatch):
    from django.core.files import uploadedfile

    def fail_on_temporary_file(*args, **kwargs):
        raise AssertionError("the upload was written to a temporary file")

    monkeypatch.setattr(uploadedfile.TemporaryUploadedFile, "__init__", fail_on_temporary_file)
    browser, _ = browser_for(Role.SECURITY_ADMIN)
    value = resident_id(birth="19790321")
    # A ledger export uploaded by mistake: 3 MiB of rows with an ID number in each.
    data = ("\n".join(f"{index},客户{index},{value}" for index in range(100_000))).encode()
    data += b" " * (3 * 1024 * 1024 - len(data))

    response = upload(browser, leaver, data)

    assert response.status_code == 200
    assert value not in response.content.decode()
    assert not ScanReport.objects.exists()


def test_upload_above_limit_names_the_limit(leaver, report_bytes):
    from shoumi.staff.scan_reports import MAX_REPORT_BYTES

    browser, _ = browser_for(Role.SECURITY_ADMIN)

    response = upload(browser, leaver, report_bytes + b" " * MAX_REPORT_BYTES)

    assert response.status_code == 200
    assert "报告超过 20 MiB" in response.content.decode()
    assert not ScanReport.objects.exists()


def test_upload_still_checks_csrf(leaver, report_bytes):
    browser, _ = browser_for(Role.SECURITY_ADMIN)
    browser.handler.enforce_csrf_checks = True

    response = upload(browser, leaver, report_bytes)

    assert response.status_code == 403
    assert not ScanReport.objects.exists()


def test_same_report_twice_is_rejected(leaver, report_bytes):
    browser, _ = browser_for(Role.SECURITY_ADMIN)
    upload(browser, leaver, report_bytes)

    response = upload(browser, leaver, report_bytes)

    assert response.status_code == 200
    assert "已经上传" in response.content.decode()
    assert ScanReport.objects.count() == 1
    failures = AuditEvent.objects.filter(action=Action.SCAN_REPORT_UPLOADED, result=Result.FAILURE)
    assert [event.details["reason"] for event in failures] == ["duplicate"]


def test_not_a_report_is_rejected_with_a_message(leaver):
    browser, _ = browser_for(Role.SECURITY_ADMIN)

    response = upload(browser, leaver, b"name,id\n")

    assert response.status_code == 200
    assert "shoumi scan --format json" in response.content.decode()
    assert not ScanReport.objects.exists()


def with_surrogate_in_path(data: bytes) -> bytes:
    report = json.loads(data)
    for entry in [report["files"][1], *report["findings"]]:
        entry["path"] = entry["path"].replace("客户名单", "客户\ud800")
    return json.dumps(report, ensure_ascii=True).encode("ascii")


def with_started_at(value: str):
    def rewrite(data: bytes) -> bytes:
        report = json.loads(data)
        report["started_at"] = value
        report["finished_at"] = value
        return encode(report)

    return rewrite


@pytest.mark.parametrize(
    ("rewrite", "reason", "shown"),
    [
        (lambda data: b"[" * 400_000 + b"]" * 400_000, "too_deep", "shoumi scan --format json"),
        (with_surrogate_in_path, "invalid_text", "shoumi scan --format json"),
        (with_started_at("9999-12-31T23:59:59.999999-23:59"), "invalid_field", "started_at"),
        (with_started_at("9999-12-31T23:59:59.999999+00:00"), "invalid_field", "started_at"),
    ],
    ids=["nested-arrays", "lone-surrogate", "time-past-utc-range", "time-past-local-range"],
)
def test_malformed_upload_is_rejected_and_audited(leaver, report_bytes, rewrite, reason, shown):
    browser, _ = browser_for(Role.SECURITY_ADMIN)
    data = rewrite(report_bytes)

    response = upload(browser, leaver, data)

    assert response.status_code == 200
    assert shown in response.content.decode()
    assert not ScanReport.objects.exists()
    event = AuditEvent.objects.get(action=Action.SCAN_REPORT_UPLOADED)
    assert event.result == Result.FAILURE
    assert event.object_id == str(leaver.pk)
    assert event.details == {"reason": reason, "size": len(data)}


def test_upload_with_byte_order_mark_is_stored(leaver, report_bytes):
    browser, _ = browser_for(Role.SECURITY_ADMIN)

    response = upload(browser, leaver, "\ufeff".encode() + report_bytes)

    assert response.status_code == 302
    assert ScanReport.objects.get().finding_count == 2


def test_member_page_lists_reports_with_counts_and_audits(leaver, report_bytes):
    browser, actor = browser_for(Role.SECURITY_ADMIN)
    upload(browser, leaver, report_bytes)
    report = ScanReport.objects.get()

    response = browser.get(f"/staff/members/{leaver.pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "王离职" in page
    assert f"/staff/scan-reports/{report.pk}/" in page
    assert "居民身份证号 1" in page
    assert "银行卡号 1" in page
    event = AuditEvent.objects.get(action=Action.SCAN_REPORT_VIEWED)
    assert event.actor_id == actor.pk
    assert event.object_type == "accounts.user"
    assert event.object_id == str(leaver.pk)
    assert event.details == {"reports": [report.pk]}


def test_member_page_without_reports(leaver):
    browser, _ = browser_for(Role.MANAGER)

    response = browser.get(f"/staff/members/{leaver.pk}/")

    assert response.status_code == 200
    assert "尚未上传" in response.content.decode()
    assert AuditEvent.objects.get(action=Action.SCAN_REPORT_VIEWED).details == {"reports": []}


def test_report_page_shows_masks_only_and_audits(leaver, report_bytes):
    browser, actor = browser_for(Role.SECURITY_ADMIN)
    upload(browser, leaver, report_bytes)
    report = ScanReport.objects.get()

    response = browser.get(f"/staff/scan-reports/{report.pk}/")
    event = AuditEvent.objects.get(action=Action.SCAN_REPORT_VIEWED)

    page = response.content.decode()
    assert response.status_code == 200
    assert "320***********0418" in page
    assert resident_id() not in page
    assert bank_card() not in page
    assert "文件无法读取" in page
    assert event.actor_id == actor.pk
    assert event.object_type == "staff.scan_report"
    assert event.object_id == str(report.pk)
    assert event.details == {"user": leaver.pk}


def test_unknown_report_and_member_are_not_found():
    browser, _ = browser_for(Role.SECURITY_ADMIN)

    assert browser.get("/staff/scan-reports/999999/").status_code == 404
    assert browser.get("/staff/members/999999/").status_code == 404
    assert not AuditEvent.objects.filter(action=Action.SCAN_REPORT_VIEWED).exists()


def test_upload_form_preselects_member(leaver):
    browser, _ = browser_for(Role.SECURITY_ADMIN)

    response = browser.get(f"/staff/scan-reports/upload/?staff_member={leaver.pk}")

    assert response.status_code == 200
    assert f'<option value="{leaver.pk}" selected>' in response.content.decode()


@pytest.mark.parametrize("role", [Role.CLERK, Role.ADMINISTRATOR, Role.AUDIT_ADMIN])
def test_other_roles_are_refused(role, leaver, report_bytes):
    browser, _ = browser_for(role)
    admin, _ = browser_for(Role.SECURITY_ADMIN)
    upload(admin, leaver, report_bytes)
    report = ScanReport.objects.get()

    assert browser.get("/staff/scan-reports/upload/").status_code == 403
    assert upload(browser, leaver, report_bytes).status_code == 403
    assert browser.get(f"/staff/members/{leaver.pk}/").status_code == 403
    assert browser.get(f"/staff/scan-reports/{report.pk}/").status_code == 403
    assert ScanReport.objects.count() == 1
