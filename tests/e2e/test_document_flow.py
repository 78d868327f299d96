"""A clerk uploads a scan and downloads a marked copy; the security administrator traces it."""

from __future__ import annotations

import pytest

from shoumi.access import grants
from shoumi.accounts.roles import Role
from shoumi.documents.models import Document, IssuedCopy
from tests.accounts.factories import DepartmentFactory, enrolled_staff
from tests.clients.factories import make_client
from tests.documents.helpers import scan_png
from tests.staff.factories import pass_gates

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, staff, *, landing: str = "#pending-items") -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", staff.user.employee_number)
    page.fill("#id_password", staff.password)
    page.click("button[type=submit]")
    page.wait_for_selector("#id_otp_token")
    page.fill("#id_otp_token", staff.code())
    page.click("button[type=submit]")
    page.wait_for_selector(landing)


def test_upload_download_and_trace(browser, live_server, monkeypatch, tmp_path) -> None:
    from playwright.sync_api import expect

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    department = DepartmentFactory(name="记账一部")
    clerk = enrolled_staff(roles=[Role.CLERK], department=department)
    manager = enrolled_staff(roles=[Role.MANAGER], department=department).user
    security_admin = enrolled_staff(roles=[Role.SECURITY_ADMIN])
    pass_gates(clerk.user)
    client = make_client(department=department, name="宁波新桥贸易有限公司")
    # Clerks see scans only through a temporary grant.
    grant = grants.grant_request(
        actor=clerk.user,
        clients=[client],
        fields=["documents.document.scan"],
        actions=["reveal", "export"],
        purpose="办理银行开户",
        duration_minutes=60,
    )
    grants.grant_approve(actor=manager, grant=grant)
    scan = tmp_path / "营业执照.png"
    scan.write_bytes(scan_png(seed=51))

    clerk_context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    clerk_page = clerk_context.new_page()
    _log_in(clerk_page, clerk)
    clerk_page.goto(f"/clients/{client.pk}/")
    clerk_page.click("#documents #upload-document")
    clerk_page.select_option("#id_document_type", "business_licence")
    clerk_page.set_input_files("#id_file", str(scan))
    clerk_page.click("#upload-form button[type=submit]")
    clerk_page.wait_for_selector("#copy-form")
    document = Document.objects.get()

    clerk_page.goto(f"/clients/{client.pk}/")
    thumbnail = f"#document-{document.pk} img.thumbnail"
    expect(clerk_page.locator(thumbnail)).to_have_js_property("complete", True)
    expect(clerk_page.locator(thumbnail)).not_to_have_js_property("naturalWidth", 0)
    clerk_page.goto(f"/documents/{document.pk}/")
    clerk_page.fill("#id_purpose", "办理银行开户")
    clerk_page.check("input[name=recipient_kind][value=vendor]")
    clerk_page.fill("#id_vendor_name", "示例银行城东支行")
    with clerk_page.expect_download() as download_info:
        clerk_page.click("#copy-download")
    leaked = tmp_path / "leaked.jpg"
    download_info.value.save_as(str(leaked))
    copy = IssuedCopy.objects.get(channel="download")
    assert leaked.read_bytes()[:3] == b"\xff\xd8\xff"
    assert copy.trace_code in download_info.value.suggested_filename

    admin_context = browser.new_context(base_url=live_server.url)
    admin_page = admin_context.new_page()
    _log_in(admin_page, security_admin, landing="nav.mainnav")
    admin_page.goto("/documents/trace/")
    admin_page.set_input_files("#id_file", str(leaked))
    admin_page.click("#trace-form button[type=submit]")
    admin_page.wait_for_selector("#trace-result")

    assert copy.trace_code in admin_page.inner_text("#trace-result")
    assert admin_page.inner_text("#trace-recipient").startswith("示例银行城东支行")
    assert admin_page.inner_text("#trace-purpose") == "办理银行开户"
    clerk_context.close()
    admin_context.close()
