import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from shoumi.identifiers import (
    ConvertedFrom15Warning,
    InvalidIdentifier,
    Kind,
    Sex,
    is_valid_resident_id,
    parse_residence_permit,
    parse_resident_id,
)
from shoumi.identifiers.normalise import normalise
from shoumi.identifiers.regions import lookup_region
from shoumi.identifiers.resident_id import calculate_check_character, parse_normalised

from .strategies import legacy_resident_ids, messy_forms, residence_permits, resident_ids

# GB 11643-1999 rules: valid values (18 digits, legacy 15 digits, residence permits).
VALID = [
    ("11010519491231002X", "11010519491231002X"),
    ("440524188001010014", "440524188001010014"),
    ("110101190001010014", "110101190001010014"),
    ("440305200002291232", "440305200002291232"),
    ("110104198205170357", "110104198205170357"),
    ("310115194002080624", "310115194002080624"),
    ("810000190001010018", "810000190001010018"),
    ("820000190001010028", "820000190001010028"),
    ("830000190001010038", "830000190001010038"),
    ("110105491231002", "11010519491231002X"),
    ("440524800101001", "440524198001010013"),
    ("310115920229002", "310115199202290020"),
    ("320106780923041", "320106197809230418"),
]

INVALID = [
    ("110105194912310021", "invalid_check_digit"),
    ("310115190002290025", "invalid_birth_date"),
    ("110105194902300020", "invalid_birth_date"),
    ("11010519491231002", "wrong_length"),
    ("110105491331002", "invalid_birth_date"),
    ("31011501022900", "wrong_length"),
    ("310115000229002", "invalid_birth_date"),
    ("810000190001010019", "invalid_check_digit"),
    ("840000190001010013", "invalid_province"),
    ("81000019000101001", "wrong_length"),
    ("440305199902291232", "invalid_birth_date"),
    ("440305190002291236", "invalid_birth_date"),
    ("440305200002301234", "invalid_birth_date"),
    ("440305209901011231", "future_birth_date"),
    ("3201061978A9230418", "non_digit"),
    ("111111111111111111", "invalid_check_digit"),
    ("190101198001011237", "invalid_province"),
    ("911398199012310021", "is_foreign_permanent_residence_id"),
    ("011398199012310021", "invalid_province"),
    ("811234199001011234", "invalid_residence_permit_code"),
    ("11010519491231002A", "invalid_last_character"),
]


@pytest.mark.parametrize(("text", "canonical"), VALID)
def test_resident_id_valid_values(text, canonical):
    parsed = parse_resident_id(text)

    assert parsed.value == canonical
    assert is_valid_resident_id(normalise(text)) is not parsed.requires_confirmation


@pytest.mark.parametrize(("text", "code"), INVALID)
def test_resident_id_invalid_values(text, code):
    with pytest.raises(InvalidIdentifier) as caught:
        parse_resident_id(text)

    assert caught.value.code == code
    assert not is_valid_resident_id(text)


def test_resident_id_standard_example_facts():
    parsed = parse_resident_id("11010519491231002X")

    assert parsed.kind == Kind.RESIDENT_ID
    assert parsed.birth_date == datetime.date(1949, 12, 31)
    assert parsed.sex == Sex.FEMALE
    assert parsed.province_name == "北京市"
    assert parsed.region_name == "北京市朝阳区"
    assert parsed.is_region_abolished is False
    assert parsed.is_residence_permit is False
    assert parsed.converted_from_15 is False
    assert parsed.warnings == ()


def test_resident_id_before_1900_is_warned():
    parsed = parse_resident_id("440524188001010014")

    assert parsed.birth_date == datetime.date(1880, 1, 1)
    assert parsed.has_warning("birth_year_before_1900")
    assert parsed.requires_confirmation
    assert not is_valid_resident_id("440524188001010014")


def test_resident_id_stdnum_rejects_region_window():
    # python-stdnum compares the county's creation year with the birth year.
    assert not ric.is_valid("440524188001010014")
    assert parse_resident_id("440524188001010014").region_name == "广东省汕头市潮阳县"


# Three typings of one person's number: lower-case x, spaces, full width.
@pytest.mark.parametrize(
    "text", ["33010619880315019x", " 33010619880315019X ", "３３０１０６１９８８０３１５０１９Ｘ"]
)
def test_resident_id_case_variants_share_canonical_form(text):
    assert parse_resident_id(text).value == "33010619880315019X"


# Hong Kong, Macao and Taiwan residence permits.
@pytest.mark.parametrize(
    ("text", "region", "birth_date"),
    [
        ("810000199207040213", "香港", datetime.date(1992, 7, 4)),
        ("820000198702110212", "澳门", datetime.date(1987, 2, 11)),
        ("830000199509180215", "台湾", datetime.date(1995, 9, 18)),
    ],
)
def test_residence_permit_facts(text, region, birth_date):
    parsed = parse_resident_id(text)

    assert parsed.value == text
    assert parsed.kind == Kind.RESIDENCE_PERMIT
    assert parsed.is_residence_permit
    assert parsed.province_name == region
    assert parsed.region_name == region
    assert parsed.birth_date == birth_date
    assert parsed.sex == Sex.MALE
    assert parsed.warnings == ()


def test_residence_permit_parser_rejects_resident_id():
    with pytest.raises(InvalidIdentifier) as caught:
        parse_residence_permit("11010519491231002X")

    assert caught.value.code == "not_residence_permit"


def test_residence_permit_parser_accepts_permit():
    assert parse_residence_permit("830000199509180215").value == "830000199509180215"


def test_residence_permit_is_not_rewritten_to_71():
    assert parse_resident_id("830000199509180215").value.startswith("830000")


# Legacy 15-digit numbers.
def test_legacy_number_becomes_eighteen_characters():
    parsed = parse_resident_id("320106780923041")

    assert parsed.value == "320106197809230418"
    assert len(parsed.value) == 18
    assert parsed.converted_from_15
    assert parsed.warnings[0].code == "converted_from_15"
    assert parsed.warnings[0].could_be_truncated_18 is False
    assert not parsed.requires_confirmation


def test_legacy_number_that_could_be_truncated_is_flagged():
    parsed = parse_resident_id("320106201008080")
    conversion = parsed.warnings[0]

    assert parsed.birth_date == datetime.date(1920, 10, 8)
    assert isinstance(conversion, ConvertedFrom15Warning)
    assert conversion.code == "converted_from_15_or_truncated_18"
    assert conversion.could_be_truncated_18 is True
    assert parsed.requires_confirmation
    assert parse_resident_id("320106201008080818").value == "320106201008080818"


def test_upgraded_value_ending_in_zeros_needs_parse_normalised():
    parsed = parse_resident_id("110101960101000")

    assert parsed.value == "110101199601010000"
    assert parse_normalised(parsed.value).value == parsed.value
    with pytest.raises(InvalidIdentifier) as caught:
        parse_resident_id(parsed.value)
    assert caught.value.code == "excel_truncated"


def test_all_ones_fails_on_check_digit_and_region():
    assert calculate_check_character("11111111111111111") == "0"
    assert lookup_region("111111") is None


# Abolished and late-created region codes stay valid.
def test_abolished_region_is_named_and_marked():
    parsed = parse_resident_id("110104198205170357")

    assert parsed.region_name == "北京市宣武区"
    assert parsed.is_region_abolished is True
    assert parsed.warnings == ()


def test_region_created_after_birth_is_valid():
    parsed = parse_resident_id("310115194002080624")

    assert parsed.region_name == "上海市浦东新区"
    assert parsed.birth_date == datetime.date(1940, 2, 8)


def test_unknown_county_is_a_warning():
    body = "11019919800101123"
    parsed = parse_resident_id(body + calculate_check_character(body))

    assert parsed.region_name is None
    assert parsed.has_warning("region_unknown")
    assert not parsed.requires_confirmation


def test_birth_date_bound_uses_injected_today():
    text = "110101202001010018"
    body = text[:17]
    value = body + calculate_check_character(body)

    assert parse_resident_id(value, today=datetime.date(2020, 1, 1)).value == value
    with pytest.raises(InvalidIdentifier) as caught:
        parse_resident_id(value, today=datetime.date(2019, 12, 31))
    assert caught.value.code == "future_birth_date"
    assert not is_valid_resident_id(value, today=datetime.date(2019, 12, 31))


@given(st.one_of(resident_ids(), residence_permits()))
def test_generated_resident_ids_parse(value):
    parsed = parse_resident_id(value)

    assert parsed.value == value
    assert is_valid_resident_id(value)


@given(legacy_resident_ids())
def test_generated_legacy_numbers_upgrade(value):
    parsed = parse_resident_id(value)

    assert parsed.value[:6] + parsed.value[8:17] == value
    assert parse_normalised(parsed.value).value == parsed.value


@given(resident_ids().flatmap(lambda value: st.tuples(st.just(value), messy_forms(value))))
def test_messy_resident_ids_parse_to_canonical(pair):
    value, messy = pair

    assert parse_resident_id(messy).value == value


@given(resident_ids(), st.integers(min_value=0, max_value=17), st.sampled_from("0123456789X"))
def test_one_changed_character_makes_resident_id_invalid(value, position, replacement):
    changed = value[:position] + replacement + value[position + 1 :]
    if changed == value:
        return

    with pytest.raises(InvalidIdentifier):
        parse_resident_id(changed)
    assert not is_valid_resident_id(changed)


@given(resident_ids(), st.integers(min_value=0, max_value=16))
def test_adjacent_transposition_makes_resident_id_invalid(value, position):
    swapped = value[:position] + value[position + 1] + value[position] + value[position + 2 :]
    if swapped == value:
        return

    with pytest.raises(InvalidIdentifier):
        parse_resident_id(swapped)
