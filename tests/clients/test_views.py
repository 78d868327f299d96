"""Client pages: masked lists, not-found for other clients, reveal through htmx."""

from __future__ import annotations

import json

import pytest
from django.test import Client as HttpClient

from shoumi.access.models import Alert, AlertKind
from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action, Result
from shoumi.audit.models import AuditEvent
from shoumi.clients.models import AccountKind, Client, Person
from tests.accounts.conftest import log_in
from tests.accounts.factories import DepartmentFactory, enrolled_staff
from tests.clients.factories import make_bank_account, make_client, make_person
from tests.staff.factories import pass_gates

pytestmark = pytest.mark.django_db

RESIDENT_ID = "33010619880315019X"


@pytest.fixture
def department():
    return DepartmentFactory(name="记账一部")


@pytest.fixture
def own_client(department) -> Client:
    client = make_client(department=department, name="杭州明远财税咨询有限公司")
    make_person(client, resident_id=RESIDENT_ID, mobile="13912345678", name="王小明")
    make_bank_account(client, number="6222029876543214")
    return client


def _logged_in(role: str, department) -> HttpClient:
    browser = HttpClient()
    staff = enrolled_staff(roles=[role], department=department)
    pass_gates(staff.user)
    log_in(browser, staff)
    return browser


def test_list_and_detail_show_only_masks(own_client: Client, department) -> None:
    browser = _logged_in(Role.CLERK, department)

    listing = browser.get("/clients/").content.decode()
    detail = browser.get(f"/clients/{own_client.pk}/").content.decode()

    assert "杭州明远财税咨询有限公司" in listing
    for page in (listing, detail):
        assert RESIDENT_ID not in page
        assert "13912345678" not in page
        assert "6222029876543214" not in page
        assert "王小明" not in page
    assert "330***********019X" in detail
    assert "139****5678" in detail
    assert "王**" in detail or "王*" in detail


def test_other_departments_client_answers_404(department) -> None:
    hidden = make_client(department=DepartmentFactory(name="记账二部"))
    browser = _logged_in(Role.CLERK, department)

    assert browser.get(f"/clients/{hidden.pk}/").status_code == 404
    assert browser.get(f"/clients/{hidden.pk}/edit/").status_code == 404
    assert hidden.name not in browser.get("/clients/").content.decode()


def test_separated_administrator_sees_no_clients(own_client: Client) -> None:
    browser = _logged_in(Role.SECURITY_ADMIN, None)

    assert browser.get(f"/clients/{own_client.pk}/").status_code == 404
    assert own_client.name not in browser.get("/clients/").content.decode()


def test_reviewer_reveals_through_htmx(own_client: Client, department) -> None:
    person = Person.objects.get(client=own_client)
    browser = _logged_in(Role.REVIEWER, department)
    url = f"/access/reveal/person/{person.pk}/resident_id/"

    form = browser.get(url, HTTP_HX_REQUEST="true")
    revealed = browser.post(url, {"purpose": "办理工商年报"}, HTTP_HX_REQUEST="true")

    assert 'name="purpose"' in form.content.decode()
    assert RESIDENT_ID in revealed.content.decode()
    assert 'data-hide-after="30"' in revealed.content.decode()
    assert revealed["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action=Action.REVEAL, result=Result.SUCCESS).count() == 1


def test_clerk_reveal_shows_the_reason(own_client: Client, department) -> None:
    person = Person.objects.get(client=own_client)
    browser = _logged_in(Role.CLERK, department)

    response = browser.post(
        f"/access/reveal/person/{person.pk}/resident_id/", {"purpose": "办理工商年报"}
    )

    page = response.content.decode()
    assert RESIDENT_ID not in page
    assert "只能查看脱敏" in page


def test_reveal_of_hidden_client_answers_404(department) -> None:
    hidden = make_client(department=DepartmentFactory(name="记账二部"))
    person = make_person(hidden)
    browser = _logged_in(Role.REVIEWER, department)

    response = browser.post(f"/access/reveal/person/{person.pk}/resident_id/", {"purpose": "x" * 5})

    event = AuditEvent.objects.get(action=Action.REVEAL)
    assert response.status_code == 404
    assert (event.result, event.object_id) == (Result.DENIED, str(person.pk))
    assert event.details == {"reason": "not_found_or_hidden"}
    assert Alert.objects.filter(kind=AlertKind.UNASSIGNED_CLIENT).count() == 1


def _search(browser: HttpClient, query: str, **filters: str):
    """Post the search form as the page does and follow the redirect to the result."""
    return browser.post("/clients/", {"q": query, **filters}, follow=True)


def test_search_text_never_appears_in_an_address(own_client: Client, department) -> None:
    browser = _logged_in(Role.CLERK, department)

    posted = browser.post("/clients/", {"q": RESIDENT_ID, "status": "active"})
    result = browser.get(posted["Location"])

    assert posted.status_code == 302
    assert RESIDENT_ID not in posted["Location"]
    assert "0418" not in posted["Location"]
    assert "?s=" in posted["Location"]
    assert "status=active" in posted["Location"]
    assert own_client.name in result.content.decode()
    assert "no-store" in result["Cache-Control"]


def test_search_by_htmx_answers_with_a_location(own_client: Client, department) -> None:
    browser = _logged_in(Role.CLERK, department)

    posted = browser.post("/clients/", {"q": RESIDENT_ID}, headers={"HX-Request": "true"})

    location = json.loads(posted["HX-Location"])
    assert posted.status_code == 204
    assert RESIDENT_ID not in location["path"]
    assert location["target"] == "#client-table"
    partial = browser.get(location["path"], headers={"HX-Request": "true"}).content.decode()
    assert own_client.name in partial


def test_plain_query_in_the_address_is_ignored(own_client: Client, department) -> None:
    other = make_client(department=department, name="台州东海机械有限公司")
    browser = _logged_in(Role.CLERK, department)

    page = browser.get("/clients/", {"q": RESIDENT_ID}).content.decode()

    assert own_client.name in page
    assert other.name in page
    assert RESIDENT_ID not in page


def test_search_token_opens_nothing_for_another_user(own_client: Client, department) -> None:
    other = make_client(department=department, name="台州东海机械有限公司")
    searcher = _logged_in(Role.CLERK, department)
    location = searcher.post("/clients/", {"q": RESIDENT_ID})["Location"]
    colleague = _logged_in(Role.CLERK, department)

    page = colleague.get(location).content.decode()

    assert other.name in page
    assert own_client.name in page
    assert RESIDENT_ID not in page


def test_export_approval_names_the_search_without_its_text(own_client: Client, department) -> None:
    from shoumi.access.models import ApprovalRequest

    browser = _logged_in(Role.MANAGER, department)
    location = browser.post("/clients/", {"q": RESIDENT_ID})["Location"]
    query = location.split("?", 1)[1]

    browser.post(f"/clients/export/approval/?{query}", {"file_format": "csv", "purpose": "年报"})

    request = ApprovalRequest.objects.get()
    assert RESIDENT_ID not in json.dumps(request.subject)
    assert "0418" not in request.subject_key
    assert "query=" in request.subject["filters"]


def test_search_by_resident_id_finds_the_client(own_client: Client, department) -> None:
    browser = _logged_in(Role.CLERK, department)

    page = _search(browser, "33010619880315019x").content.decode()

    assert own_client.name in page
    assert "330***********019X" in page
    assert RESIDENT_ID not in page


def test_search_by_account_number(department) -> None:
    wanted = make_client(department=department, name="宁波新桥贸易有限公司")
    make_bank_account(wanted, number="281590830166", kind=AccountKind.CORPORATE)
    hidden = make_client(department=DepartmentFactory(name="记账二部"), name="温州远航有限公司")
    make_bank_account(hidden, number="281590830166", kind=AccountKind.CORPORATE)
    browser = _logged_in(Role.CLERK, department)

    page = _search(browser, "2815 9083 0166").content.decode()

    assert wanted.name in page
    assert hidden.name not in page
    assert "****0166" in page
    assert "281590830166" not in page
    assert browser.get(f"/clients/{hidden.pk}/").status_code == 404


def test_create_person_form_reports_chinese_errors(own_client: Client, department) -> None:
    browser = _logged_in(Role.CLERK, department)

    response = browser.post(
        f"/clients/{own_client.pk}/people/new/",
        {"role": "contact", "name": "赵六", "resident_id": "1.10105E+17", "mobile": ""},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "科学计数法" in page
    assert Person.objects.filter(client=own_client).count() == 1


def test_create_client_then_person(department) -> None:
    browser = _logged_in(Role.CLERK, department)

    created = browser.post(
        "/clients/new/",
        {
            "name": "宁波新桥贸易有限公司",
            "uscc": "91310115MA1K2R0080",
            "status": "active",
            "department": department.pk,
        },
    )
    client = Client.objects.get(name="宁波新桥贸易有限公司")
    person = browser.post(
        f"/clients/{client.pk}/people/new/",
        {
            "role": "legal_rep",
            "name": "钱七",
            "resident_id": "320106197809230418",
            "mobile": "13800138000",
        },
    )

    assert created.status_code == 302
    assert person.status_code == 302
    assert str(Person.objects.get(client=client).resident_id) == "320***********0418"


def test_reviewer_sees_no_edit_links_and_cannot_create(own_client: Client, department) -> None:
    browser = _logged_in(Role.REVIEWER, department)

    listing = browser.get("/clients/").content.decode()
    detail = browser.get(f"/clients/{own_client.pk}/").content.decode()
    create_page = browser.get("/clients/new/")
    created = browser.post(
        "/clients/new/",
        {"name": "越权新建有限公司", "status": "active", "department": department.pk},
    )

    assert "新增客户" not in listing
    assert "导入台账" not in listing
    assert f"/clients/{own_client.pk}/edit/" not in detail
    assert "/people/new/" not in detail
    assert (create_page.status_code, created.status_code) == (403, 403)
    assert not Client.objects.filter(name="越权新建有限公司").exists()


def test_clerk_sees_create_import_and_edit_links(own_client: Client, department) -> None:
    browser = _logged_in(Role.CLERK, department)

    listing = browser.get("/clients/").content.decode()
    detail = browser.get(f"/clients/{own_client.pk}/").content.decode()

    assert "新增客户" in listing
    assert "导入台账" in listing
    assert f"/clients/{own_client.pk}/edit/" in detail


def test_service_refuses_client_creation_by_reviewer(department) -> None:
    from shoumi.clients import services
    from shoumi.clients.errors import EditDeniedError

    reviewer = enrolled_staff(roles=[Role.REVIEWER], department=department).user

    with pytest.raises(EditDeniedError) as raised:
        services.client_create(actor=reviewer, name="越权新建有限公司", department=department)

    assert raised.value.code == "create_denied"
    assert not Client.objects.filter(name="越权新建有限公司").exists()


def test_list_page_query_count_does_not_grow_with_clients(
    department, django_assert_max_num_queries
) -> None:
    staff = enrolled_staff(roles=[Role.CLERK], department=department)
    browser = HttpClient()
    log_in(browser, staff)
    for _ in range(30):
        make_client(department=department, staff=[staff.user])

    with django_assert_max_num_queries(12):
        response = browser.get("/clients/")

    assert response.status_code == 200


def test_staff_filter_offers_a_clerk_only_their_department(department) -> None:
    from shoumi.accounts.models import User
    from tests.accounts.factories import UserFactory

    colleague = UserFactory(roles=[Role.REVIEWER], department=department, full_name="同部门甲")
    outsider = UserFactory(
        roles=[Role.CLERK], department=DepartmentFactory(name="外部门"), full_name="外部门乙"
    )
    UserFactory(roles=[Role.SECURITY_ADMIN], full_name="安全管理员丙")
    browser = _logged_in(Role.CLERK, department)

    page = browser.get("/clients/").content.decode()
    filtered = browser.get(f"/clients/?staff={outsider.pk}")

    assert colleague.employee_number in page
    assert outsider.employee_number not in page
    assert "安全管理员丙" not in page
    assert filtered.status_code == 200
    assert User.objects.filter(pk=outsider.pk).exists()


def test_staff_filter_offers_an_administrator_everyone_with_clients(department) -> None:
    from tests.accounts.factories import UserFactory

    outsider = UserFactory(roles=[Role.CLERK], department=DepartmentFactory(name="外部门"))
    browser = _logged_in(Role.ADMINISTRATOR, department)

    page = browser.get("/clients/").content.decode()

    assert outsider.employee_number in page


def test_refused_reveal_purpose_names_its_reason(own_client: Client, department) -> None:
    from shoumi.clients.synthetic import SyntheticData

    person = own_client.people.get()
    browser = _logged_in(Role.REVIEWER, department)
    purpose = f"核对 {SyntheticData(seed=41).resident_id()} 的资料"

    response = browser.post(f"/access/reveal/person/{person.pk}/resident_id/", {"purpose": purpose})

    assert response.status_code == 200
    assert "请勿在此填写证件号码" in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.REVEAL).exists()


def test_refused_export_approval_reason_is_shown(own_client: Client, department) -> None:
    from shoumi.clients.synthetic import SyntheticData

    browser = _logged_in(Role.MANAGER, department)

    response = browser.post(
        "/clients/export/approval/",
        {"file_format": "csv", "purpose": f"联系 {SyntheticData(seed=42).mobile()}"},
        follow=True,
    )

    assert "请勿在此填写证件号码" in response.content.decode()
