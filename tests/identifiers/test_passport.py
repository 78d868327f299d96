import pytest
from hypothesis import given

from shoumi.identifiers import (
    InvalidIdentifier,
    PassportType,
    TravelPermitType,
    is_valid_passport,
    is_valid_travel_permit,
    parse_passport,
    parse_travel_permit,
)

from .strategies import passports, travel_permits


@pytest.mark.parametrize(
    ("value", "passport_type", "masked"),
    [
        ("E12345678", PassportType.ORDINARY, "E*****678"),
        ("EA1234567", PassportType.ORDINARY, "EA****567"),
        ("EH7654321", PassportType.ORDINARY, "EH****321"),
        ("PE1234567", PassportType.PUBLIC_AFFAIRS, "PE****567"),
        ("DE1234567", PassportType.DIPLOMATIC, "DE****567"),
        ("SE1234567", PassportType.SERVICE, "SE****567"),
        ("K12345678", PassportType.HONG_KONG_SAR, "K*****678"),
        ("MA1234567", PassportType.MACAO_SAR, "MA****567"),
    ],
)
def test_passport_valid(value, passport_type, masked):
    parsed = parse_passport(value)

    assert parsed.passport_type == passport_type
    assert parsed.masked == masked
    assert parsed.warnings == ()
    assert is_valid_passport(value)


@pytest.mark.parametrize("value", ["EI1234567", "E1234567", "123456789", "EO1234567"])
def test_passport_invalid(value):
    with pytest.raises(InvalidIdentifier) as caught:
        parse_passport(value)

    assert caught.value.code == "invalid_format"


def test_pre_2012_passport_is_noted_as_expired():
    parsed = parse_passport("G12345678")

    assert parsed.has_warning("expired_passport_series")
    assert not parsed.requires_confirmation


@pytest.mark.parametrize(
    ("value", "permit_type"),
    [
        ("H12345678", TravelPermitType.HONG_KONG),
        ("M1234567801", TravelPermitType.MACAO),
        ("12345678", TravelPermitType.TAIWAN),
    ],
)
def test_travel_permit_valid(value, permit_type):
    assert parse_travel_permit(value).permit_type == permit_type


@pytest.mark.parametrize("value", ["H1234567", "A12345678", "1234567"])
def test_travel_permit_invalid(value):
    with pytest.raises(InvalidIdentifier) as caught:
        parse_travel_permit(value)

    assert caught.value.code == "invalid_format"


@given(passports())
def test_generated_passports_parse(value):
    assert parse_passport(value).value == value
    assert is_valid_passport(value)


@given(travel_permits())
def test_generated_travel_permits_parse(value):
    assert parse_travel_permit(value).value == value
    assert is_valid_travel_permit(value)
