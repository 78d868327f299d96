"""Grant request and decision pages: picking visible clients, Chinese labels for managers."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client as HttpClient

from shoumi.access import grants
from shoumi.access.models import AccessGrant, ApprovalRequest
from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.clients import services as client_services
from tests.accounts.conftest import log_in
from tests.accounts.factories import DepartmentFactory, enrolled_staff
from tests.clients.factories import make_client, make_person
from tests.staff.factories import pass_gates

pytestmark = pytest.mark.django_db

FIELD = "clients.person.resident_id"
NOT_FOUND = "在您可查看的客户中找不到所选客户"


@pytest.fixture
def department():
    return DepartmentFactory(name="记账一部")


def _logged_in(role: str, department) -> tuple[HttpClient, object]:
    browser = HttpClient()
    staff = enrolled_staff(roles=[role], department=department)
    pass_gates(staff.user)
    log_in(browser, staff)
    return browser, staff.user


def _form(client_ids: list[str]) -> dict[str, object]:
    return {
        "clients": client_ids,
        "field_keys": [FIELD],
        "actions": ["reveal"],
        "duration_minutes": "60",
        "purpose": "办理工商变更",
    }


def _client_without_credit_code(department):
    return client_services.client_create(
        actor=None, name="城东个体商店", uscc="", department=department
    )


def test_client_without_credit_code_can_be_requested(department) -> None:
    client = _client_without_credit_code(department)
    browser, clerk = _logged_in(Role.CLERK, department)

    response = browser.post("/access/grants/new/", _form([str(client.pk)]))

    assert response.status_code == 302
    grant = AccessGrant.objects.get(requester=clerk)
    assert list(grant.clients.all()) == [client]
    event = AuditEvent.objects.get(action=Action.GRANT_REQUESTED)
    assert event.details["clients"] == [str(client.pk)]


def test_request_page_lists_only_visible_clients(department) -> None:
    own = _client_without_credit_code(department)
    coded = make_client(department=department, name="宁波新桥贸易有限公司")
    hidden = make_client(department=DepartmentFactory(name="记账二部"), name="温州远航有限公司")
    browser, _clerk = _logged_in(Role.CLERK, department)

    page = browser.get("/access/grants/new/").content.decode()

    assert own.name in page
    assert f"{coded.name}（{coded.uscc}）" in page
    assert hidden.name not in page
    assert hidden.uscc not in page


def test_client_link_preselects_the_client(department) -> None:
    client = _client_without_credit_code(department)
    browser, _clerk = _logged_in(Role.CLERK, department)

    page = browser.get("/access/grants/new/", {"client": str(client.pk)}).content.decode()

    assert f'<option value="{client.pk}" selected>' in page


@pytest.mark.parametrize("kind", ["hidden", "unknown", "malformed"])
def test_client_outside_view_is_not_found(department, kind: str) -> None:
    hidden = make_client(department=DepartmentFactory(name="记账二部"))
    client_id = {
        "hidden": str(hidden.pk),
        "unknown": str(uuid.uuid4()),
        "malformed": "91330106MA2B3C4D5E",
    }[kind]
    browser, _clerk = _logged_in(Role.CLERK, department)

    response = browser.post("/access/grants/new/", _form([client_id]))

    assert response.status_code == 200
    assert NOT_FOUND in response.content.decode()
    assert not AccessGrant.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.GRANT_REQUESTED).exists()


def test_request_without_client_names_the_problem(department) -> None:
    browser, _clerk = _logged_in(Role.CLERK, department)

    response = browser.post("/access/grants/new/", _form([]))

    assert "请至少选择一个客户" in response.content.decode()
    assert not AccessGrant.objects.exists()


def test_manager_sees_field_and_action_labels(department) -> None:
    client = make_client(department=department, name="宁波新桥贸易有限公司")
    _browser, clerk = _logged_in(Role.CLERK, department)
    grants.grant_request(
        actor=clerk,
        clients=[client],
        fields=[FIELD, "documents.document.scan"],
        actions=["reveal", "export"],
        purpose="办理工商变更",
        duration_minutes=60,
    )
    manager_browser, _manager = _logged_in(Role.MANAGER, department)

    page = manager_browser.get("/access/grants/").content.decode()
    start = page.index('id="grants-waiting"')
    waiting = page[start : page.index("</section>", start)]

    assert "人员：证件号码、证照扫描件：水印副本" in waiting
    assert "导出、查看明文" in waiting
    assert FIELD not in waiting
    assert "reveal" not in waiting


def test_break_glass_summary_names_the_field_label(department) -> None:
    from shoumi.access import services

    client = make_client(department=department, name="宁波新桥贸易有限公司")
    person = make_person(client, resident_id="33010619880315019X")
    administrator = pass_gates(
        enrolled_staff(roles=[Role.ADMINISTRATOR], department=department).user
    )

    services.break_glass_request(
        user=administrator, record=person, field="resident_id", reason="核对法定代表人身份"
    )

    summary = ApprovalRequest.objects.get().summary
    assert "人员：证件号码" in summary
    assert "resident_id" not in summary
