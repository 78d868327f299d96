"""Searching encrypted fields through blind indexes (case L2)."""

from __future__ import annotations

import pytest

from shoumi.accounts.roles import Role
from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.clients import selectors, services
from shoumi.clients.models import AccountKind
from tests.accounts.factories import DepartmentFactory, UserFactory
from tests.clients.factories import make_bank_account, make_client, make_person

pytestmark = pytest.mark.django_db

RESIDENT_ID = "33010619880315019X"
# Synthetic numbers. The account number is no valid card (its Luhn digit is wrong),
# the card fails the Luhn check, and the 18-digit number is a valid resident ID.
ACCOUNT_NUMBER = "281590830166"
LUHN_FAILING_CARD = "6222029876543215"
DIGITS_ONLY_RESIDENT_ID = "320106197809230418"


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
    assert event.details == {"query": "330***********019X", "kinds": ["resident_id"]}
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


@pytest.mark.parametrize("query", [ACCOUNT_NUMBER, "2815 9083 0166", "2815-9083-0166"])
def test_corporate_account_is_found(administrator, query: str) -> None:
    wanted = make_client(name="目标企业")
    make_bank_account(wanted, number=ACCOUNT_NUMBER, kind=AccountKind.CORPORATE)
    make_bank_account(make_client(name="其他企业"), kind=AccountKind.CORPORATE)

    found = _search(administrator, query)

    assert found == [wanted]


def test_luhn_failing_card_is_found(administrator) -> None:
    wanted = make_client(name="目标企业")
    account = services.bank_account_save(
        actor=None,
        client=wanted,
        bank_name="中国建设银行",
        account_kind=AccountKind.CARD,
        account_number=LUHN_FAILING_CARD,
        pending_review=True,
    )

    found = _search(administrator, "6222 0298 7654 3215")

    assert found == [wanted]
    assert wanted.value_warnings.filter(record_id=account.pk).exists()


def test_resident_id_or_account_finds_both(administrator) -> None:
    by_person = make_client(name="甲企业")
    make_person(by_person, resident_id=DIGITS_ONLY_RESIDENT_ID)
    by_account = make_client(name="乙企业")
    make_bank_account(by_account, number=DIGITS_ONLY_RESIDENT_ID, kind=AccountKind.CORPORATE)
    make_client(name="丙企业")

    result = selectors.client_list(
        user=administrator, filters=selectors.ClientFilters(query=DIGITS_ONLY_RESIDENT_ID)
    )

    assert set(result.clients) == {by_person, by_account}
    assert result.clients.count() == 2
    assert result.matched_kinds == ("resident_id", "bank_account")


def test_account_search_only_returns_visible_clients() -> None:
    department = DepartmentFactory(name="记账一部")
    clerk = UserFactory(roles=[Role.CLERK], department=department)
    reviewer = UserFactory(roles=[Role.REVIEWER], department=department)
    own = make_client(department=department)
    make_bank_account(own, number=DIGITS_ONLY_RESIDENT_ID, kind=AccountKind.CORPORATE)
    hidden = make_client(department=DepartmentFactory(name="记账二部"))
    make_person(hidden, resident_id=DIGITS_ONLY_RESIDENT_ID)
    make_bank_account(hidden, number=ACCOUNT_NUMBER, kind=AccountKind.CORPORATE)

    assert _search(clerk, DIGITS_ONLY_RESIDENT_ID) == [own]
    assert _search(reviewer, DIGITS_ONLY_RESIDENT_ID) == [own]
    assert _search(clerk, ACCOUNT_NUMBER) == []


def test_account_search_is_audited_without_plaintext(administrator, caplog) -> None:
    make_bank_account(make_client(), number=ACCOUNT_NUMBER, kind=AccountKind.CORPORATE)

    services.client_search(
        actor=administrator, filters=selectors.ClientFilters(query=ACCOUNT_NUMBER)
    )

    event = AuditEvent.objects.get(action=Action.SEARCH)
    assert event.field == "bank_account"
    assert event.details == {"query": "****0166", "kinds": ["bank_account"]}
    assert ACCOUNT_NUMBER not in caplog.text


def test_ambiguous_number_audited_with_shortest_mask(administrator) -> None:
    services.client_search(
        actor=administrator, filters=selectors.ClientFilters(query=DIGITS_ONLY_RESIDENT_ID)
    )

    event = AuditEvent.objects.get(action=Action.SEARCH)
    assert event.field == "resident_id"
    assert event.details == {"query": "****0418", "kinds": ["resident_id", "bank_account"]}


def test_short_digit_query_searches_company_names(administrator) -> None:
    client = make_client(name="杭州1234商贸有限公司")

    result = selectors.client_list(
        user=administrator, filters=selectors.ClientFilters(query="1234")
    )

    assert list(result.clients) == [client]
    assert result.matched_kinds == ()
