"""A new administrator enrols TOTP in headless Chromium, logs out and logs in again."""

from __future__ import annotations

import base64

import pytest
from django_otp.oath import TOTP

from shoumi.accounts import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Hai-kuo-tian-kong-2049"


def _totp(base32_key: str, *, step_offset: int = 0) -> str:
    compact = base32_key.replace(" ", "")
    key = base64.b32decode(compact + "=" * (-len(compact) % 8))
    totp = TOTP(key)
    totp.time = totp.time + 30 * step_offset
    return f"{totp.token():06d}"


def test_administrator_enrols_and_logs_in_with_totp(page, live_server) -> None:
    ticket = services.bootstrap_system_admin()
    assert ticket is not None
    enrol_path = ticket.url.split("://", 1)[1].split("/", 1)[1]

    page.goto(live_server.url + "/" + enrol_path)
    assert "设置双因素登录" in page.content()
    page.fill("#id_password", ticket.one_time_password)
    page.click("button[type=submit]")
    page.wait_for_selector("#totp-qr")
    key = page.inner_text("#totp-key")
    page.fill("#id_otp_token", _totp(key))
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#pending-items")
    assert "工作台" in page.content()
    assert "系统管理员" in page.inner_text(".roles")

    page.click("text=退出")
    page.wait_for_selector("#id_username")
    page.fill("#id_username", "sysadmin")
    page.fill("#id_password", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#id_otp_token")
    page.fill("#id_otp_token", _totp(key, step_offset=1))
    page.click("button[type=submit]")
    page.wait_for_selector("#pending-items")

    heading = page.inner_text("h1")
    assert heading == "工作台"
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
