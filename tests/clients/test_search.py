"""Searching encrypted fields through blind indexes (case L2)."""

from __future__ import annotations

import pytest

from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.clients import selectors, services
from tests.accounts.factories import DepartmentFactory, UserFactory
from tests.clients.factories import make_bank_account, make_client, make_person

pytestmark = pytest.mark.django_db

RESIDENT_ID = "33010619880315019X"


@pytest.fixture
def administrator():
    return UserFactory(roles=[Role.ADMINISTRATOR])


def _search(user, query: str) -> list:
    return list(
        selectors.client_list(user=user, filters=selectors.ClientFilters(query=query)).clients
    )


@pytest.mark.parametrize(
    "query",
    [
        "33010619880315019x",
        " 33010619880315019X",
        "３３０１０６１９８８０３１５０１９Ｘ",
        "330106 19880315 019X",
    ],
)
def test_resident_id_spellings_find_exactly_the_client(administrator, query: str) -> None:
    wanted = make_client(name="目标企业")
    make_person(wanted, resident_id=RESIDENT_ID)
    make_person(make_client(name="其他企业"))

    found = _search(administrator, query)

    assert found == [wanted]


def test_mobile_and_card_are_searchable(administrator) -> None:
    client = make_client()
    make_person(client, mobile="13912345678")
    make_bank_account(client, number="6222029876543214")

    assert _search(administrator, "+86 139 1234 5678") == [client]
    assert _search(administrator, "6222 0298 7654 3214") == [client]


def test_name_search_matches_part_of_company_name(administrator) -> None:
    client = make_client(name="杭州明远财税咨询有限公司")

    assert _search(administrator, "明远财税") == [client]


def test_search_only_returns_visible_clients() -> None:
    department = DepartmentFactory(name="记账一部")
    clerk = UserFactory(roles=[Role.CLERK], department=department)
    hidden = make_client(department=DepartmentFactory(name="记账二部"))
    make_person(hidden, resident_id=RESIDENT_ID)

    assert _search(clerk, RESIDENT_ID) == []


def test_identifier_search_is_audited_with_mask(administrator) -> None:
    services.client_search(actor=administrator, filters=selectors.ClientFilters(query=RESIDENT_ID))

    event = AuditEvent.objects.get(action=Action.SEARCH)
    assert event.details == {"query": "330***********019X"}
    assert RESIDENT_ID not in str(event.details)


def test_search_during_blind_index_rotation_uses_both_columns(administrator) -> None:
    """While the next index column is being back-filled, either column finds the row."""
    from shoumi.clients.models import Person

    client = make_client()
    person = make_person(client, resident_id=RESIDENT_ID)
    Person.objects.filter(pk=person.pk).allow_sealed_update().update(
        resident_id_blind_index="0" * 32
    )

    assert _search(administrator, RESIDENT_ID) == []
