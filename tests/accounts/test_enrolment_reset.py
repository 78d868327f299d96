"""A new enrolment link for an enrolled or administrator account is a reset: two people.

The link and its one-time password let whoever holds them set the account's
password and TOTP device, so the system administrator may hand them out alone
only for an account that never finished enrolment and is no separated
administrator. Anything else needs the approval of a security administrator
who is neither the requester nor the account holder; the one-time password
is then shown to the requester, once. The operator at the server keeps
``shoumi enrolment-reissue`` as the recovery path.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone, translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from shoumi.access import approvals
from shoumi.access.errors import ApprovalError
from shoumi.access.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from shoumi.accounts import services
from shoumi.accounts.errors import ResetApprovalRequiredError
from shoumi.accounts.models import Enrolment, User
from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action, Result
from shoumi.audit.models import AuditEvent
from tests.accounts.conftest import log_in
from tests.accounts.factories import DEFAULT_PASSWORD, EnrolledStaff, enrolled_staff

pytestmark = pytest.mark.django_db

REASON = "本人手机丢失，已当面核实身份"


@pytest.fixture
def sysadmin() -> EnrolledStaff:
    return enrolled_staff(roles=[Role.SYSTEM_ADMIN], employee_number="SYSADMIN")


@pytest.fixture
def security_admin() -> EnrolledStaff:
    return enrolled_staff(roles=[Role.SECURITY_ADMIN], employee_number="SEC1")


@pytest.fixture
def reviewer() -> EnrolledStaff:
    return enrolled_staff(roles=[Role.REVIEWER], employee_number="R001")


def _client_for(staff: EnrolledStaff) -> Client:
    client = Client()
    log_in(client, staff)
    return client


def _reissue(client: Client, user: User):
    return client.post(f"/accounts/staff/{user.pk}/enrolment/")


def _request_reset(client: Client, user: User) -> ApprovalRequest:
    response = client.post(f"/accounts/staff/{user.pk}/enrolment/reset/", {"reason": REASON})
    assert response.status_code == 302, response.content.decode()[:800]
    return ApprovalRequest.objects.get(
        kind=ApprovalKind.ENROLMENT_RESET, subject_key=f"user:{user.pk}"
    )


def _assert_untouched(target: EnrolledStaff, enrolments_before: int) -> None:
    target.user.refresh_from_db()
    assert target.user.check_password(DEFAULT_PASSWORD)
    assert Enrolment.objects.filter(user=target.user).count() == enrolments_before
    assert TOTPDevice.objects.filter(pk=target.device.pk, confirmed=True).exists()


# The finding: no approval, no ticket --------------------------------------------------


def test_sysadmin_cannot_reset_enrolled_reviewer_without_approval(sysadmin, reviewer) -> None:
    client = _client_for(sysadmin)

    response = _reissue(client, reviewer.user)

    page = response.content.decode()
    assert response.status_code == 403
    assert 'id="one-time-password"' not in page
    assert "/accounts/enrol/" not in page
    assert "安全管理员" in page
    _assert_untouched(reviewer, 0)
    denied = AuditEvent.objects.get(action=Action.ENROLMENT_RESET_ISSUED)
    assert denied.result == Result.DENIED
    assert denied.actor_employee_number == "SYSADMIN"
    assert denied.object_id == str(reviewer.user.pk)


@pytest.mark.parametrize("enrolled", [True, False], ids=["enrolled", "never-enrolled"])
def test_sysadmin_cannot_reset_audit_admin_without_approval(sysadmin, enrolled) -> None:
    if enrolled:
        auditor = enrolled_staff(roles=[Role.AUDIT_ADMIN], employee_number="AUD1").user
    else:
        # The operator creates administrator accounts on the server (actor None).
        auditor = services.staff_create(
            actor=None,
            employee_number="AUD1",
            full_name="审计员",
            roles=[Role.AUDIT_ADMIN],
        ).user
    enrolments_before = Enrolment.objects.filter(user=auditor).count()
    password_before = User.objects.get(pk=auditor.pk).password
    client = _client_for(sysadmin)

    response = _reissue(client, auditor)

    assert response.status_code == 403
    assert 'id="one-time-password"' not in response.content.decode()
    assert Enrolment.objects.filter(user=auditor).count() == enrolments_before
    assert User.objects.get(pk=auditor.pk).password == password_before


def test_service_refuses_a_staff_actor_resetting_an_enrolled_account(sysadmin, reviewer) -> None:
    with pytest.raises(ResetApprovalRequiredError):
        services.enrolment_issue(actor=sysadmin.user, user=reviewer.user)

    _assert_untouched(reviewer, 0)


def test_never_enrolled_reviewer_is_reissued_at_once(sysadmin) -> None:
    ticket = services.staff_create(
        actor=sysadmin.user, employee_number="R002", full_name="新复核员", roles=[Role.REVIEWER]
    )
    client = _client_for(sysadmin)

    response = _reissue(client, ticket.user)

    assert response.status_code == 200
    assert 'id="one-time-password"' in response.content.decode()
    assert Enrolment.objects.filter(user=ticket.user).count() == 2
    assert not ApprovalRequest.objects.exists()
    event = AuditEvent.objects.filter(action=Action.ENROLMENT_ISSUED).order_by("-seq").first()
    assert event is not None and event.actor_employee_number == "SYSADMIN"


# With the security administrator's approval ------------------------------------------


def test_reset_with_security_admin_approval_shows_ticket_once(
    sysadmin, security_admin, reviewer
) -> None:
    admin_client = _client_for(sysadmin)
    security_client = _client_for(security_admin)

    approval = _request_reset(admin_client, reviewer.user)
    listing = admin_client.get("/accounts/staff/").content.decode()
    assert "重置申请等待安全管理员审批" in listing
    assert _reissue(admin_client, reviewer.user).status_code == 403

    waiting = security_client.get("/access/approvals/").content.decode()
    assert "重置员工账户的登录凭据" in waiting
    assert "R001" in waiting
    security_client.post(f"/access/approvals/{approval.pk}/approve/")
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.APPROVED
    assert "签发已批准的注册链接" in admin_client.get("/accounts/staff/").content.decode()

    response = _reissue(admin_client, reviewer.user)

    page = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    one_time_password = re.search(r'id="one-time-password">([^<]+)<', page)
    assert one_time_password is not None
    reviewer.user.refresh_from_db()
    assert reviewer.user.check_password(one_time_password.group(1))
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.USED
    # Used once: a second click is refused again.
    assert _reissue(admin_client, reviewer.user).status_code == 403


def test_reset_events_name_actor_target_and_what_happened(
    sysadmin, security_admin, reviewer
) -> None:
    approval = services.enrolment_reset_request(
        actor=sysadmin.user, user=reviewer.user, reason=REASON
    )
    approvals.approval_approve(actor=security_admin.user, approval=approval)
    services.enrolment_reissue(actor=sysadmin.user, user=reviewer.user)

    requested = AuditEvent.objects.get(action=Action.ENROLMENT_RESET_REQUESTED)
    approved = AuditEvent.objects.get(action=Action.ENROLMENT_RESET_APPROVED)
    issued = AuditEvent.objects.get(action=Action.ENROLMENT_RESET_ISSUED, result=Result.SUCCESS)
    for event in (requested, approved, issued):
        assert event.object_type == "user"
        assert event.object_id == str(reviewer.user.pk)
        assert event.details["target"] == "R001"
    assert requested.actor_employee_number == "SYSADMIN"
    assert requested.purpose == REASON
    assert approved.actor_employee_number == "SEC1"
    assert issued.actor_employee_number == "SYSADMIN"
    assert issued.details["approved_by"] == "SEC1"
    assert issued.details["approval"] == str(approval.pk)
    with translation.override("zh-hans"):
        labels = [event.action_label for event in (requested, approved, issued)]
    assert labels == ["申请重置登录凭据", "批准重置登录凭据", "重置登录凭据：签发注册链接"]


def test_audit_viewer_shows_the_reset_in_chinese(sysadmin, security_admin, reviewer) -> None:
    approval = services.enrolment_reset_request(
        actor=sysadmin.user, user=reviewer.user, reason=REASON
    )
    approvals.approval_approve(actor=security_admin.user, approval=approval)
    services.enrolment_reissue(actor=sysadmin.user, user=reviewer.user)
    auditor = _client_for(enrolled_staff(roles=[Role.AUDIT_ADMIN]))

    page = auditor.get("/audit/").content.decode()

    for label in ("申请重置登录凭据", "批准重置登录凭据", "重置登录凭据：签发注册链接"):
        assert label in page
    assert "工号 R001" in page


def test_reset_of_the_audit_admin_works_with_approval(sysadmin, security_admin) -> None:
    auditor = enrolled_staff(roles=[Role.AUDIT_ADMIN], employee_number="AUD1")
    approval = services.enrolment_reset_request(
        actor=sysadmin.user, user=auditor.user, reason=REASON
    )
    approvals.approval_approve(actor=security_admin.user, approval=approval)

    ticket = services.enrolment_reissue(actor=sysadmin.user, user=auditor.user)

    assert ticket.user == auditor.user


# Who may approve ------------------------------------------------------------------


def test_requester_cannot_approve_own_reset(sysadmin, security_admin, reviewer) -> None:
    approval = services.enrolment_reset_request(
        actor=sysadmin.user, user=reviewer.user, reason=REASON
    )

    with pytest.raises(ApprovalError) as raised:
        approvals.approval_approve(actor=sysadmin.user, approval=approval)

    assert raised.value.code == "self_approval"
    with pytest.raises(ResetApprovalRequiredError):
        services.enrolment_reissue(actor=sysadmin.user, user=reviewer.user)


def test_security_admin_cannot_approve_reset_of_own_account(sysadmin, security_admin) -> None:
    approval = services.enrolment_reset_request(
        actor=sysadmin.user, user=security_admin.user, reason=REASON
    )
    client = _client_for(security_admin)

    page = client.get("/access/approvals/").content.decode()
    client.post(f"/access/approvals/{approval.pk}/approve/")

    assert f"/access/approvals/{approval.pk}/approve/" not in page
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING
    with pytest.raises(ApprovalError) as raised:
        approvals.approval_approve(actor=security_admin.user, approval=approval)
    assert raised.value.code == "target_approval"
    with pytest.raises(ResetApprovalRequiredError):
        services.enrolment_reissue(actor=sysadmin.user, user=security_admin.user)

    second = enrolled_staff(roles=[Role.SECURITY_ADMIN], employee_number="SEC2")
    approvals.approval_approve(actor=second.user, approval=approval)
    assert services.enrolment_reissue(actor=sysadmin.user, user=security_admin.user)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMINISTRATOR, Role.AUDIT_ADMIN])
def test_only_the_security_admin_approves_a_reset(sysadmin, reviewer, role) -> None:
    approval = services.enrolment_reset_request(
        actor=sysadmin.user, user=reviewer.user, reason=REASON
    )
    other = enrolled_staff(roles=[role])

    with pytest.raises(ApprovalError) as raised:
        approvals.approval_approve(actor=other.user, approval=approval)

    assert raised.value.code == "not_approver"


def test_another_system_admin_cannot_use_the_approval(sysadmin, security_admin, reviewer) -> None:
    approval = services.enrolment_reset_request(
        actor=sysadmin.user, user=reviewer.user, reason=REASON
    )
    approvals.approval_approve(actor=security_admin.user, approval=approval)
    colleague = enrolled_staff(roles=[Role.SYSTEM_ADMIN])

    with pytest.raises(ResetApprovalRequiredError):
        services.enrolment_reissue(actor=colleague.user, user=reviewer.user)


def test_approval_is_bound_to_its_account(sysadmin, security_admin, reviewer) -> None:
    approval = services.enrolment_reset_request(
        actor=sysadmin.user, user=reviewer.user, reason=REASON
    )
    approvals.approval_approve(actor=security_admin.user, approval=approval)
    other = enrolled_staff(roles=[Role.REVIEWER])

    with pytest.raises(ResetApprovalRequiredError):
        services.enrolment_reissue(actor=sysadmin.user, user=other.user)


def test_expired_approval_does_not_reset(sysadmin, security_admin, reviewer) -> None:
    approval = services.enrolment_reset_request(
        actor=sysadmin.user, user=reviewer.user, reason=REASON
    )
    approvals.approval_approve(actor=security_admin.user, approval=approval)

    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        with pytest.raises(ResetApprovalRequiredError):
            services.enrolment_reissue(actor=sysadmin.user, user=reviewer.user)

    _assert_untouched(reviewer, 0)


def test_a_second_request_for_the_same_account_is_refused(sysadmin, reviewer) -> None:
    services.enrolment_reset_request(actor=sysadmin.user, user=reviewer.user, reason=REASON)

    with pytest.raises(ApprovalError) as raised:
        services.enrolment_reset_request(actor=sysadmin.user, user=reviewer.user, reason=REASON)

    assert raised.value.code == "reset_already_requested"


def test_only_the_system_admin_may_request_a_reset(reviewer) -> None:
    from django.core.exceptions import PermissionDenied

    security_admin = enrolled_staff(roles=[Role.SECURITY_ADMIN])

    with pytest.raises(PermissionDenied):
        services.enrolment_reset_request(
            actor=security_admin.user, user=reviewer.user, reason=REASON
        )


# The operator's recovery path ------------------------------------------------------


def test_command_line_resets_an_enrolled_account_without_approval(reviewer) -> None:
    output = io.StringIO()

    call_command("enrolment_reissue", "r001", "--reason", "首位管理员手机丢失", stdout=output)

    text = output.getvalue()
    assert "一次性密码" in text
    assert "登录凭据重置" in text
    assert Enrolment.objects.filter(user=reviewer.user).count() == 1
    event = AuditEvent.objects.get(action=Action.ENROLMENT_RESET_ISSUED)
    assert event.result == Result.SUCCESS
    assert event.actor_employee_number == ""
    assert event.details["channel"] == "command_line"
    assert event.purpose == "首位管理员手机丢失"


def test_command_line_recovers_the_first_system_admin() -> None:
    first = services.bootstrap_system_admin()
    assert first is not None
    TOTPDevice.objects.create(user=first.user, name="phone", confirmed=True)
    output = io.StringIO()

    call_command("enrolment_reissue", "SYSADMIN", stdout=output)

    assert "SYSADMIN" in output.getvalue()
    assert Enrolment.objects.filter(user=first.user, expires_at__gt=timezone.now()).count() == 1


def test_command_line_refuses_a_deactivated_account_in_chinese(sysadmin) -> None:
    target = enrolled_staff(roles=[Role.CLERK], employee_number="C002")
    services.staff_deactivate(actor=sysadmin.user, user=target.user)

    with pytest.raises(CommandError) as raised:
        call_command("enrolment_reissue", "C002")

    assert str(raised.value) == "账户 C002 已停用，不能为已停用的账户签发注册链接。"


def test_command_line_refuses_an_unknown_account_in_chinese() -> None:
    from shoumi.config.cli import main

    with pytest.raises(CommandError) as raised:
        call_command("enrolment_reissue", "C404")

    assert str(raised.value) == "没有工号为 C404 的账户。"
    # The console entry point exits non-zero on it. (No capsys here: main()
    # sets up logging again on whatever sys.stderr is, and capsys closes it.)
    assert main(["shoumi", "enrolment-reissue", "C404"]) == 1


def test_command_line_help_is_chinese() -> None:
    from shoumi.accounts.management.commands.enrolment_reissue import Command

    text = Command().create_parser("shoumi", "enrolment_reissue").format_help()

    assert "一次性密码" in text
    assert "账户的工号" in text
