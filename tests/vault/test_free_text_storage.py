"""After rejected attempts, the SQLite database file holds none of the numbers typed."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from django.db import connection

from shoumi.access import grants
from shoumi.accounts.roles import Role
from shoumi.clients import services as client_services
from shoumi.clients.models import AccountKind
from shoumi.clients.synthetic import SyntheticData
from shoumi.errors import ShoumiError
from tests.accounts.factories import DepartmentFactory, UserFactory
from tests.clients.factories import make_client, make_person
from tests.staff.factories import pass_gates

synthetic = SyntheticData(seed=20260616)
RESIDENT_ID = synthetic.resident_id()
OTHER_RESIDENT_ID = synthetic.resident_id()
CARD = synthetic.bank_card()
MOBILE = synthetic.mobile()


def _database_files() -> list[Path]:
    name = Path(str(connection.settings_dict["NAME"]))
    return [path for path in (name, Path(f"{name}-wal")) if path.exists()]


@pytest.mark.django_db(transaction=True)
def test_database_file_holds_no_typed_identifier() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("reads the SQLite database file")
    department = DepartmentFactory(name="记账一部")
    clerk = pass_gates(UserFactory(roles=[Role.CLERK], department=department))
    client = make_client(department=department)
    person = make_person(client)
    attempts = [
        lambda: client_services.client_create(actor=None, name=f"测试公司 {RESIDENT_ID}"),
        lambda: client_services.client_update(
            actor=None, client=client, registered_address=f"地址 {OTHER_RESIDENT_ID}"
        ),
        lambda: client_services.bank_account_save(
            actor=None,
            client=client,
            bank_name=f"工商银行 {CARD}",
            account_kind=AccountKind.CARD,
            account_number=synthetic.bank_card(),
        ),
        lambda: grants.grant_request(
            actor=clerk,
            clients=[client],
            fields=["clients.person.resident_id"],
            actions=["reveal"],
            purpose=f"核对 {RESIDENT_ID} 的资料，联系 {MOBILE}",
            duration_minutes=60,
        ),
    ]

    for attempt in attempts:
        with contextlib.suppress(ShoumiError):
            attempt()
    connection.close()

    assert person.pk is not None
    for path in _database_files():
        content = path.read_bytes()
        for number in (RESIDENT_ID, OTHER_RESIDENT_ID, CARD, MOBILE):
            assert number.encode() not in content, path.name
