from __future__ import annotations

import pytest
from django.test import Client

from shoumi.accounts.roles import Role
from tests.accounts.factories import EnrolledStaff, enrolled_staff


@pytest.fixture
def clerk(db: None) -> EnrolledStaff:
    return enrolled_staff(roles=[Role.CLERK])


def log_in(client: Client, staff: EnrolledStaff, *, step_offset: int = 0) -> None:
    """Log ``staff`` in through both login steps and assert it worked."""
    response = client.post(
        "/accounts/login/", {"username": staff.user.employee_number, "password": staff.password}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert response["Location"] == "/accounts/login/verify/"
    response = client.post(
        "/accounts/login/verify/", {"otp_token": staff.code(step_offset=step_offset)}
    )
    assert response.status_code == 302, response.content.decode()[:500]
