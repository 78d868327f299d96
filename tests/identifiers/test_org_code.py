import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoumi.identifiers import InvalidIdentifier, is_valid_org_code, parse_org_code

from .strategies import org_codes


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("60003734-1", "600037341"), ("MA01ABCD-5", "MA01ABCD5"), ("D2143569-X", "D2143569X")],
)
def test_org_code_valid(text, canonical):
    parsed = parse_org_code(text)

    assert parsed.value == canonical
    assert parsed.masked == canonical
    assert is_valid_org_code(canonical)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("60003734-2", "invalid_check_digit"),
        ("MA01ABCD-X", "invalid_check_digit"),
        ("600037341X", "wrong_length"),
        ("6000#7341", "invalid_character"),
        ("60003734A", "invalid_last_character"),
    ],
)
def test_org_code_invalid(text, code):
    with pytest.raises(InvalidIdentifier) as caught:
        parse_org_code(text)

    assert caught.value.code == code


@given(org_codes())
def test_generated_org_codes_parse(value):
    assert parse_org_code(value).value == value


@given(org_codes(), st.integers(0, 8), st.sampled_from("0123456789"))
def test_one_changed_digit_makes_org_code_invalid(value, position, replacement):
    changed = value[:position] + replacement + value[position + 1 :]
    if changed == value or not value[position].isdigit():
        return

    assert not is_valid_org_code(changed)
