"""Hypothesis strategies that build synthetic, checksum-valid identifiers of every kind.

Numbers are computed from random parts, never taken from real people. Address and
division codes come from a short list of real county codes so that region lookups work.
"""

from __future__ import annotations

import datetime

import pycountry
from hypothesis import assume
from hypothesis import strategies as st

from shoumi.identifiers import checksums
from shoumi.identifiers.base import Kind
from shoumi.identifiers.mobile import DEFAULT_PREFIX_TABLE
from shoumi.identifiers.normalise import is_excel_truncated
from shoumi.identifiers.uscc import AUTHORITIES

COUNTY_CODES = (
    "110101", "110105", "110108", "120101", "130102", "310104", "310115", "320106",
    "330106", "350102", "370202", "420106", "440305", "440524", "500103", "510107",
    "610113", "650102",
)  # fmt: skip

BIRTH_DATES = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2020, 12, 31))


def digits(count: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=count, max_size=count)


@st.composite
def resident_ids(draw: st.DrawFn, address: st.SearchStrategy[str] | None = None) -> str:
    address_code = draw(address if address is not None else st.sampled_from(COUNTY_CODES))
    body = address_code + draw(BIRTH_DATES).strftime("%Y%m%d") + draw(digits(3))
    value = body + checksums.mod_11_2(body)
    # Values ending in 000 have the Excel-truncation shape and are refused by design.
    assume(not is_excel_truncated(value))
    return value


def residence_permits() -> st.SearchStrategy[str]:
    return resident_ids(address=st.sampled_from(("810000", "820000", "830000")))


@st.composite
def legacy_resident_ids(draw: st.DrawFn) -> str:
    birth = draw(
        st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(1999, 12, 31))
    )
    return draw(st.sampled_from(COUNTY_CODES)) + birth.strftime("%y%m%d") + draw(digits(3))


NUMERIC_COUNTRY_CODES = sorted(country.numeric for country in pycountry.countries)
ALPHA_3_COUNTRY_CODES = sorted(country.alpha_3 for country in pycountry.countries)


@st.composite
def foreign_permanent_residence_ids(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(("11", "31", "44", "32", "33")))
    body = (
        "9"
        + province
        + draw(st.sampled_from(NUMERIC_COUNTRY_CODES))
        + draw(BIRTH_DATES).strftime("%Y%m%d")
        + draw(digits(3))
    )
    value = body + checksums.mod_11_2(body)
    assume(not is_excel_truncated(value))
    return value


@st.composite
def legacy_foreign_permanent_residence_ids(draw: st.DrawFn) -> str:
    body = draw(st.sampled_from(ALPHA_3_COUNTRY_CODES)) + draw(digits(11))
    return body + checksums.icao_9303_check(body)


USCC_BODY_CHARACTERS = checksums.USCC_ALPHABET


@st.composite
def org_code_bodies(draw: st.DrawFn, alphabet: str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") -> str:
    return draw(st.text(alphabet=alphabet, min_size=8, max_size=8))


@st.composite
def org_codes(draw: st.DrawFn) -> str:
    body = draw(org_code_bodies())
    return body + checksums.org_code_check(body)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from(sorted(AUTHORITIES)))
    entity_type = draw(st.sampled_from(sorted(AUTHORITIES[authority][1])))
    org_body = draw(org_code_bodies(alphabet=USCC_BODY_CHARACTERS))
    body = authority + entity_type + draw(st.sampled_from(COUNTY_CODES)) + org_body
    body += checksums.org_code_check(org_body)
    value = body + checksums.uscc_check(body)
    # An all-digit code such as 531101010000000000 has the Excel-truncation shape.
    assume(not is_excel_truncated(value))
    return value


@st.composite
def registration_numbers(draw: st.DrawFn) -> str:
    body = draw(st.sampled_from(COUNTY_CODES)) + draw(digits(8))
    return body + checksums.mod_11_10(body)


@st.composite
def taxpayer_ids(draw: st.DrawFn) -> str:
    form = draw(st.sampled_from(("division", "id_sequence", "legacy_zeros")))
    if form == "division":
        return draw(st.sampled_from(COUNTY_CODES)) + draw(org_codes())
    if form == "id_sequence":
        value = draw(resident_ids()) + draw(digits(2))
        if is_excel_truncated(value):
            return draw(resident_ids()) + "01"
        return value
    return draw(legacy_resident_ids()) + "00000"


CARD_PREFIXES = (
    "622202",
    "621700",
    "622848",
    "621483",
    "623052",
    "436742",
    "518378",
    "356833",
    "9558",
)


@st.composite
def bank_cards(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(CARD_PREFIXES))
    length = draw(st.integers(min_value=16, max_value=19))
    body = prefix + draw(digits(length - len(prefix) - 1))
    for check in "0123456789":
        if checksums.luhn_is_valid(body + check):
            candidate = body + check
            break
    if is_excel_truncated(candidate):
        return draw(bank_cards())
    return candidate


@st.composite
def bank_accounts(draw: st.DrawFn) -> str:
    value = draw(st.integers(min_value=1, max_value=9).map(str)) + draw(
        st.integers(min_value=7, max_value=31).flatmap(digits)
    )
    if is_excel_truncated(value):
        return value[:-1] + "1"
    return value


MOBILE_PREFIXES = sorted(prefix for prefix in DEFAULT_PREFIX_TABLE.prefixes if len(prefix) == 3)


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(MOBILE_PREFIXES)) + draw(digits(8))


@st.composite
def landlines(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from(("010", "020", "021", "0755", "0898", "0571", "0512")))
    local_length = 8 if len(area) == 3 else draw(st.sampled_from((7, 8)))
    return area + draw(st.sampled_from("23456789")) + draw(digits(local_length - 1))


def passports() -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda tail: "E" + tail, digits(8)),
        st.builds(
            lambda letter, tail: "E" + letter + tail, st.sampled_from("ABCDHJKMNPZ"), digits(7)
        ),
        st.builds(
            lambda prefix, tail: prefix + tail, st.sampled_from(("DE", "SE", "PE", "MA")), digits(7)
        ),
        st.builds(lambda tail: "K" + tail, digits(8)),
    )


def travel_permits() -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda letter, tail: letter + tail, st.sampled_from("HM"), digits(8)),
        digits(8),
    )


# Kind -> strategy of canonical values of that kind.
VALID_VALUES: dict[Kind, st.SearchStrategy[str]] = {
    Kind.RESIDENT_ID: resident_ids(),
    Kind.RESIDENCE_PERMIT: residence_permits(),
    Kind.FOREIGN_PERMANENT_RESIDENCE_ID: st.one_of(
        foreign_permanent_residence_ids(), legacy_foreign_permanent_residence_ids()
    ),
    Kind.USCC: usccs(),
    Kind.ORG_CODE: org_codes(),
    Kind.REGISTRATION_NUMBER: registration_numbers(),
    Kind.TAXPAYER_ID: taxpayer_ids(),
    Kind.BANK_CARD: bank_cards(),
    Kind.BANK_ACCOUNT: bank_accounts(),
    Kind.MOBILE: mobiles(),
    Kind.LANDLINE: landlines(),
    Kind.PASSPORT: passports(),
    Kind.TRAVEL_PERMIT: travel_permits(),
}

# Separators people type between characters. "." is left out: a dot before trailing zeros
# reads as a float suffix, which the normaliser strips on purpose.
_SEPARATORS = (" ", "-", "\u3000", "\u00a0", "\u200b", "\u2014", "·", "/", "_")
_FULL_WIDTH = {
    character: chr(ord(character) + 0xFEE0) for character in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
}


@st.composite
def messy_forms(draw: st.DrawFn, value: str) -> str:
    """Return ``value`` as a person might type or paste it."""
    characters = []
    for character in value:
        if draw(st.booleans()) and character in _FULL_WIDTH:
            character = _FULL_WIDTH[character]
        elif character.isalpha() and draw(st.booleans()):
            character = character.lower()
        characters.append(character)
        if draw(st.integers(min_value=0, max_value=5)) == 0:
            characters.append(draw(st.sampled_from(_SEPARATORS)))
    text = "".join(characters)
    leading = draw(st.sampled_from(("", "'", " ", "\ufeff", "\u2018", "`")))
    trailing = draw(st.sampled_from(("", " ", "\t\r\n", "\u3000", "\u00a0", "\u200b")))
    return leading + text + trailing
