"""The reveal service: policy, audit first, fail closed, plaintext to one caller."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from shoumi.access import services
from shoumi.access.errors import PurposeInvalidError, RevealDeniedError, RevealFailedError
from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action, Result
from shoumi.audit.errors import AuditError
from shoumi.audit.models import AuditEvent, SubtreeHash
from shoumi.clients.models import Person
from tests.accounts.factories import DepartmentFactory, UserFactory
from tests.clients.factories import make_client, make_person
from tests.staff.factories import pass_gates

pytestmark = pytest.mark.django_db

RESIDENT_ID = "33010619880315019X"


@pytest.fixture
def department():
    return DepartmentFactory(name="记账一部")


@pytest.fixture
def person(department) -> Person:
    return make_person(make_client(department=department), resident_id=RESIDENT_ID)


def _reveal_events():
    return AuditEvent.objects.filter(action=Action.REVEAL)


def test_reviewer_of_the_department_reveals(person: Person, department) -> None:
    reviewer = pass_gates(UserFactory(roles=[Role.REVIEWER], department=department))

    plaintext = services.reveal(
        user=reviewer, record=person, field="resident_id", purpose="办理工商年报"
    )

    assert plaintext == RESIDENT_ID
    event = _reveal_events().get()
    assert event.actor_id == reviewer.pk
    assert event.result == Result.SUCCESS
    assert event.object_type == "clients.person"
    assert event.object_id == str(person.pk)
    assert event.field == "resident_id"
    assert event.purpose == "办理工商年报"
    assert event.details == {"client": str(person.client_id)}


def test_administrator_reveal_needs_a_second_person(person: Person) -> None:
    administrator = pass_gates(UserFactory(roles=[Role.ADMINISTRATOR], department=None))

    with pytest.raises(RevealDeniedError) as raised:
        services.reveal(user=administrator, record=person, field="mobile", purpose="核对联系方式")

    assert raised.value.code == "needs_second_person"
    assert raised.value.needs_approval


def test_clerk_is_refused_with_clear_message(person: Person, department) -> None:
    clerk = pass_gates(UserFactory(roles=[Role.CLERK], department=department))

    with pytest.raises(RevealDeniedError) as raised:
        services.reveal(user=clerk, record=person, field="resident_id", purpose="办理工商年报")

    assert "只能查看脱敏" in raised.value.message
    assert raised.value.code == "role_cannot_reveal"
    event = _reveal_events().get()
    assert event.result == Result.DENIED
    assert event.actor_id == clerk.pk


def test_reviewer_of_another_department_is_refused(person: Person) -> None:
    outsider = pass_gates(
        UserFactory(roles=[Role.REVIEWER], department=DepartmentFactory(name="记账二部"))
    )

    with pytest.raises(RevealDeniedError) as raised:
        services.reveal(user=outsider, record=person, field="resident_id", purpose="办理工商年报")

    assert raised.value.code == "client_not_assigned"


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_separated_administrators_are_refused(person: Person, role: str) -> None:
    admin = pass_gates(UserFactory(roles=[role], department=None))
    person.client.assigned_staff.add(admin)

    with pytest.raises(RevealDeniedError) as raised:
        services.reveal(user=admin, record=person, field="resident_id", purpose="查看")

    assert raised.value.code == "separated_admin"


@pytest.mark.parametrize("purpose", ["", " ", "x", "长" * 201])
def test_purpose_is_required(person: Person, department, purpose: str) -> None:
    reviewer = pass_gates(UserFactory(roles=[Role.REVIEWER], department=department))

    with pytest.raises(PurposeInvalidError):
        services.reveal(user=reviewer, record=person, field="resident_id", purpose=purpose)

    assert not _reveal_events().exists()


def test_failing_event_store_makes_reveal_fail(person: Person, department, monkeypatch) -> None:
    reviewer = pass_gates(UserFactory(roles=[Role.REVIEWER], department=department))
    opened = []

    def broken_append(**kwargs):
        raise AuditError("The audit event could not be stored.")

    monkeypatch.setattr(services.audit, "append", broken_append)
    monkeypatch.setattr(services.vault, "open_for_reveal", lambda **kwargs: opened.append(1) or "x")

    with pytest.raises(AuditError):
        services.reveal(user=reviewer, record=person, field="resident_id", purpose="办理工商年报")

    assert opened == []


def test_database_refusing_the_event_makes_reveal_fail(person: Person, department) -> None:
    from django.db import connection

    reviewer = pass_gates(UserFactory(roles=[Role.REVIEWER], department=department))
    # The gate query reads the event table. The append also writes the subtree hashes.
    table = SubtreeHash._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_gone")
    try:
        with pytest.raises(AuditError):
            services.reveal(
                user=reviewer, record=person, field="resident_id", purpose="办理工商年报"
            )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_gone RENAME TO {table}")


def test_tampered_value_reports_failure_and_audits_it(person: Person, department) -> None:
    reviewer = pass_gates(UserFactory(roles=[Role.REVIEWER], department=department))
    sealed = Person.objects.filter(pk=person.pk).values_list("resident_id", flat=True).get()
    tampered = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    Person.objects.filter(pk=person.pk).allow_sealed_update().update(resident_id=tampered)

    with pytest.raises(RevealFailedError):
        services.reveal(
            user=reviewer,
            record=Person.objects.get(pk=person.pk),
            field="resident_id",
            purpose="办理工商年报",
        )

    assert list(_reveal_events().values_list("result", flat=True)) == [Result.FAILURE]


def test_reveal_logs_no_plaintext(person: Person, department, caplog) -> None:
    reviewer = pass_gates(UserFactory(roles=[Role.REVIEWER], department=department))

    with caplog.at_level("DEBUG"):
        services.reveal(user=reviewer, record=person, field="resident_id", purpose="办理工商年报")

    assert RESIDENT_ID not in caplog.text
    assert RESIDENT_ID not in str(list(AuditEvent.objects.values()))


def test_reveal_runs_a_fixed_number_of_queries(
    person: Person, department, django_assert_num_queries
) -> None:
    reviewer = pass_gates(UserFactory(roles=[Role.REVIEWER], department=department))
    # A Wednesday at 10:00 in Asia/Shanghai, so that no alert is raised.
    working_hours = datetime.datetime(
        2026, 12, 2, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
    )

    with time_machine.travel(working_hours, tick=False):
        services.reveal(user=reviewer, record=person, field="resident_id", purpose="办理工商年报")
        # Gates, own client and the last hour's reveal count. Then the
        # reveal's savepoint, the log head with its compact range, the insert
        # of subtree hashes, the event, the head update and the savepoint's
        # release.
        with django_assert_num_queries(7):
            services.reveal(
                user=reviewer, record=person, field="resident_id", purpose="办理工商年报"
            )
