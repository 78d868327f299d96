import pytest
from hypothesis import given

from shoumi.identifiers import InvalidIdentifier, is_valid_bank_account, parse_bank_account

from .strategies import bank_accounts


def test_bank_account_with_hyphens():
    parsed = parse_bank_account("1100-1234-5678-0501-2345")

    assert parsed.value == "11001234567805012345"
    assert parsed.masked == "****2345"


def test_bank_account_has_no_luhn_check():
    # Fails Luhn, still a valid account number.
    assert parse_bank_account("6217001234567890123").warnings == ()


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1234567", "length_out_of_range"),
        ("1" * 33, "length_out_of_range"),
        ("1234A5678", "non_digit"),
    ],
)
def test_bank_account_invalid(value, code):
    with pytest.raises(InvalidIdentifier) as caught:
        parse_bank_account(value)

    assert caught.value.code == code


@given(bank_accounts())
def test_generated_accounts_parse(value):
    assert parse_bank_account(value).value == value
    assert is_valid_bank_account(value)
