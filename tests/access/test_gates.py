"""Access gates: each missing requirement refuses a reveal with its own Chinese message."""

from __future__ import annotations

import datetime

import pytest

from shoumi.access import gates, policy, services
from shoumi.access.errors import RevealDeniedError
from shoumi.accounts.roles import Role
from shoumi.clients.models import Client
from shoumi.config import clock
from shoumi.staff import services as staff
from shoumi.staff.models import ConfidentialityAgreement, TrainingRecord
from tests.accounts.factories import DepartmentFactory, UserFactory
from tests.clients.factories import make_client, make_person
from tests.staff.factories import current_course, pass_gates

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer_and_person():
    department = DepartmentFactory(name="复核部")
    reviewer = pass_gates(UserFactory(roles=[Role.REVIEWER], department=department))
    return reviewer, make_person(make_client(department=department))


def _refusal(reviewer, person) -> RevealDeniedError:
    with pytest.raises(RevealDeniedError) as raised:
        services.reveal(user=reviewer, record=person, field="resident_id", purpose="核对身份")
    return raised.value


def test_all_gates_open(reviewer_and_person) -> None:
    reviewer, person = reviewer_and_person

    assert services.reveal(user=reviewer, record=person, field="resident_id", purpose="核对身份")


def test_missing_agreement(reviewer_and_person) -> None:
    reviewer, person = reviewer_and_person
    ConfidentialityAgreement.objects.filter(user=reviewer).delete()

    error = _refusal(reviewer, person)

    assert error.code == "agreement_missing"
    assert "保密协议" in error.message
    assert "安全管理员" in error.message


def test_expired_agreement_names_the_date(reviewer_and_person) -> None:
    reviewer, person = reviewer_and_person
    ConfidentialityAgreement.objects.filter(user=reviewer).update(
        valid_until=datetime.date(2026, 1, 31)
    )

    error = _refusal(reviewer, person)

    assert error.code == "agreement_expired"
    assert "2026-01-31" in error.message


def test_missing_training(reviewer_and_person) -> None:
    reviewer, person = reviewer_and_person
    TrainingRecord.objects.filter(user=reviewer).delete()

    error = _refusal(reviewer, person)

    assert error.code == "training_missing"
    assert "培训" in error.message


def test_training_of_an_old_course_does_not_count(reviewer_and_person) -> None:
    reviewer, person = reviewer_and_person
    current_course()
    staff.course_make_current(actor=None, name="数据保护培训", version="2027")

    assert _refusal(reviewer, person).code == "training_missing"


def test_offboarding_closes_reveals(reviewer_and_person) -> None:
    reviewer, person = reviewer_and_person
    staff.offboarding_start(actor=None, user=reviewer, last_day_on=clock.now().date())

    error = _refusal(reviewer, person)

    assert error.code == "offboarding"
    assert "离职" in error.message


def test_unverified_session_is_refused(reviewer_and_person, rf) -> None:
    reviewer, person = reviewer_and_person
    request = rf.get("/")
    reviewer.is_verified = lambda: False
    request.user = reviewer

    with pytest.raises(RevealDeniedError) as raised:
        services.reveal(
            user=reviewer, record=person, field="resident_id", purpose="核对身份", request=request
        )

    assert raised.value.code == "two_factor_missing"
    assert "双因素" in raised.value.message


def test_refused_gate_is_audited(reviewer_and_person) -> None:
    from shoumi.audit.actions import Action, Result
    from shoumi.audit.models import AuditEvent

    reviewer, person = reviewer_and_person
    TrainingRecord.objects.filter(user=reviewer).delete()
    _refusal(reviewer, person)

    event = AuditEvent.objects.get(action=Action.REVEAL)
    assert event.result == Result.DENIED
    assert event.details["gate"] == "training_missing"


def test_the_latest_agreement_counts(reviewer_and_person) -> None:
    reviewer, person = reviewer_and_person
    ConfidentialityAgreement.objects.create(
        user=reviewer, signed_on=datetime.date(2024, 1, 1), valid_until=datetime.date(2025, 1, 1)
    )

    assert services.reveal(user=reviewer, record=person, field="resident_id", purpose="核对身份")
    assert gates.failed_gates(reviewer) == []


def test_deactivated_account_fails_every_gate_it_has(reviewer_and_person) -> None:
    reviewer, _person = reviewer_and_person
    reviewer.is_active = False
    reviewer.save(update_fields=["is_active"])

    assert [failure.code for failure in gates.failed_gates(reviewer)] == ["account_inactive"]


def test_gates_of_an_unsaved_user() -> None:
    codes = [failure.code for failure in gates.failed_gates(UserFactory.build())]

    assert codes == ["account_inactive", "agreement_missing", "training_missing"]


def test_gate_query_tells_own_clients_as_the_policy_does() -> None:
    department = DepartmentFactory(name="一部")
    other = DepartmentFactory(name="二部")
    clerk = UserFactory(roles=[Role.CLERK], department=department)
    assigned_only = UserFactory(roles=[Role.REVIEWER], department=None)
    users = [
        clerk,
        assigned_only,
        UserFactory(roles=[Role.MANAGER], department=other),
        UserFactory(roles=[Role.ADMINISTRATOR], department=None),
        UserFactory(roles=[Role.SECURITY_ADMIN], department=department),
        UserFactory(roles=[Role.CLERK], department=department, is_active=False),
    ]
    clients = [
        make_client(department=department),
        make_client(department=other, staff=[assigned_only]),
        make_client(department=None, staff=[clerk]),
        Client(name="未保存"),
    ]

    for user in users:
        for client in clients:
            expected = policy.is_own_client(user, client)
            assert gates.gate_state(user, client=client).own_client is expected, (user, client)
    assert gates.gate_state(clerk).own_client is None
    assert [policy.is_own_client(clerk, client) for client in clients] == [True, False, True, False]
