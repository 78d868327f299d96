"""A clerk asks for temporary access, a manager approves it, the clerk reveals the value."""

from __future__ import annotations

import pytest

from shoumi.accounts.roles import Role
from tests.accounts.factories import DepartmentFactory, enrolled_staff
from tests.clients.factories import make_client, make_person
from tests.staff.factories import pass_gates

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESIDENT_ID = "33010619880315019X"


def _log_in(page, staff) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", staff.user.employee_number)
    page.fill("#id_password", staff.password)
    page.click("button[type=submit]")
    page.wait_for_selector("#id_otp_token")
    page.fill("#id_otp_token", staff.code())
    page.click("button[type=submit]")
    page.wait_for_selector("#pending-items")


def _open_reveal(page, client_id: str) -> None:
    page.goto(f"/clients/{client_id}/")
    cell = page.locator("#people [id$='-resident_id']")
    cell.locator(".reveal-button").click()
    cell.locator("input[name=purpose]").fill("核对法定代表人身份")
    cell.locator(".reveal-form button[type=submit]").first.click()


def test_clerk_gets_a_grant_and_reveals(browser, live_server, monkeypatch) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    department = DepartmentFactory(name="记账一部")
    clerk = enrolled_staff(roles=[Role.CLERK], department=department)
    manager = enrolled_staff(roles=[Role.MANAGER], department=department)
    pass_gates(clerk.user)
    client = make_client(department=department, name="宁波新桥贸易有限公司")
    make_person(client, resident_id=RESIDENT_ID)

    clerk_context = browser.new_context(base_url=live_server.url)
    clerk_page = clerk_context.new_page()
    _log_in(clerk_page, clerk)
    _open_reveal(clerk_page, str(client.pk))
    clerk_page.wait_for_selector("#people [id$='-resident_id'] .error")
    assert "只能查看脱敏" in clerk_page.inner_text("#people [id$='-resident_id']")

    clerk_page.click("a[href*='/access/grants/new/']")
    clerk_page.wait_for_selector("#id_clients")
    assert clerk_page.eval_on_selector("#id_clients", "select => select.value") == str(client.pk)
    clerk_page.check("input[value='clients.person.resident_id']")
    clerk_page.check("input[name=actions][value=reveal]")
    clerk_page.select_option("#id_duration_minutes", "60")
    clerk_page.fill("#id_purpose", "办理工商变更")
    clerk_page.click("form[method=post] button.primary")
    clerk_page.wait_for_selector("#grant-rows", timeout=10_000)
    assert "待审批" in clerk_page.inner_text("#grant-rows")

    manager_context = browser.new_context(base_url=live_server.url)
    manager_page = manager_context.new_page()
    _log_in(manager_page, manager)
    assert "待审批的临时权限申请" in manager_page.inner_text("#pending-items")
    manager_page.goto("/access/grants/")
    waiting = manager_page.inner_text("#grants-waiting")
    assert "人员：证件号码" in waiting
    assert "clients.person.resident_id" not in waiting
    manager_page.click("#grants-waiting button.primary")
    manager_page.wait_for_selector(".message.success")

    _open_reveal(clerk_page, str(client.pk))
    clerk_page.wait_for_selector("code.revealed")

    assert clerk_page.inner_text("code.revealed") == RESIDENT_ID

    auditor = enrolled_staff(roles=[Role.AUDIT_ADMIN])
    auditor_context = browser.new_context(base_url=live_server.url)
    auditor_page = auditor_context.new_page()
    _log_in(auditor_page, auditor)
    auditor_page.goto(f"/audit/?actor={clerk.user.employee_number}")
    auditor_page.wait_for_selector("#event-rows")
    clerk_events = auditor_page.inner_text("#event-rows")
    auditor_page.goto("/audit/?action=grant_approved")
    approvals = auditor_page.inner_text("#event-rows")

    assert "申请临时权限" in clerk_events
    assert "查看明文" in clerk_events
    assert RESIDENT_ID not in clerk_events
    assert "临时权限已批准" in approvals
    assert manager.user.employee_number in approvals
    for context in (clerk_context, manager_context, auditor_context):
        context.close()
