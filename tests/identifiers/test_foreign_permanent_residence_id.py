import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoumi.identifiers import (
    InvalidIdentifier,
    Kind,
    Sex,
    is_valid_foreign_permanent_residence_id,
    parse_foreign_permanent_residence_id,
)

from .strategies import foreign_permanent_residence_ids, legacy_foreign_permanent_residence_ids

VALID_2023 = [
    ("911398199012310021", "398", "哈萨克斯坦", "北京市"),
    ("931840198001010017", "840", "美国", "上海市"),
    ("944392197506150022", "392", "日本", "广东省"),
]

INVALID = [
    ("911398199012310022", "invalid_check_digit"),
    ("911398199002300022", "invalid_birth_date"),
    ("811398199012310021", "not_foreign_permanent_residence_id"),
    ("999398199012310021", "invalid_province_of_office"),
    ("KA1110090123105", "invalid_format"),
    ("KAZ11009012310", "wrong_length"),
    ("9113981990123100A1", "non_digit"),
]


@pytest.mark.parametrize(("value", "nationality", "nationality_name", "province"), VALID_2023)
def test_2023_card_facts(value, nationality, nationality_name, province):
    parsed = parse_foreign_permanent_residence_id(value)

    assert parsed.kind == Kind.FOREIGN_PERMANENT_RESIDENCE_ID
    assert parsed.is_legacy_format is False
    assert parsed.nationality_code == nationality
    assert parsed.nationality_name == nationality_name
    assert parsed.province_name == province
    assert parsed.warnings == ()
    assert is_valid_foreign_permanent_residence_id(value)


def test_2023_card_birth_date_and_sex():
    parsed = parse_foreign_permanent_residence_id("931840198001010017")

    assert parsed.birth_date == datetime.date(1980, 1, 1)
    assert parsed.sex == Sex.MALE


@pytest.mark.parametrize(
    ("value", "nationality_name"),
    [("KAZ110090123105", "哈萨克斯坦"), ("USA310080010115", "美国"), ("JPN440075061501", "日本")],
)
def test_legacy_card_valid(value, nationality_name):
    parsed = parse_foreign_permanent_residence_id(value)

    assert parsed.is_legacy_format
    assert parsed.nationality_name == nationality_name
    assert parsed.birth_date is None
    assert parsed.warnings == ()
    assert is_valid_foreign_permanent_residence_id(value)


def test_legacy_card_check_mismatch_is_warned():
    parsed = parse_foreign_permanent_residence_id("KAZ110090123107")

    assert parsed.has_warning("legacy_check_digit_mismatch")
    assert parsed.requires_confirmation
    assert not is_valid_foreign_permanent_residence_id("KAZ110090123107")


def test_unknown_nationality_is_warned():
    parsed = parse_foreign_permanent_residence_id("QQQ110090123105")

    assert parsed.nationality_name is None
    assert parsed.has_warning("unknown_nationality")


@pytest.mark.parametrize(("value", "code"), INVALID)
def test_foreign_permanent_residence_id_invalid(value, code):
    with pytest.raises(InvalidIdentifier) as caught:
        parse_foreign_permanent_residence_id(value)

    assert caught.value.code == code


@given(st.one_of(foreign_permanent_residence_ids(), legacy_foreign_permanent_residence_ids()))
def test_generated_cards_parse(value):
    assert parse_foreign_permanent_residence_id(value).value == value
    assert is_valid_foreign_permanent_residence_id(value)


@given(foreign_permanent_residence_ids(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_one_changed_character_makes_2023_card_invalid(value, position, replacement):
    changed = value[:position] + replacement + value[position + 1 :]
    if changed == value:
        return

    with pytest.raises(InvalidIdentifier):
        parse_foreign_permanent_residence_id(changed)


@given(legacy_foreign_permanent_residence_ids(), st.integers(3, 14), st.sampled_from("0123456789"))
def test_one_changed_digit_warns_on_legacy_card(value, position, replacement):
    changed = value[:position] + replacement + value[position + 1 :]
    if changed == value:
        return

    assert parse_foreign_permanent_residence_id(changed).has_warning("legacy_check_digit_mismatch")
