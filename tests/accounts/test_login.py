"""Two-factor login, lockout, idle timeout and logout."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from shoumi.audit.actions import Action, Result
from shoumi.audit.models import AuditEvent
from tests.accounts.conftest import log_in
from tests.accounts.factories import EnrolledStaff

pytestmark = pytest.mark.django_db


def _post_password(client: Client, employee_number: str, password: str):
    return client.post("/accounts/login/", {"username": employee_number, "password": password})


def test_page_without_login_redirects_to_login(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_login_page_is_chinese_by_default(client: Client) -> None:
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    page = response.content.decode()
    assert response.status_code == 200
    assert "登录守密" in page
    assert '<html lang="zh-hans">' in page


def test_login_page_switches_to_english_when_chosen(client: Client) -> None:
    client.cookies["shoumi_language"] = "en"

    page = client.get("/accounts/login/").content.decode()

    assert "Log in to shoumi" in page


def test_password_alone_does_not_log_in(client: Client, clerk: EnrolledStaff) -> None:
    response = _post_password(client, clerk.user.employee_number, clerk.password)

    assert response["Location"] == "/accounts/login/verify/"
    assert client.get("/").status_code == 302


def test_login_with_totp_reaches_dashboard(client: Client, clerk: EnrolledStaff) -> None:
    log_in(client, clerk)

    response = client.get("/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "工作台" in page
    assert "登记员" in page
    assert (
        AuditEvent.objects.filter(action=Action.LOGIN_SUCCEEDED, actor_id=clerk.user.pk).count()
        == 1
    )


def test_employee_number_is_case_and_width_insensitive(
    client: Client, clerk: EnrolledStaff
) -> None:
    full_width = clerk.user.employee_number.lower().translate(
        {ord(c): ord(c) + 0xFEE0 for c in "0123456789abcdefghijklmnopqrstuvwxyz"}
    )

    response = _post_password(client, full_width, clerk.password)

    assert response["Location"] == "/accounts/login/verify/"


def test_wrong_password_is_reported_without_saying_which_part(
    client: Client, clerk: EnrolledStaff
) -> None:
    response = _post_password(client, clerk.user.employee_number, "not-the-password-1")

    assert response.status_code == 200
    assert "工号或密码错误" in response.content.decode()
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.actor_id == clerk.user.pk
    assert event.result == Result.FAILURE


def test_failed_login_for_unknown_number_does_not_record_the_typed_text(client: Client) -> None:
    _post_password(client, "MY-SECRET-PASS", "whatever-password")

    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.actor_id is None
    assert event.details == {"employee_number": "(unknown)"}


def test_wrong_totp_code_is_rejected(client: Client, clerk: EnrolledStaff) -> None:
    _post_password(client, clerk.user.employee_number, clerk.password)

    response = client.post(
        "/accounts/login/verify/", {"otp_token": "000000" if clerk.code() != "000000" else "111111"}
    )

    assert response.status_code == 200
    assert "验证码错误或已过期" in response.content.decode()
    assert client.get("/").status_code == 302


def test_lockout_after_five_failed_passwords(client: Client, clerk: EnrolledStaff) -> None:
    for _attempt in range(4):
        assert (
            _post_password(client, clerk.user.employee_number, "wrong-password-x").status_code
            == 200
        )

    fifth = _post_password(client, clerk.user.employee_number, "wrong-password-x")
    with_right_password = _post_password(client, clerk.user.employee_number, clerk.password)

    assert fifth.status_code == 429
    assert "账户已锁定" in fifth.content.decode()
    assert with_right_password.status_code == 429
    assert AuditEvent.objects.filter(action=Action.LOCKOUT, actor_id=clerk.user.pk).exists()


def test_four_failures_do_not_lock(client: Client, clerk: EnrolledStaff) -> None:
    for _attempt in range(4):
        _post_password(client, clerk.user.employee_number, "wrong-password-x")

    response = _post_password(client, clerk.user.employee_number, clerk.password)

    assert response.status_code == 302


def test_lockout_ends_after_fifteen_minutes(client: Client, clerk: EnrolledStaff) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _attempt in range(5):
            _post_password(client, clerk.user.employee_number, "wrong-password-x")
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        unlocked = _post_password(client, clerk.user.employee_number, clerk.password)

    assert unlocked.status_code == 302


def test_attempt_during_lockout_restarts_the_cool_off(client: Client, clerk: EnrolledStaff) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _attempt in range(5):
            _post_password(client, clerk.user.employee_number, "wrong-password-x")
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        during = _post_password(client, clerk.user.employee_number, clerk.password)
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        extended = _post_password(client, clerk.user.employee_number, clerk.password)
    with time_machine.travel(start + timedelta(minutes=30, seconds=3), tick=False):
        unlocked = _post_password(client, clerk.user.employee_number, clerk.password)

    assert during.status_code == 429
    assert extended.status_code == 429
    assert unlocked.status_code == 302


def test_wrong_totp_codes_count_towards_lockout(client: Client, clerk: EnrolledStaff) -> None:
    wrong = "000000" if clerk.code() != "000000" else "111111"
    _post_password(client, clerk.user.employee_number, clerk.password)

    statuses = [
        client.post("/accounts/login/verify/", {"otp_token": wrong}).status_code for _ in range(5)
    ]

    assert statuses[:4] == [200, 200, 200, 200]
    assert statuses[4] == 429
    assert _post_password(client, clerk.user.employee_number, clerk.password).status_code == 429


def test_lockout_limit_is_configurable(client: Client, clerk: EnrolledStaff, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 2

    _post_password(client, clerk.user.employee_number, "wrong-password-x")
    second = _post_password(client, clerk.user.employee_number, "wrong-password-x")

    assert second.status_code == 429


def test_idle_session_is_logged_out_after_fifteen_minutes(
    client: Client, clerk: EnrolledStaff
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        log_in(client, clerk)
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        active = client.get("/")
    with time_machine.travel(start + timedelta(minutes=29, seconds=30), tick=False):
        after_idle = client.get("/")

    assert active.status_code == 200
    assert after_idle.status_code == 302
    assert after_idle["Location"].startswith("/accounts/login/")
    assert (
        AuditEvent.objects.filter(action=Action.SESSION_EXPIRED, actor_id=clerk.user.pk).count()
        == 1
    )
    assert client.get("/").status_code == 302


def test_idle_timeout_is_configurable(client: Client, clerk: EnrolledStaff, settings) -> None:
    settings.IDLE_TIMEOUT = timedelta(minutes=5)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        log_in(client, clerk)
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        response = client.get("/")

    assert response.status_code == 302


def test_logout_ends_the_session_and_is_audited(client: Client, clerk: EnrolledStaff) -> None:
    log_in(client, clerk)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action=Action.LOGOUT, actor_id=clerk.user.pk).count() == 1


def test_logout_needs_post(client: Client, clerk: EnrolledStaff) -> None:
    log_in(client, clerk)

    response = client.get("/accounts/logout/")

    assert response.status_code == 405
    assert client.get("/").status_code == 200


def test_deactivated_account_cannot_log_in(client: Client, clerk: EnrolledStaff) -> None:
    clerk.user.is_active = False
    clerk.user.save()

    response = _post_password(client, clerk.user.employee_number, clerk.password)

    assert response.status_code == 200
    assert "工号或密码错误" in response.content.decode()


def test_unenrolled_account_is_sent_to_enrolment(client: Client, clerk: EnrolledStaff) -> None:
    clerk.device.delete()

    response = _post_password(client, clerk.user.employee_number, clerk.password)

    assert response.status_code == 200
    assert "尚未设置双因素登录" in response.content.decode()


def test_verify_step_expires_after_five_minutes(client: Client, clerk: EnrolledStaff) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _post_password(client, clerk.user.employee_number, clerk.password)
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        response = client.post("/accounts/login/verify/", {"otp_token": clerk.code()})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_next_parameter_only_allows_local_paths(client: Client, clerk: EnrolledStaff) -> None:
    client.post(
        "/accounts/login/?next=https://evil.example/",
        {"username": clerk.user.employee_number, "password": clerk.password},
    )

    response = client.post("/accounts/login/verify/", {"otp_token": clerk.code()})

    assert response["Location"] == "/"
