import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from shoumi.identifiers import CardBrand, InvalidIdentifier, is_valid_bank_card, parse_bank_card
from shoumi.identifiers.normalise import is_excel_truncated

from .strategies import bank_cards


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("6217001234567890122", "621700*********0122"),
        ("6222029876543214", "622202******3214"),
        ("621483123456789014", "621483********9014"),
    ],
)
def test_bank_card_valid(value, masked):
    parsed = parse_bank_card(value)

    assert parsed.value == value
    assert parsed.is_luhn_valid
    assert parsed.is_unionpay
    assert parsed.masked == masked
    assert parsed.warnings == ()
    assert is_valid_bank_card(value)


@pytest.mark.parametrize("value", ["6217001234567890123", "6220229876543214"])
def test_luhn_failure_is_warned(value):
    parsed = parse_bank_card(value)

    assert parsed.has_warning("luhn_failed")
    assert parsed.requires_confirmation
    assert not is_valid_bank_card(value)


def test_truncated_card_is_refused():
    with pytest.raises(InvalidIdentifier) as caught:
        parse_bank_card("6217001234567890000")

    assert caught.value.code == "excel_truncated"


def test_sixteen_digits_ending_zero_failing_luhn_mentions_excel():
    parsed = parse_bank_card("6222021234567890")

    assert parsed.has_warning("luhn_failed")
    assert parsed.has_warning("possibly_excel_truncated")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("62170012345", "length_out_of_range"),
        ("62170012345678901234", "length_out_of_range"),
        ("1217001234567890122", "invalid_card_prefix"),
        ("62170012345678A0122", "non_digit"),
    ],
)
def test_bank_card_invalid(value, code):
    with pytest.raises(InvalidIdentifier) as caught:
        parse_bank_card(value)

    assert caught.value.code == code


@pytest.mark.parametrize(
    ("prefix", "brand"),
    [
        ("6217", CardBrand.UNIONPAY),
        ("6011", CardBrand.DISCOVER),
        ("4367", CardBrand.VISA),
        ("5183", CardBrand.MASTERCARD),
        ("2221", CardBrand.MASTERCARD),
        ("3568", CardBrand.JCB),
        ("3712", CardBrand.AMERICAN_EXPRESS),
        ("9558", CardBrand.UNIONPAY),
    ],
)
def test_card_brand_by_prefix(prefix, brand):
    from shoumi.identifiers.bank_card import card_brand

    assert card_brand(prefix + "000000000000") == brand


@given(bank_cards())
def test_generated_cards_parse(value):
    assert parse_bank_card(value).warnings == ()
    assert is_valid_bank_card(value)


@given(bank_cards(), st.data())
def test_one_changed_digit_is_warned(value, data):
    position = data.draw(st.integers(1, len(value) - 1))
    replacement = data.draw(st.sampled_from("0123456789"))
    changed = value[:position] + replacement + value[position + 1 :]
    assume(changed != value and not is_excel_truncated(changed))

    assert parse_bank_card(changed).has_warning("luhn_failed")
    assert not is_valid_bank_card(changed)


@given(bank_cards(), st.data())
def test_adjacent_transposition_is_warned(value, data):
    position = data.draw(st.integers(0, len(value) - 2))
    pair = value[position : position + 2]
    # Luhn cannot see 09 <-> 90.
    assume(pair[0] != pair[1] and pair not in ("09", "90"))
    swapped = value[:position] + pair[::-1] + value[position + 2 :]
    assume(not is_excel_truncated(swapped) and swapped[0] in "234569")

    assert parse_bank_card(swapped).has_warning("luhn_failed")
