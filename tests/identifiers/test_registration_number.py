import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoumi.identifiers import (
    InvalidIdentifier,
    is_valid_registration_number,
    parse_registration_number,
)

from .strategies import registration_numbers


@pytest.mark.parametrize(
    ("value", "region"),
    [
        ("110108000000008", "北京市海淀区"),
        ("440300100000014", "广东省深圳市"),
        ("310115200123455", "上海市浦东新区"),
    ],
)
def test_registration_number_valid(value, region):
    parsed = parse_registration_number(value)

    assert parsed.value == value
    assert parsed.authority_region_name == region
    assert parsed.entity_category == "内资企业"
    assert is_valid_registration_number(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110108000000001", "invalid_check_digit"),
        ("440300100000010", "invalid_check_digit"),
        ("31011520012345", "wrong_length"),
        ("990108000000008", "invalid_division_code"),
        ("11010800000000A", "non_digit"),
    ],
)
def test_registration_number_invalid(value, code):
    with pytest.raises(InvalidIdentifier) as caught:
        parse_registration_number(value)

    assert caught.value.code == code


def test_thirteen_digit_number_is_legacy_unchecked():
    parsed = parse_registration_number("1101080000000")

    assert parsed.is_legacy_unchecked
    assert parsed.has_warning("legacy_unchecked")
    assert parsed.requires_confirmation
    assert not is_valid_registration_number("1101080000000")


def test_individual_business_category():
    body = "11010860000000"
    from shoumi.identifiers.checksums import mod_11_10

    assert parse_registration_number(body + mod_11_10(body)).entity_category == "个体工商户"


@given(registration_numbers())
def test_generated_registration_numbers_parse(value):
    assert parse_registration_number(value).value == value


@given(registration_numbers(), st.integers(0, 14), st.sampled_from("0123456789"))
def test_one_changed_digit_makes_registration_number_invalid(value, position, replacement):
    changed = value[:position] + replacement + value[position + 1 :]
    if changed == value:
        return

    assert not is_valid_registration_number(changed)
