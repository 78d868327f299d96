"""Two-person approval: a second person, once, before it expires; races give one approval."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from shoumi.access import approvals, services
from shoumi.access.errors import ApprovalError, RevealDeniedError
from shoumi.access.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action, Result
from shoumi.audit.errors import AuditError
from shoumi.audit.models import AuditEvent, SubtreeHash
from tests.accounts.factories import DepartmentFactory, UserFactory
from tests.clients.factories import make_client, make_person
from tests.staff.factories import pass_gates

RESIDENT_ID = "33010619880315019X"


@pytest.fixture
def admins(db):
    department = DepartmentFactory(name="综合部")
    requester = pass_gates(UserFactory(roles=[Role.ADMINISTRATOR], department=department))
    approver = UserFactory(roles=[Role.MANAGER], department=department)
    person = make_person(make_client(department=department), resident_id=RESIDENT_ID)
    return requester, approver, person


def _break_glass(requester, person) -> ApprovalRequest:
    return _break_glass_with_reason(requester, person, "客户来电核对身份")


def _break_glass_with_reason(requester, person, reason: str) -> ApprovalRequest:
    return services.break_glass_request(
        user=requester, record=person, field="resident_id", reason=reason
    )


def test_break_glass_reveal_after_approval_works_once(admins) -> None:
    requester, approver, person = admins
    approval = _break_glass(requester, person)
    approvals.approval_approve(actor=approver, approval=approval)

    first = services.reveal(user=requester, record=person, field="resident_id", purpose="核对身份")

    assert first == RESIDENT_ID
    with pytest.raises(RevealDeniedError):
        services.reveal(user=requester, record=person, field="resident_id", purpose="再次核对")
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.USED
    event = AuditEvent.objects.get(action=Action.REVEAL, result=Result.SUCCESS)
    assert event.details["approval"] == str(approval.pk)


def test_approval_is_bound_to_its_field(admins) -> None:
    requester, approver, person = admins
    approvals.approval_approve(actor=approver, approval=_break_glass(requester, person))

    with pytest.raises(RevealDeniedError):
        services.reveal(user=requester, record=person, field="mobile", purpose="核对手机")


def test_requester_cannot_approve(admins) -> None:
    requester, _approver, person = admins
    approval = _break_glass(requester, person)

    with pytest.raises(ApprovalError) as raised:
        approvals.approval_approve(actor=requester, approval=approval)

    assert raised.value.code == "self_approval"


def test_clerk_cannot_approve(admins) -> None:
    requester, _approver, person = admins
    clerk = UserFactory(roles=[Role.CLERK])

    with pytest.raises(ApprovalError) as raised:
        approvals.approval_approve(actor=clerk, approval=_break_glass(requester, person))

    assert raised.value.code == "not_approver"


def test_approval_expires_after_an_hour_and_leaves_a_trail(admins) -> None:
    requester, approver, person = admins
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        approval = _break_glass(requester, person)
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        with pytest.raises(ApprovalError) as raised:
            approvals.approval_approve(actor=approver, approval=approval)

    assert raised.value.code == "expired"
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.EXPIRED
    assert (
        AuditEvent.objects.filter(
            action=Action.APPROVAL_EXPIRED, object_id=str(approval.pk)
        ).count()
        == 1
    )


def test_approved_but_unused_approval_expires(admins) -> None:
    requester, approver, person = admins
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        approvals.approval_approve(actor=approver, approval=_break_glass(requester, person))
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        with pytest.raises(RevealDeniedError):
            services.reveal(user=requester, record=person, field="resident_id", purpose="核对身份")


def test_rejection_is_audited(admins) -> None:
    requester, approver, person = admins
    approval = _break_glass(requester, person)

    approvals.approval_reject(actor=approver, approval=approval)

    assert AuditEvent.objects.filter(
        action=Action.APPROVAL_REJECTED, object_id=str(approval.pk)
    ).exists()
    with pytest.raises(RevealDeniedError):
        services.reveal(user=requester, record=person, field="resident_id", purpose="核对身份")


def test_key_rotation_approvals_go_to_the_security_administrator(admins) -> None:
    requester, approver, _person = admins
    security = UserFactory(roles=[Role.SECURITY_ADMIN])
    approval = approvals.approval_request(
        actor=requester,
        kind=ApprovalKind.KEY_ROTATION,
        subject={"kind": "master_key"},
        subject_key="master_key",
        summary="轮换主密钥",
        reason="年度轮换",
    )

    with pytest.raises(ApprovalError):
        approvals.approval_approve(actor=approver, approval=approval)
    approvals.approval_approve(actor=security, approval=approval)

    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.APPROVED


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_give_one() -> None:
    department = DepartmentFactory(name="并发部")
    requester = pass_gates(UserFactory(roles=[Role.ADMINISTRATOR], department=department))
    approvers = [UserFactory(roles=[Role.MANAGER], department=department) for _ in range(2)]
    approval = _break_glass(requester, make_person(make_client(department=department)))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(approver) -> None:
        barrier.wait()
        try:
            approvals.approval_approve(
                actor=approver, approval=ApprovalRequest.objects.get(pk=approval.pk)
            )
            outcomes.append("approved")
        except ApprovalError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(approver,)) for approver in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["already_decided", "approved"]
    assert AuditEvent.objects.filter(action=Action.APPROVAL_GRANTED).count() == 1


def test_approval_stays_unused_when_the_reveal_event_cannot_be_stored(admins) -> None:
    requester, approver, person = admins
    approval = _break_glass(requester, person)
    approvals.approval_approve(actor=approver, approval=approval)
    # The gate query reads the event table; the append also writes the subtree hashes.
    table = SubtreeHash._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_gone")
    try:
        with pytest.raises(AuditError):
            services.reveal(user=requester, record=person, field="resident_id", purpose="核对身份")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_gone RENAME TO {table}")

    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.APPROVED
