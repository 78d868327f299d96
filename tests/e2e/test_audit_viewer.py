"""The audit administrator opens the audit log in headless Chromium and searches it."""

from __future__ import annotations

import pytest

from shoumi.accounts.roles import Role
from shoumi.audit.checkpoints import checkpoint_create
from shoumi.audit.models import CheckpointReason
from tests.accounts.factories import enrolled_staff
from tests.audit.helpers import append_events

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_audit_admin_searches_the_log(page, live_server) -> None:
    from playwright.sync_api import expect

    staff = enrolled_staff(roles=[Role.AUDIT_ADMIN])
    append_events(4, action="export")
    append_events(3, action="logout")
    checkpoint_create(reason=CheckpointReason.MANUAL)

    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", staff.user.employee_number)
    page.fill("#id_password", staff.password)
    page.click("button[type=submit]")
    page.wait_for_selector("#id_otp_token")
    page.fill("#id_otp_token", staff.code())
    page.click("button[type=submit]")
    page.wait_for_selector("#pending-items")
    page.click("nav.mainnav >> text=审计日志")
    page.wait_for_selector("#event-rows")

    assert page.inner_text("h1") == "审计日志"
    assert page.locator("#event-rows td.proof-proven").count() == 7
    page.select_option("#id_action", "logout")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#event-rows tbody tr")).to_have_count(3)
    assert "action=logout" in page.url
