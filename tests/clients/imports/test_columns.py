"""Recognising ledger headers and explicit column mappings."""

from __future__ import annotations

import pytest

from shoumi.clients.imports.columns import (
    ImportField,
    field_for_name,
    locate_header,
    map_columns,
    parse_mapping,
)
from shoumi.clients.imports.errors import ColumnMappingError


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("企业名称", ImportField.NAME),
        ("公司名称", ImportField.NAME),
        ("统一社会信用代码", ImportField.USCC),
        ("信用代码", ImportField.USCC),
        ("税号", ImportField.USCC),
        ("法定代表人", ImportField.LEGAL_REP_NAME),
        ("法人", ImportField.LEGAL_REP_NAME),
        ("身份证号", ImportField.RESIDENT_ID),
        ("证件号码", ImportField.RESIDENT_ID),
        ("手机", ImportField.MOBILE),
        ("联系电话", ImportField.MOBILE),
        ("开户行", ImportField.BANK_NAME),
        ("银行账号", ImportField.ACCOUNT_NUMBER),
        ("账号", ImportField.ACCOUNT_NUMBER),
        ("注册地址", ImportField.REGISTERED_ADDRESS),
        ("地址", ImportField.REGISTERED_ADDRESS),
        (" 身份证号 ", ImportField.RESIDENT_ID),
        ("\ufeff身份证号", None),
        ("*企业名称", ImportField.NAME),
        ("统一社会信用代码（18位）", ImportField.USCC),
        ("身份证号(必填)", ImportField.RESIDENT_ID),
        ("备注", None),
    ],
)
def test_usual_headers_are_recognised(header: str, expected: ImportField | None) -> None:
    assert field_for_name(header) == expected


def test_mapping_accepts_codes_labels_and_header_names() -> None:
    mapping = parse_mapping(["法人证件=resident_id", "客户全称 = 企业名称", "备注=ignore"])

    assert mapping == {
        "法人证件": ImportField.RESIDENT_ID,
        "客户全称": ImportField.NAME,
        "备注": ImportField.IGNORE,
    }


@pytest.mark.parametrize("entry", ["没有等号", "=name", "表头=", "表头=unknown_field"])
def test_malformed_mapping_is_rejected(entry: str) -> None:
    with pytest.raises(ColumnMappingError) as raised:
        parse_mapping([entry])

    assert entry.strip() in raised.value.message


def test_header_below_title_rows_is_found() -> None:
    rows = [
        ["某某代账公司客户台账"],
        [],
        ["企业名称", "身份证号"],
        ["甲公司", "33010619880315019X"],
    ]

    assert locate_header(rows, {}) == 2


def test_unknown_headers_are_listed() -> None:
    column_map = map_columns(["序号", "企业名称", "备注"], 1, {})

    assert column_map.columns == {ImportField.NAME: 1}
    assert column_map.unknown_headers == ["序号", "备注"]


def test_two_columns_for_one_field_are_refused() -> None:
    with pytest.raises(ColumnMappingError) as raised:
        map_columns(["企业名称", "手机", "联系电话"], 1, {})

    assert "手机" in raised.value.message
    assert "联系电话" in raised.value.message


def test_missing_name_column_is_refused() -> None:
    with pytest.raises(ColumnMappingError) as raised:
        map_columns(["身份证号", "姓名"], 1, {})

    assert raised.value.code == "name_column_missing"


def test_mapping_for_a_missing_header_is_refused() -> None:
    with pytest.raises(ColumnMappingError) as raised:
        map_columns(["企业名称"], 1, parse_mapping(["法人证件=resident_id"]))

    assert "法人证件" in raised.value.message
