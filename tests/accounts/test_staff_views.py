"""Staff administration pages (system administrator only)."""

from __future__ import annotations

import pytest
from django.test import Client

from shoumi.accounts.models import User
from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from tests.accounts.conftest import log_in
from tests.accounts.factories import enrolled_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin_client(client: Client) -> Client:
    log_in(client, enrolled_staff(roles=[Role.SYSTEM_ADMIN]))
    return client


@pytest.mark.parametrize(
    "role", [Role.CLERK, Role.MANAGER, Role.ADMINISTRATOR, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN]
)
def test_staff_pages_refuse_other_roles(client: Client, role: str) -> None:
    log_in(client, enrolled_staff(roles=[role]))

    response = client.get("/accounts/staff/")

    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_system_admin_creates_staff_and_sees_ticket_once(sysadmin_client: Client) -> None:
    response = sysadmin_client.post(
        "/accounts/staff/new/",
        {
            "employee_number": "c-0042",
            "full_name": "周芳",
            "new_department": "记账一部",
            "roles": [Role.CLERK],
        },
    )

    page = response.content.decode()
    created = User.objects.get(employee_number="C-0042")
    assert response.status_code == 200
    assert "one-time-password" in page
    assert "/accounts/enrol/" in page
    assert response["Cache-Control"] == "no-store"
    assert created.department is not None
    assert created.department.name == "记账一部"
    assert created.role_set == {Role.CLERK}
    assert AuditEvent.objects.filter(
        action=Action.STAFF_CREATED, object_id=str(created.pk)
    ).exists()


def test_create_form_offers_no_administrator_roles(sysadmin_client: Client) -> None:
    """A system administrator who created a security administrator could approve
    their own account resets, so those accounts are made on the server only."""
    page = sysadmin_client.get("/accounts/staff/new/").content.decode()
    response = sysadmin_client.post(
        "/accounts/staff/new/",
        {"employee_number": "A-7", "full_name": "吴敏", "roles": [Role.SECURITY_ADMIN]},
    )

    assert 'value="security_admin"' not in page
    assert 'value="audit_admin"' not in page
    assert 'value="clerk"' in page
    assert response.status_code == 200
    assert not User.objects.filter(employee_number="A-7").exists()


def test_service_refuses_administrator_roles_from_a_staff_actor() -> None:
    from django.core.exceptions import ValidationError

    from shoumi.accounts import services

    sysadmin = enrolled_staff(roles=[Role.SYSTEM_ADMIN], employee_number="SA-9").user

    with pytest.raises(ValidationError) as raised:
        services.staff_create(
            actor=sysadmin, employee_number="A-8", full_name="吴敏", roles=[Role.AUDIT_ADMIN]
        )
    operator_made = services.staff_create(
        actor=None, employee_number="A-9", full_name="郑丽", roles=[Role.AUDIT_ADMIN]
    )

    assert "shoumi staff-create" in str(raised.value)
    assert not User.objects.filter(employee_number="A-8").exists()
    assert operator_made.user.has_role(Role.AUDIT_ADMIN)


def test_create_form_rejects_duplicate_employee_number(sysadmin_client: Client) -> None:
    enrolled_staff(roles=[Role.CLERK], employee_number="DUP1")

    response = sysadmin_client.post(
        "/accounts/staff/new/",
        {"employee_number": "dup1", "full_name": "郑强", "roles": [Role.CLERK]},
    )

    assert response.status_code == 200
    assert User.objects.filter(employee_number="DUP1").count() == 1


def test_deactivate_stops_login(sysadmin_client: Client) -> None:
    target = enrolled_staff(roles=[Role.CLERK])

    sysadmin_client.post(f"/accounts/staff/{target.user.pk}/deactivate/")

    target.user.refresh_from_db()
    assert not target.user.is_active
    other = Client()
    response = other.post(
        "/accounts/login/", {"username": target.user.employee_number, "password": target.password}
    )
    assert response.status_code == 200
