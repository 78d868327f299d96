"""The security administrator uploads a leaver's scan report and opens it from their page."""

from __future__ import annotations

import os

import pytest

from shoumi.accounts.roles import Role
from tests.accounts.factories import UserFactory, enrolled_staff
from tests.staff.factories import pass_gates
from tests.staff.scan_report_data import encode, scanned_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, staff) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", staff.user.employee_number)
    page.fill("#id_password", staff.password)
    page.click("button[type=submit]")
    page.wait_for_selector("#id_otp_token")
    page.fill("#id_otp_token", staff.code())
    page.click("button[type=submit]")
    page.wait_for_selector("#pending-items")


def _screenshot(page, name: str) -> None:
    """Save a screenshot when SHOUMI_SCREENSHOT_DIR names a folder, for looking at the page."""
    folder = os.environ.get("SHOUMI_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, name), full_page=True)


def test_admin_uploads_and_reads_a_scan_report(browser, live_server, monkeypatch, tmp_path):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    admin = enrolled_staff(roles=[Role.SECURITY_ADMIN])
    pass_gates(admin.user)
    leaver = UserFactory(roles=[Role.CLERK], full_name="王离职")
    scan_folder = tmp_path / "scan"
    scan_folder.mkdir()
    report_path = tmp_path / "report.json"
    report_path.write_bytes(encode(scanned_report(scan_folder)))

    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    _log_in(page, admin)
    page.goto(f"/staff/scan-reports/upload/?staff_member={leaver.pk}")
    page.set_input_files("#id_report", str(report_path))
    _screenshot(page, "scan-report-upload.png")
    page.click("form[method=post] button.primary")
    page.wait_for_selector("#scan-reports")

    _screenshot(page, "staff-member.png")
    assert "扫描报告已保存：共 2 处发现" in page.inner_text("body")
    row = page.inner_text("#scan-reports tbody")
    assert "居民身份证号 1" in row
    assert "银行卡号 1" in row

    page.click("#scan-reports tbody a")
    page.wait_for_selector("#scan-findings")
    _screenshot(page, "scan-report.png")
    findings = page.inner_text("#scan-findings")
    assert "320***********0418" in findings
    assert "银行卡号" in findings
    context.close()
