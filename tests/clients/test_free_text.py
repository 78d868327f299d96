"""Client names, addresses, bank names and reasons reject personal identifiers."""

from __future__ import annotations

import zlib

import pytest

from shoumi.clients import services
from shoumi.clients.errors import ClientDataInvalidError
from shoumi.clients.forms import ClientForm
from shoumi.clients.models import AccountKind, Client
from shoumi.clients.synthetic import SyntheticData
from shoumi.vault import free_text
from tests.clients.factories import make_client
from tests.clients.imports.ledgers import csv_bytes, run_import

pytestmark = pytest.mark.django_db

synthetic = SyntheticData(seed=20260612)
RESIDENT_ID = synthetic.resident_id()
CARD = synthetic.bank_card()


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("name", {"name": f"测试公司 {RESIDENT_ID}"}),
        ("registered_address", {"name": "测试公司", "registered_address": f"地址 {RESIDENT_ID}"}),
    ],
)
def test_client_create_rejects_identifier(field: str, values: dict[str, str]) -> None:
    with pytest.raises(ClientDataInvalidError) as raised:
        services.client_create(actor=None, **values)

    assert raised.value.field == field
    assert raised.value.code == free_text.CODE
    assert RESIDENT_ID not in raised.value.message
    assert not Client.objects.exists()


def test_client_update_rejects_identifier_in_name() -> None:
    client = make_client()

    with pytest.raises(ClientDataInvalidError) as raised:
        services.client_update(actor=None, client=client, name=f"测试公司 {RESIDENT_ID}")

    assert raised.value.field == "name"
    client.refresh_from_db()
    assert RESIDENT_ID not in client.name


def test_company_name_with_other_digits_is_accepted() -> None:
    name = "北京123456789012345678科技有限公司"

    client = services.client_create(actor=None, name=name)

    assert client.name == name


def test_bank_name_rejects_card_number() -> None:
    client = make_client()

    with pytest.raises(ClientDataInvalidError) as raised:
        services.bank_account_save(
            actor=None,
            client=client,
            bank_name=f"工商银行 {CARD}",
            account_kind=AccountKind.CARD,
            account_number=synthetic.bank_card(),
        )

    assert raised.value.field == "bank_name"


def test_import_rejects_row_with_identifier_in_name() -> None:
    rows = [
        [f"测试公司 {RESIDENT_ID}", synthetic.uscc(), "", "", "", "", ""],
        ["杭州明远财税咨询有限公司", synthetic.uscc(), "", "", "", "", ""],
    ]

    result = run_import(csv_bytes(rows), is_only_valid=True)

    assert result.report is not None
    problems = [row[-1] for row in result.report.rows]
    assert "证件号码" in problems[0]
    assert problems[1] == ""
    assert list(Client.objects.values_list("name", flat=True)) == ["杭州明远财税咨询有限公司"]


def test_client_form_shows_message_on_field() -> None:
    form = ClientForm(data={"name": f"测试公司 {RESIDENT_ID}", "status": "active"})

    assert not form.is_valid()
    assert form.has_error("name", free_text.CODE)


def test_import_report_hides_the_refused_values() -> None:
    from tests.clients.imports.ledgers import HEADERS

    card = synthetic.bank_card()
    grouped_card = " ".join(card[index : index + 4] for index in range(0, len(card), 4))
    mobile = synthetic.mobile()
    rows = [
        [f"测试公司 {RESIDENT_ID}", synthetic.uscc(), "", "", "", "", "", ""],
        ["宁波新桥贸易有限公司", synthetic.uscc(), "", "", "", f"工商银行 {grouped_card}", "", ""],
    ]
    headers = [*HEADERS, f"联系人{mobile}"]

    result = run_import(csv_bytes(rows, headers=headers), is_only_valid=True)

    assert result.report is not None
    stored = zlib.decompress(result.report.to_bytes()).decode("utf-8")
    assert RESIDENT_ID not in stored
    assert grouped_card not in stored
    assert card not in stored
    assert mobile not in stored
    assert "已隐藏" in stored
