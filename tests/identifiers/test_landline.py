import pytest
from hypothesis import given

from shoumi.identifiers import InvalidIdentifier, is_valid_landline, parse_landline
from shoumi.identifiers.landline import parse_normalised

from .strategies import landlines


@pytest.mark.parametrize(
    ("text", "value", "area_code", "masked"),
    [
        ("010-62123456", "01062123456", "010", "010****3456"),
        ("0755-86123456", "075586123456", "0755", "0755****3456"),
        ("0898-6512345", "08986512345", "0898", "0898****345"),
        ("(0755)86123456", "075586123456", "0755", "0755****3456"),
        ("+86 10 6212 3456", "01062123456", "010", "010****3456"),
    ],
)
def test_landline_valid(text, value, area_code, masked):
    parsed = parse_landline(text)

    assert parsed.value == value
    assert parsed.area_code == area_code
    assert parsed.masked == masked
    assert parsed.has_extension is False


@pytest.mark.parametrize(
    "text",
    ["010-62123456转8001", "010-62123456 ext. 8001", "010-62123456-8001", "01062123456#8001"],
)
def test_landline_extension_is_split(text):
    parsed = parse_landline(text)

    assert parsed.value == "01062123456转8001"
    assert parsed.has_extension
    assert parsed.masked == "010****3456"


def test_landline_canonical_value_round_trips():
    assert parse_normalised("01062123456转8001").value == "01062123456转8001"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("010-12345678", "invalid_local_number"),
        ("02-12345678", "wrong_local_length"),
        ("0755-123456", "wrong_local_length"),
        ("1062123456", "missing_leading_zero"),
        ("4008123123", "service_number"),
        ("95588", "service_number"),
        ("0112345678", "invalid_area_code"),
        ("010-6212345A", "non_digit"),
    ],
)
def test_landline_invalid(text, code):
    with pytest.raises(InvalidIdentifier) as caught:
        parse_landline(text)

    assert caught.value.code == code


@given(landlines())
def test_generated_landlines_parse(value):
    assert parse_landline(value).value == value
    assert is_valid_landline(value)
