import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from shoumi.identifiers import InvalidIdentifier, is_valid_uscc, parse_uscc
from shoumi.identifiers.checksums import USCC_ALPHABET
from shoumi.identifiers.normalise import is_excel_truncated
from shoumi.identifiers.uscc import calculate_check_character

from .strategies import usccs

VALID = [
    ("91350100M000100Y43", "工商（市场监督管理）", "企业", "福建省福州市"),
    ("91110108MA01ABCD5T", "工商（市场监督管理）", "企业", "北京市海淀区"),
    ("92440300L12345M68X", "工商（市场监督管理）", "个体工商户", "广东省深圳市"),
    ("N2330100MF0ABCDE4G", "农业", "村级集体经济组织", "浙江省杭州市"),
    ("91310115MA1K2R0080", "工商（市场监督管理）", "企业", "上海市浦东新区"),
]

INVALID = [
    ("91350100M000100O43", "excluded_letter"),
    ("91350100M000100Y4S", "excluded_letter"),
    # GB 32100's own example of a wrong check character; Z is outside the alphabet.
    ("91350100M000100Y4Z", "excluded_letter"),
    ("9135010M000100Y43", "wrong_length"),
    ("111111111111111111", "check_and_org_code_mismatch"),
    ("91310115MA1K2R0O80", "excluded_letter"),
    ("B1350100M000100Y43", "unknown_registration_authority"),
    ("91990100M000100Y43", "invalid_division_code"),
    ("9135A100M000100Y43", "non_digit"),
    ("91350100M000100#43", "invalid_character"),
]


@pytest.mark.parametrize(("value", "authority", "entity_type", "division"), VALID)
def test_uscc_valid_facts(value, authority, entity_type, division):
    parsed = parse_uscc(value)

    assert parsed.value == value
    assert parsed.registration_authority_name == authority
    assert parsed.entity_type_name == entity_type
    assert parsed.division_name == division
    assert parsed.is_check_character_valid
    assert parsed.warnings == ()
    assert is_valid_uscc(value)


@pytest.mark.parametrize(("value", "code"), INVALID)
def test_uscc_invalid(value, code):
    with pytest.raises(InvalidIdentifier) as caught:
        parse_uscc(value)

    assert caught.value.code == code


def test_uscc_letter_led_code_is_rejected_by_stdnum():
    assert not stdnum_uscc.is_valid("N2330100MF0ABCDE4G")


# A weighted sum that is a multiple of 31 gives check character 0.
def test_uscc_check_character_zero():
    parsed = parse_uscc("91310115MA1K2R0080")

    assert calculate_check_character("91310115MA1K2R008") == "0"
    assert parsed.is_embedded_org_code_valid is False
    assert parsed.org_code == "MA1K2R008"


def test_uscc_all_ones_check_would_be_5():
    assert calculate_check_character("11111111111111111") == "5"


def test_uscc_letter_o_message_suggests_zero():
    with pytest.raises(InvalidIdentifier) as caught:
        parse_uscc("91310115MA1K2R0O80")

    assert "第16位是字母 O" in caught.value.message
    assert "可能应为数字 0" in caught.value.message


def test_uscc_lower_case_is_stored_upper_case():
    assert parse_uscc("91310115ma1k2r0080").value == "91310115MA1K2R0080"


def test_uscc_full_width_letters_are_accepted():
    assert parse_uscc("９１３１０１１５ＭＡ１Ｋ２Ｒ００８０").value == "91310115MA1K2R0080"


def test_uscc_check_mismatch_is_warned_for_review():
    parsed = parse_uscc("91350100M000100Y44")

    assert parsed.has_warning("check_character_mismatch")
    assert parsed.requires_confirmation
    assert parsed.is_check_character_valid is False
    assert "营业执照" in parsed.warnings[0].message
    assert not is_valid_uscc("91350100M000100Y44")


def test_uscc_individual_business_is_marked():
    assert parse_uscc("92440300L12345M68X").is_individual_business


@given(usccs())
def test_generated_usccs_parse(value):
    parsed = parse_uscc(value)

    assert parsed.value == value
    assert parsed.is_embedded_org_code_valid
    assert is_valid_uscc(value)


def _outcome(value):
    try:
        parsed = parse_uscc(value)
    except InvalidIdentifier:
        return "rejected"
    return "warned" if parsed.has_warning("check_character_mismatch") else "clean"


@given(usccs(), st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_one_changed_character_is_never_clean(value, position, replacement):
    changed = value[:position] + replacement + value[position + 1 :]
    if changed == value:
        return

    assert _outcome(changed) in ("warned", "rejected")
    assert not is_valid_uscc(changed)


@given(usccs(), st.sampled_from(USCC_ALPHABET))
def test_changed_check_character_is_warned(value, replacement):
    changed = value[:17] + replacement
    # An all-digit code ending in zeros has Excel's truncation shape and is refused.
    assume(changed != value and not is_excel_truncated(changed))

    assert _outcome(changed) == "warned"


@given(usccs(), st.integers(0, 16))
def test_adjacent_transposition_is_never_clean(value, position):
    swapped = value[:position] + value[position + 1] + value[position] + value[position + 2 :]
    if swapped == value:
        return

    assert _outcome(swapped) in ("warned", "rejected")
