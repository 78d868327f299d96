"""First-run bootstrap and the enrolment link: one-time password, TOTP set-up, own password."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from shoumi.accounts import services
from shoumi.accounts.models import Enrolment, User
from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Yun-shui-jian-88-qiao"


def _code_for(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def _path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_bootstrap_prints_administrator_once(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("bootstrap")
    first = capsys.readouterr().out
    call_command("bootstrap")
    second = capsys.readouterr().out

    assert "工号：SYSADMIN" in first
    assert "一次性密码：" in first
    assert "/accounts/enrol/" in first
    assert second == ""
    admin = User.objects.get()
    assert admin.role_set == {Role.SYSTEM_ADMIN}
    assert admin.must_change_password


def test_bootstrap_does_nothing_when_staff_exist(capsys: pytest.CaptureFixture[str]) -> None:
    services.staff_create(actor=None, employee_number="C001", full_name="张三", roles=[Role.CLERK])

    call_command("bootstrap")

    assert capsys.readouterr().out == ""
    assert not User.objects.filter(employee_number="SYSADMIN").exists()


def test_enrolment_link_sets_up_totp_and_password(client: Client) -> None:
    ticket = services.bootstrap_system_admin()
    assert ticket is not None
    enrol_path = _path_of(ticket.url)

    step_one = client.post(enrol_path, {"password": ticket.one_time_password})
    device = TOTPDevice.objects.get(user=ticket.user, confirmed=False)
    page = client.get(step_one["Location"]).content.decode()
    step_two = client.post(
        step_one["Location"],
        {
            "otp_token": _code_for(device),
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert step_one.status_code == 302
    assert 'src="data:image/svg+xml' in page
    assert step_two.status_code == 302
    assert client.get("/").status_code == 200
    device.refresh_from_db()
    ticket.user.refresh_from_db()
    assert device.confirmed
    assert ticket.user.check_password(NEW_PASSWORD)
    assert not ticket.user.must_change_password
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        Action.STAFF_CREATED,
        Action.ENROLMENT_ISSUED,
        Action.ENROLMENT_COMPLETED,
        Action.LOGIN_SUCCEEDED,
    }


def test_enrolment_link_works_only_once(client: Client) -> None:
    ticket = services.bootstrap_system_admin()
    assert ticket is not None
    enrol_path = _path_of(ticket.url)
    step_one = client.post(enrol_path, {"password": ticket.one_time_password})
    device = TOTPDevice.objects.get(user=ticket.user, confirmed=False)
    client.post(
        step_one["Location"],
        {
            "otp_token": _code_for(device),
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    other_browser = Client()

    response = other_browser.get(enrol_path)

    assert response.status_code == 404
    assert "链接无效" in response.content.decode()


def test_enrolment_link_expires(client: Client) -> None:
    ticket = services.bootstrap_system_admin()
    assert ticket is not None

    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1), tick=False):
        response = client.get(_path_of(ticket.url))

    assert response.status_code == 404


def test_wrong_one_time_password_is_rejected(client: Client) -> None:
    ticket = services.bootstrap_system_admin()
    assert ticket is not None

    response = client.post(_path_of(ticket.url), {"password": "AAAA-BBBB-CCCC-DDDD"})

    assert response.status_code == 200
    assert "一次性密码错误" in response.content.decode()
    assert not TOTPDevice.objects.exists()


def test_device_step_needs_the_one_time_password_first(client: Client) -> None:
    ticket = services.bootstrap_system_admin()
    assert ticket is not None

    response = client.get(_path_of(ticket.url) + "device/")

    assert response.status_code == 302
    assert response["Location"] == _path_of(ticket.url)


def test_weak_new_password_keeps_enrolment_open(client: Client) -> None:
    ticket = services.bootstrap_system_admin()
    assert ticket is not None
    step_one = client.post(_path_of(ticket.url), {"password": ticket.one_time_password})
    device = TOTPDevice.objects.get(user=ticket.user)

    response = client.post(
        step_one["Location"],
        {
            "otp_token": _code_for(device),
            "new_password1": "password1234",
            "new_password2": "password1234",
        },
    )

    assert response.status_code == 200
    assert "密码" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert Enrolment.objects.get().used_at is None


def test_reissued_link_replaces_the_old_one() -> None:
    first = services.bootstrap_system_admin()
    assert first is not None

    second = services.enrolment_issue(actor=None, user=first.user)

    assert Enrolment.objects.filter(expires_at__gt=timezone.now()).count() == 1
    with pytest.raises(services.EnrolmentInvalidError):
        services.enrolment_for_token(first.url.rstrip("/").rsplit("/", 1)[1])
    assert services.enrolment_for_token(second.url.rstrip("/").rsplit("/", 1)[1]).user == first.user


def test_ticket_repr_hides_password_and_link() -> None:
    ticket = services.bootstrap_system_admin()
    assert ticket is not None

    text = repr(ticket)

    assert ticket.one_time_password not in text
    assert ticket.url not in text
