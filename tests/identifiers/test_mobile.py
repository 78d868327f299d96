import pytest
from hypothesis import given

from shoumi.identifiers import (
    DEFAULT_PREFIX_TABLE,
    InvalidIdentifier,
    MobilePrefixTable,
    Operator,
    get_prefix_table,
    is_valid_mobile,
    parse_mobile,
    set_prefix_table,
)

from .strategies import mobiles


@pytest.mark.parametrize(
    ("text", "value", "has_country_code"),
    [
        ("13800138000", "13800138000", False),
        ("+86 166 1234 5678", "16612345678", True),
        ("0086-19912345678", "19912345678", True),
        ("8613800138000", "13800138000", True),
        ("(+86)138-0013-8000", "13800138000", True),
    ],
)
def test_mobile_valid(text, value, has_country_code):
    parsed = parse_mobile(text)

    assert parsed.value == value
    assert parsed.has_country_code is has_country_code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("12345678901", "unallocated_mobile_prefix"),
        ("15412345678", "unallocated_mobile_prefix"),
        ("14012345678", "iot_number"),
        ("19412345678", "unallocated_mobile_prefix"),
        ("1380013800", "wrong_length"),
        ("+85261234567", "unsupported_country_code"),
        ("23800138000", "invalid_mobile_start"),
        ("1380013800A", "non_digit"),
        ("+86", "wrong_length"),
        ("0086", "wrong_length"),
    ],
)
def test_mobile_invalid(text, code):
    with pytest.raises(InvalidIdentifier) as caught:
        parse_mobile(text)

    assert caught.value.code == code
    assert not is_valid_mobile(text)


@pytest.mark.parametrize(
    ("number", "operator"),
    [
        ("13800138000", Operator.CHINA_MOBILE),
        ("13491234567", Operator.SATELLITE),
        ("13412345678", Operator.CHINA_MOBILE),
        ("18612345678", Operator.CHINA_UNICOM),
        ("19912345678", Operator.CHINA_TELECOM),
        ("19212345678", Operator.CHINA_BROADCAST_NETWORK),
        ("17012345678", Operator.MVNO),
    ],
)
def test_mobile_operator(number, operator):
    assert parse_mobile(number).operator == operator


def test_mobile_operator_name_is_chinese():
    assert parse_mobile("13800138000").operator_name == "中国移动"


def test_prefix_table_accepts_new_range():
    table = DEFAULT_PREFIX_TABLE.with_prefixes({"154": None})

    assert parse_mobile("15412345678", table=table).operator is None
    assert is_valid_mobile("15412345678", table)


def test_installed_prefix_table_is_used_by_default():
    previous = get_prefix_table()
    set_prefix_table(previous.with_prefixes({"194": Operator.CHINA_TELECOM}))
    try:
        assert parse_mobile("19412345678").operator == Operator.CHINA_TELECOM
    finally:
        set_prefix_table(previous)


def test_prefix_table_rejects_malformed_prefix():
    with pytest.raises(ValueError, match="3 or 4 digits"):
        MobilePrefixTable({"15": None})


@given(mobiles())
def test_generated_mobiles_parse(value):
    assert parse_mobile(value).value == value
    assert is_valid_mobile(value)
