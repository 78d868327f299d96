"""Cell conversion rules of the check phase: numbers from spreadsheets, statuses, account kinds."""

from __future__ import annotations

import pytest

from shoumi import identifiers
from shoumi.clients.errors import ClientDataInvalidError
from shoumi.clients.imports.columns import ImportField
from shoumi.clients.imports.rows import identifier_text, infer_account_kind, parse_status
from shoumi.clients.models import AccountKind, ClientStatus


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, ""),
        ("33010619880315019x", "33010619880315019x"),
        (13800138000, "13800138000"),
        (13800138000.0, "13800138000"),
        (320106780923041, "320106780923041"),
    ],
)
def test_exact_cells_become_text(cell: object, expected: str) -> None:
    assert identifier_text(cell, identifiers.Kind.RESIDENT_ID) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        (330106198803150000, "excel_truncated"),
        (3.3010619880315e17, "excel_scientific_notation"),
        (1234567890123456, "not_text"),
        (123.45, "not_text"),
    ],
)
def test_damaged_number_cells_are_rejected(cell: object, code: str) -> None:
    with pytest.raises(identifiers.InvalidIdentifier) as raised:
        identifier_text(cell, identifiers.Kind.RESIDENT_ID)  # type: ignore[arg-type]

    assert raised.value.code == code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ClientStatus.ACTIVE),
        ("存续（在营、开业、在册）", ClientStatus.ACTIVE),
        ("在业", ClientStatus.ACTIVE),
        ("停业", ClientStatus.SUSPENDED),
        ("迁出", ClientStatus.MOVED_OUT),
        ("吊销，未注销", ClientStatus.REVOKED),
        ("注销", ClientStatus.DEREGISTERED),
        ("deregistered", ClientStatus.DEREGISTERED),
    ],
)
def test_status_words(text: str, expected: str) -> None:
    assert parse_status(text) == expected


def test_unknown_status_is_rejected() -> None:
    with pytest.raises(ClientDataInvalidError) as raised:
        parse_status("关门")

    assert raised.value.code == "status_unknown"


@pytest.mark.parametrize(
    ("column", "text", "expected"),
    [
        (ImportField.ACCOUNT_NUMBER, "6222029876543214", AccountKind.CARD),
        (ImportField.ACCOUNT_NUMBER, "6222 0298 7654 3214", AccountKind.CARD),
        (ImportField.ACCOUNT_NUMBER, "1234567890123", AccountKind.CORPORATE),
        (ImportField.ACCOUNT_NUMBER, "62220298765432140000", AccountKind.CORPORATE),
        (ImportField.CARD_NUMBER, "1234567890123", AccountKind.CARD),
        (ImportField.CORPORATE_ACCOUNT_NUMBER, "6222029876543214", AccountKind.CORPORATE),
    ],
)
def test_account_kind_by_column_and_shape(column: ImportField, text: str, expected: str) -> None:
    assert infer_account_kind(column, text) == expected
