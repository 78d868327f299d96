"""Cell conversion rules of the check phase: numbers from spreadsheets, statuses, account kinds."""

from __future__ import annotations

import pytest

from shoumi import identifiers
from shoumi.clients import services
from shoumi.clients.errors import ClientDataInvalidError
from shoumi.clients.imports.columns import ColumnMap, ImportField
from shoumi.clients.imports.rows import (
    check_row,
    identifier_text,
    infer_account_kind,
    parse_identifier_columns,
    parse_status,
)
from shoumi.clients.models import AccountKind, ClientStatus
from shoumi.clients.synthetic import SyntheticData


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


def _sheet_with(rows: list[list[object]]) -> tuple[ColumnMap, list[tuple[int, list[object]]]]:
    headers = ["企业名称", "统一社会信用代码", "法定代表人", "身份证号", "手机"]
    column_map = ColumnMap(
        header_row_number=1,
        headers=headers,
        columns={
            ImportField.NAME: 0,
            ImportField.USCC: 1,
            ImportField.LEGAL_REP_NAME: 2,
            ImportField.RESIDENT_ID: 3,
            ImportField.MOBILE: 4,
        },
    )
    return column_map, [(number, cells) for number, cells in enumerate(rows, start=2)]


def test_identifier_columns_parse_at_once() -> None:
    synthetic = SyntheticData(seed=5)
    uscc, resident_id, mobile = synthetic.uscc(), synthetic.resident_id(), synthetic.mobile()
    column_map, rows = _sheet_with(
        [
            ["甲公司", uscc, "张三", resident_id, int(mobile)],
            ["乙公司", uscc[:-1], "李四", "  ", None],
            ["丙公司", "", "王五", 3.3010619880315e17],
        ]
    )

    parsed = parse_identifier_columns(column_map, rows)

    assert sorted((key, value.value) for key, value in parsed.items()) == sorted(
        [
            ((ImportField.USCC, uscc), uscc),
            ((ImportField.RESIDENT_ID, resident_id), resident_id),
            ((ImportField.MOBILE, mobile), mobile),
        ]
    )


@pytest.mark.django_db
def test_row_check_reuses_sheet_identifiers(monkeypatch) -> None:
    synthetic = SyntheticData(seed=6)
    uscc, resident_id, mobile = synthetic.uscc(), synthetic.resident_id(), synthetic.mobile()
    column_map, rows = _sheet_with([["甲公司", uscc, "张三", resident_id, mobile]])
    parsed = parse_identifier_columns(column_map, rows)

    def fail_if_called(text: object) -> None:
        raise AssertionError(f"cell parsed again: {type(text).__name__}")

    for name in ("parse_uscc", "parse_resident_id", "parse_mobile"):
        monkeypatch.setattr(identifiers, name, fail_if_called)
    monkeypatch.setattr(services, "PERSON_ID_PARSERS", (fail_if_called,))
    row = check_row(column_map, 2, rows[0][1], parsed)

    assert row.problems == []
    assert row.target is not None
    assert row.target.uscc is parsed[(ImportField.USCC, uscc)]
    assert row.person is not None
    assert row.person.resident_id is parsed[(ImportField.RESIDENT_ID, resident_id)]
    assert row.person.mobile is parsed[(ImportField.MOBILE, mobile)]


@pytest.mark.django_db
def test_row_check_parses_rejected_cells_itself() -> None:
    short = SyntheticData(seed=7).uscc()[:-1]
    column_map, rows = _sheet_with([["甲公司", short, "", "", ""]])
    parsed = parse_identifier_columns(column_map, rows)

    row = check_row(column_map, 2, rows[0][1], parsed)

    with pytest.raises(identifiers.InvalidIdentifier) as raised:
        identifiers.parse_uscc(short)
    assert parsed == {}
    assert [problem.message for problem in row.problems] == [str(raised.value)]
