"""Temporary grants: approval by another manager, clock from approval, expiry and revocation."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from shoumi.access import grants, services
from shoumi.access.errors import GrantError, RevealDeniedError
from shoumi.access.models import AccessGrant, GrantStatus
from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action, Result
from shoumi.audit.models import AuditEvent
from shoumi.clients.models import Person
from tests.accounts.factories import DepartmentFactory, UserFactory
from tests.clients.factories import make_client, make_person
from tests.staff.factories import pass_gates

FIELD = "clients.person.resident_id"
RESIDENT_ID = "33010619880315019X"


@pytest.fixture
def setting(db):
    department = DepartmentFactory(name="记账一部")
    clerk = pass_gates(
        UserFactory(roles=[Role.CLERK], department=department, email="clerk@example.cn")
    )
    manager = UserFactory(roles=[Role.MANAGER], department=department, email="manager@example.cn")
    person = make_person(make_client(department=department), resident_id=RESIDENT_ID)
    return clerk, manager, person


def _request(clerk, person: Person, minutes: int = 60) -> AccessGrant:
    return grants.grant_request(
        actor=clerk,
        clients=[person.client],
        fields=[FIELD],
        actions=["reveal"],
        purpose="核对法定代表人身份证",
        duration_minutes=minutes,
    )


def _reveal(clerk, person: Person) -> str | None:
    return services.reveal(user=clerk, record=person, field="resident_id", purpose="核对身份")


def test_request_then_approval_lets_clerk_reveal(setting) -> None:
    clerk, manager, person = setting
    grant = _request(clerk, person)

    grants.grant_approve(actor=manager, grant=grant)

    assert _reveal(clerk, person) == RESIDENT_ID
    use = AuditEvent.objects.get(action=Action.REVEAL, result=Result.SUCCESS)
    assert use.details["grant"] == str(grant.pk)


def test_pending_grant_gives_nothing(setting) -> None:
    clerk, _manager, person = setting
    _request(clerk, person)

    with pytest.raises(RevealDeniedError):
        _reveal(clerk, person)


def test_self_approval_is_rejected(setting) -> None:
    _clerk, manager, person = setting
    own = grants.grant_request(
        actor=manager,
        clients=[person.client],
        fields=[FIELD],
        actions=["reveal"],
        purpose="自查",
        duration_minutes=60,
    )

    with pytest.raises(GrantError) as raised:
        grants.grant_approve(actor=manager, grant=own)

    assert raised.value.code == "self_approval"
    assert "不能批准自己" in raised.value.message
    own.refresh_from_db()
    assert own.status == GrantStatus.PENDING


def test_only_managers_decide(setting) -> None:
    clerk, _manager, person = setting
    grant = _request(clerk, person)
    reviewer = UserFactory(roles=[Role.REVIEWER])

    with pytest.raises(GrantError) as raised:
        grants.grant_approve(actor=reviewer, grant=grant)

    assert raised.value.code == "not_manager"


@pytest.mark.parametrize("minutes", [0, 24 * 60 + 1, -5])
def test_duration_is_at_most_24_hours(setting, minutes: int) -> None:
    clerk, _manager, person = setting

    with pytest.raises(GrantError) as raised:
        _request(clerk, person, minutes=minutes)

    assert raised.value.code == "duration_invalid"


def test_clock_starts_at_approval_and_ends_on_time(setting) -> None:
    clerk, manager, person = setting
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        grant = _request(clerk, person, minutes=60)
    with time_machine.travel(start + timedelta(minutes=50), tick=False):
        grants.grant_approve(actor=manager, grant=grant)
    with time_machine.travel(start + timedelta(minutes=109, seconds=59), tick=False):
        late_but_valid = _reveal(clerk, person)
    with time_machine.travel(start + timedelta(minutes=110, seconds=1), tick=False):
        with pytest.raises(RevealDeniedError):
            _reveal(clerk, person)
        expired_view = AccessGrant.objects.get(pk=grant.pk).display_status(timezone.now())

    assert late_but_valid == RESIDENT_ID
    assert expired_view == "expired"


def test_grant_is_unusable_one_second_after_expiry(setting) -> None:
    clerk, manager, person = setting
    grant = _request(clerk, person, minutes=1)
    grants.grant_approve(actor=manager, grant=grant)
    grant.refresh_from_db()

    with time_machine.travel(grant.expires_at + timedelta(seconds=1), tick=False):
        with pytest.raises(RevealDeniedError):
            _reveal(clerk, person)


def test_revoked_grant_stops_at_once(setting) -> None:
    clerk, manager, person = setting
    grant = _request(clerk, person)
    grants.grant_approve(actor=manager, grant=grant)
    assert _reveal(clerk, person) == RESIDENT_ID

    grants.grant_revoke(actor=manager, grant=grant)

    with pytest.raises(RevealDeniedError):
        _reveal(clerk, person)
    assert AuditEvent.objects.filter(action=Action.GRANT_REVOKED, object_id=str(grant.pk)).exists()


def test_grant_covers_only_named_fields_and_actions(setting) -> None:
    clerk, manager, person = setting
    grants.grant_approve(actor=manager, grant=_request(clerk, person))

    with pytest.raises(RevealDeniedError):
        services.reveal(user=clerk, record=person, field="mobile", purpose="核对手机")


def test_grant_opens_a_client_of_another_department(setting) -> None:
    """Covering a colleague's client: that client's own department manager decides."""
    clerk, _manager, _person = setting
    second = DepartmentFactory(name="记账二部")
    other = make_person(make_client(department=second), resident_id="320106197809230418")
    their_manager = UserFactory(roles=[Role.MANAGER], department=second)
    grant = _request(clerk, other)
    grants.grant_approve(actor=their_manager, grant=grant)

    assert _reveal(clerk, other) == "320106197809230418"


def test_manager_cannot_open_another_departments_client(setting) -> None:
    """The tester's case: a clerk names a 二部 client and a 一部 manager approves."""
    from shoumi.access import selectors

    clerk, manager, _person = setting
    other = make_person(
        make_client(department=DepartmentFactory(name="记账二部")), resident_id="320106197809230418"
    )
    grant = _request(clerk, other)

    with pytest.raises(GrantError) as raised:
        grants.grant_approve(actor=manager, grant=grant)

    assert raised.value.code == "client_out_of_scope"
    assert grant not in selectors.grants_waiting_for(user=manager)
    assert grant not in selectors.grants_for(user=manager)
    with pytest.raises(RevealDeniedError):
        _reveal(clerk, other)


def test_decided_grants_stay_visible(setting) -> None:
    clerk, manager, person = setting
    rejected = _request(clerk, person)
    grants.grant_reject(actor=manager, grant=rejected, note="理由不充分")
    revoked = _request(clerk, person)
    grants.grant_approve(actor=manager, grant=revoked)
    grants.grant_revoke(actor=clerk, grant=revoked)

    statuses = set(AccessGrant.objects.values_list("status", flat=True))

    assert statuses == {GrantStatus.REJECTED, GrantStatus.REVOKED}


def test_request_notifies_the_managers(setting, mailoutbox) -> None:
    from django.test import TestCase

    clerk, _manager, person = setting

    with TestCase.captureOnCommitCallbacks(execute=True):
        _request(clerk, person)

    assert [message.to for message in mailoutbox] == [["manager@example.cn"]]
    assert RESIDENT_ID not in mailoutbox[0].body


def test_request_for_another_department_notifies_its_manager(setting, mailoutbox) -> None:
    from django.test import TestCase

    clerk, _manager, _person = setting
    second = DepartmentFactory(name="记账二部")
    UserFactory(roles=[Role.MANAGER], department=second, email="second@example.cn")
    other = make_person(make_client(department=second), resident_id="320106197809230418")

    with TestCase.captureOnCommitCallbacks(execute=True):
        _request(clerk, other)

    assert [message.to for message in mailoutbox] == [["second@example.cn"]]


def test_request_spanning_two_departments_is_refused(setting) -> None:
    clerk, _manager, person = setting
    other = make_client(department=DepartmentFactory(name="记账二部"))

    with pytest.raises(GrantError) as raised:
        grants.grant_request(
            actor=clerk,
            clients=[person.client, other],
            fields=[FIELD],
            actions=["reveal"],
            purpose="核对法定代表人身份证",
            duration_minutes=60,
        )

    assert raised.value.code == "clients_span_departments"
    assert not AccessGrant.objects.exists()


def test_pending_request_shows_on_the_managers_dashboard(setting, client) -> None:
    from tests.accounts.conftest import log_in
    from tests.accounts.factories import enrolled_staff

    clerk, _manager, person = setting
    _request(clerk, person)
    manager = enrolled_staff(roles=[Role.MANAGER], department=clerk.department)
    log_in(client, manager)

    page = client.get("/").content.decode()

    assert "待审批的临时权限申请" in page


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_yield_one() -> None:
    department = DepartmentFactory(name="记账三部")
    clerk = pass_gates(UserFactory(roles=[Role.CLERK], department=department))
    managers = [UserFactory(roles=[Role.MANAGER], department=department) for _ in range(2)]
    person = make_person(make_client(department=department))
    grant = _request(clerk, person)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(manager) -> None:
        barrier.wait()
        try:
            grants.grant_approve(actor=manager, grant=AccessGrant.objects.get(pk=grant.pk))
            outcomes.append("approved")
        except GrantError as error:
            outcomes.append(error.code)
        except Exception as error:  # noqa: BLE001 - the test reports any other failure
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(manager,)) for manager in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["already_decided", "approved"]
    assert AuditEvent.objects.filter(action=Action.GRANT_APPROVED).count() == 1
