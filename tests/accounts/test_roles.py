"""Separation of duties between the three administrator roles."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from shoumi.accounts import services
from shoumi.accounts.models import RoleAssignment
from shoumi.accounts.roles import Role, separation_of_duties_violation
from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from tests.accounts.factories import UserFactory

SEPARATED = [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN]


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ({Role.CLERK}, None),
        ({Role.CLERK, Role.REVIEWER, Role.MANAGER}, None),
        ({Role.SYSTEM_ADMIN}, None),
        ({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN}, "two_separated_admin_roles"),
        ({Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}, "two_separated_admin_roles"),
        ({Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN}, "two_separated_admin_roles"),
        ({Role.AUDIT_ADMIN, Role.ADMINISTRATOR}, "separated_admin_with_business_role"),
        ({Role.SECURITY_ADMIN, Role.CLERK}, "separated_admin_with_business_role"),
        ({"superuser"}, "unknown_role"),
    ],
)
def test_separation_of_duties_rule(roles: set[str], expected: str | None) -> None:
    assert separation_of_duties_violation(roles) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "second"), [(a, b) for a in SEPARATED for b in SEPARATED if a != b]
)
def test_model_rejects_second_separated_admin_role(first: str, second: str) -> None:
    user = UserFactory(roles=[first])

    with pytest.raises(ValidationError) as raised:
        RoleAssignment(user=user, role=second).full_clean()

    assert "三权分立" in " ".join(raised.value.messages)


@pytest.mark.django_db
def test_database_rejects_second_separated_admin_role() -> None:
    user = UserFactory(roles=[Role.SYSTEM_ADMIN])

    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.AUDIT_ADMIN)

    assert set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == {
        Role.SYSTEM_ADMIN
    }


@pytest.mark.django_db
def test_model_rejects_business_role_on_admin_account() -> None:
    user = UserFactory(roles=[Role.SECURITY_ADMIN])

    with pytest.raises(ValidationError) as raised:
        RoleAssignment(user=user, role=Role.REVIEWER).full_clean()

    assert raised.value.error_dict["__all__"][0].code == "separated_admin_with_business_role"


@pytest.mark.django_db
def test_model_rejects_admin_role_on_business_account() -> None:
    user = UserFactory(roles=[Role.MANAGER])

    with pytest.raises(ValidationError):
        RoleAssignment(user=user, role=Role.SYSTEM_ADMIN).full_clean()


@pytest.mark.django_db
def test_business_roles_combine() -> None:
    actor = UserFactory(roles=[Role.SYSTEM_ADMIN])
    user = UserFactory(roles=[Role.CLERK])

    services.role_assign(actor=actor, user=user, role=Role.REVIEWER)

    assert user.role_set == {Role.CLERK, Role.REVIEWER}
    assert (
        AuditEvent.objects.filter(action=Action.ROLE_ASSIGNED, object_id=str(user.pk)).count() == 1
    )


@pytest.mark.django_db
def test_staff_create_with_two_admin_roles_saves_nothing() -> None:
    with pytest.raises(ValidationError):
        services.staff_create(
            actor=None,
            employee_number="A100",
            full_name="测试",
            roles=[Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN],
        )

    assert not RoleAssignment.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_role_assign_refusal_is_not_audited_as_success() -> None:
    actor = UserFactory(roles=[Role.SYSTEM_ADMIN])
    user = UserFactory(roles=[Role.AUDIT_ADMIN])

    with pytest.raises(ValidationError):
        services.role_assign(actor=actor, user=user, role=Role.SECURITY_ADMIN)

    assert not AuditEvent.objects.filter(action=Action.ROLE_ASSIGNED).exists()
