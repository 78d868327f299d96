import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoumi.identifiers import VALIDATORS, InvalidIdentifier, Kind, identify, parse
from shoumi.identifiers.checksums import mod_11_10
from shoumi.identifiers.normalise import is_excel_truncated, normalise
from shoumi.identifiers.router import parse_normalised

from .strategies import VALID_VALUES

# Kinds without a check that would match almost any digit string.
NOT_IDENTIFIED = {Kind.BANK_ACCOUNT, Kind.TRAVEL_PERMIT}


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("931840198001010017", [Kind.FOREIGN_PERMANENT_RESIDENCE_ID]),
        ("810000199207040213", [Kind.RESIDENCE_PERMIT]),
        ("11010519491231002X", [Kind.RESIDENT_ID]),
        ("91350100M000100Y43", [Kind.USCC]),
        ("KAZ110090123105", [Kind.FOREIGN_PERMANENT_RESIDENCE_ID]),
        ("600037341", [Kind.ORG_CODE]),
        ("E12345678", [Kind.PASSPORT]),
        ("6217001234567890122", [Kind.BANK_CARD]),
        ("13800138000", [Kind.MOBILE]),
        ("010-62123456", [Kind.LANDLINE]),
        ("010-62123456-8001", [Kind.LANDLINE]),
        # Passes the registration number's MOD 11,10 check by chance as well.
        ("110108600037341", [Kind.REGISTRATION_NUMBER, Kind.TAXPAYER_ID]),
        ("110108000000008", [Kind.REGISTRATION_NUMBER]),
        ("hello", []),
        ("12345678", []),
    ],
)
def test_identify_by_shape(text, kinds):
    assert [reading.kind for reading in identify(text)] == kinds


def test_identify_fifteen_digits_returns_every_reading():
    # A legacy resident ID whose last digit also makes a registration number's check pass.
    body = "11010549123100"
    value = body + mod_11_10(body)

    kinds = {reading.kind for reading in identify(value)}

    assert Kind.RESIDENT_ID in kinds
    assert Kind.REGISTRATION_NUMBER in kinds
    assert kinds <= {Kind.RESIDENT_ID, Kind.REGISTRATION_NUMBER, Kind.TAXPAYER_ID}


def test_identify_keeps_warned_credit_code():
    readings = identify("91350100M000100Y44")

    assert [reading.kind for reading in readings] == [Kind.USCC]
    assert readings[0].has_warning("check_character_mismatch")


def test_identify_keeps_resident_id_born_before_1900():
    readings = identify("440524188001010014")

    # The same digits also pass a card's Luhn check.
    assert [reading.kind for reading in readings] == [Kind.RESIDENT_ID, Kind.BANK_CARD]
    assert readings[0].has_warning("birth_year_before_1900")


def test_identify_drops_card_that_fails_luhn():
    assert identify("6217001234567890123") == []


def test_identify_refuses_excel_damage():
    with pytest.raises(InvalidIdentifier) as caught:
        identify("1.10105E+17")

    assert caught.value.code == "excel_scientific_notation"


def test_parse_accepts_kind_as_string():
    assert parse("mobile", "13800138000").kind == Kind.MOBILE


def test_parse_rejects_unknown_kind():
    with pytest.raises(ValueError, match="Kind"):
        parse("unknown", "13800138000")


def test_parse_residence_permit_kind_rejects_resident_id():
    with pytest.raises(InvalidIdentifier) as caught:
        parse(Kind.RESIDENCE_PERMIT, "11010519491231002X")

    assert caught.value.code == "not_residence_permit"


@st.composite
def kind_and_value(draw):
    kind = draw(st.sampled_from(sorted(VALID_VALUES)))
    return kind, draw(VALID_VALUES[kind])


@given(kind_and_value())
def test_generated_values_are_identified(example):
    kind, value = example
    # identify refuses the legacy taxpayer form "ID + 00000" as Excel damage, by design.
    if kind in NOT_IDENTIFIED or is_excel_truncated(value):
        return
    expected_kinds = {kind}
    if kind in (Kind.RESIDENT_ID, Kind.RESIDENCE_PERMIT):
        expected_kinds = {Kind.RESIDENT_ID, Kind.RESIDENCE_PERMIT}

    kinds = {reading.kind for reading in identify(value)}

    if kind == Kind.TAXPAYER_ID and len(value) == 18:
        return
    assert kinds & expected_kinds


def _mutations(value):
    return st.one_of(
        st.just(value),
        st.integers(0, len(value) - 1).flatmap(
            lambda i: st.sampled_from("0123456789XA").map(lambda c: value[:i] + c + value[i + 1 :])
        ),
    )


@given(
    st.sampled_from(sorted(VALID_VALUES)),
    kind_and_value().flatmap(lambda example: _mutations(example[1])),
)
def test_fast_check_agrees_with_parser(kind, text):
    try:
        value = normalise(text)
    except InvalidIdentifier:
        return
    try:
        parsed = parse_normalised(kind, value)
        expected = not parsed.requires_confirmation
    except InvalidIdentifier:
        expected = False

    assert VALIDATORS[kind](value) is expected
