"""Pages of the access model: history for reviewers only, matrix for the security administrator."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from shoumi.accounts.roles import Role
from shoumi.clients import services
from shoumi.clients.errors import EditDeniedError
from tests.accounts.conftest import log_in
from tests.accounts.factories import DepartmentFactory, UserFactory, enrolled_staff
from tests.clients.factories import make_client, make_person
from tests.staff.factories import pass_gates

pytestmark = pytest.mark.django_db


@pytest.fixture
def department():
    return DepartmentFactory(name="页面部")


def _browser(role: str, department) -> HttpClient:
    browser = HttpClient()
    staff = enrolled_staff(roles=[role], department=department)
    pass_gates(staff.user)
    log_in(browser, staff)
    return browser


def test_clerk_cannot_open_change_history(department) -> None:
    client = make_client(department=department)

    response = _browser(Role.CLERK, department).get(f"/clients/{client.pk}/history/")

    assert response.status_code == 403


def test_reviewer_opens_change_history(department) -> None:
    client = make_client(department=department)
    make_person(client, resident_id="33010619880315019X")

    page = (
        _browser(Role.REVIEWER, department).get(f"/clients/{client.pk}/history/").content.decode()
    )

    assert "新增客户数据" in page
    assert "33010619880315019X" not in page


def test_reviewer_cannot_edit_submitted_data(department) -> None:
    reviewer = UserFactory(roles=[Role.REVIEWER], department=department)
    client = make_client(department=department)

    with pytest.raises(EditDeniedError):
        services.client_update(actor=reviewer, client=client, name="改名")


def test_clerk_cannot_reassign_clients(department) -> None:
    clerk = UserFactory(roles=[Role.CLERK], department=department)
    client = make_client(department=department)

    with pytest.raises(EditDeniedError) as raised:
        services.client_update(actor=clerk, client=client, assigned_staff=[clerk])

    assert raised.value.code == "assignment_denied"


def test_security_admin_sees_the_matrix_in_chinese() -> None:
    page = _browser(Role.SECURITY_ADMIN, None).get("/access/matrix/").content.decode()

    assert "权限矩阵" in page
    assert "需双人审批" in page
    assert "高度敏感" in page


@pytest.mark.parametrize("role", [Role.CLERK, Role.MANAGER, Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN])
def test_matrix_page_is_for_the_security_admin_only(department, role: str) -> None:
    assert _browser(role, department).get("/access/matrix/").status_code == 403


def test_compliance_page_records_an_agreement(department) -> None:
    member = UserFactory(roles=[Role.CLERK], department=department)
    browser = _browser(Role.SECURITY_ADMIN, None)

    response = browser.post(
        "/staff/compliance/",
        {
            "kind": "agreement",
            "agreement-user": member.pk,
            "agreement-signed_on": "2026-11-01",
            "agreement-valid_until": "2029-10-31",
        },
    )

    assert response.status_code == 302
    assert member.confidentiality_agreements.count() == 1


def test_compliance_page_names_other_staff_gaps_in_the_third_person(department) -> None:
    member = UserFactory(roles=[Role.CLERK], department=department, full_name="未签协议")
    browser = _browser(Role.SECURITY_ADMIN, None)

    compliance = browser.get("/staff/compliance/").content.decode()
    member_page = browser.get(f"/staff/members/{member.pk}/").content.decode()

    for page in (compliance, member_page):
        assert "未登记保密协议" in page
        assert "未通过本期数据保护培训或培训已过期" in page
        assert "您" not in page.split("<main", 1)[-1].split("</main>", 1)[0]
