"""Client records built through the services, with synthetic identifiers."""

from __future__ import annotations

from shoumi.accounts.models import Department, User
from shoumi.clients import services
from shoumi.clients.models import AccountKind, BankAccount, Client, Person, PersonRole
from shoumi.clients.synthetic import SyntheticData

synthetic = SyntheticData(seed=20261204)


def make_client(
    *,
    department: Department | None = None,
    staff: list[User] | None = None,
    name: str | None = None,
) -> Client:
    return services.client_create(
        actor=None,
        name=name or synthetic.company_name(),
        uscc=synthetic.uscc(),
        registered_address=synthetic.address(),
        department=department,
        assigned_staff=staff or [],
    )


def make_person(
    client: Client,
    *,
    resident_id: str | None = None,
    mobile: str | None = None,
    name: str | None = None,
    role: str = PersonRole.LEGAL_REP,
) -> Person:
    return services.person_save(
        actor=None,
        client=client,
        role=role,
        name=name or synthetic.person_name(),
        resident_id=resident_id or synthetic.resident_id(),
        mobile=mobile or synthetic.mobile(),
    )


def make_bank_account(
    client: Client, *, number: str | None = None, kind: str = AccountKind.CARD
) -> BankAccount:
    return services.bank_account_save(
        actor=None,
        client=client,
        bank_name=synthetic.bank_name(),
        account_kind=kind,
        account_number=number
        or (synthetic.bank_card() if kind == AccountKind.CARD else synthetic.corporate_account()),
    )
