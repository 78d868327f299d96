import pytest
from hypothesis import given

from shoumi.identifiers import (
    InvalidIdentifier,
    Kind,
    TaxpayerIdForm,
    is_valid_taxpayer_id,
    parse,
    parse_taxpayer_id,
)

from .strategies import taxpayer_ids

VALID = [
    ("110108600037341", TaxpayerIdForm.DIVISION_AND_ORG_CODE, "110108600037341"),
    ("11010519491231002X00", TaxpayerIdForm.RESIDENT_ID_WITH_SEQUENCE, "110*************2X00"),
    ("11010519491231002X01", TaxpayerIdForm.RESIDENT_ID_WITH_SEQUENCE, "110*************2X01"),
    ("11010549123100200000", TaxpayerIdForm.LEGACY_RESIDENT_ID_WITH_ZEROS, "110*************0000"),
    ("91350100M000100Y43", TaxpayerIdForm.USCC, "91350100M000100Y43"),
    ("11010519491231002X", TaxpayerIdForm.RESIDENT_ID, "110***********002X"),
]


@pytest.mark.parametrize(("value", "form", "masked"), VALID)
def test_taxpayer_id_forms(value, form, masked):
    parsed = parse_taxpayer_id(value)

    assert parsed.value == value
    assert parsed.form == form
    assert parsed.masked == masked
    assert parsed.warnings == ()
    assert is_valid_taxpayer_id(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110108600037342", "embedded_identifier_invalid"),
        ("11010519491231002100", "embedded_identifier_invalid"),
        ("1101086000373", "unrecognised_taxpayer_id"),
        ("990108600037341", "invalid_division_code"),
        ("11010519491231002XAB", "unrecognised_taxpayer_id"),
    ],
)
def test_taxpayer_id_invalid(value, code):
    with pytest.raises(InvalidIdentifier) as caught:
        parse_taxpayer_id(value)

    assert caught.value.code == code


def test_embedded_error_names_the_part():
    with pytest.raises(InvalidIdentifier) as caught:
        parse_taxpayer_id("11010519491231002100")

    assert caught.value.message.startswith("纳税人识别号中的居民身份证号码无效")


def test_legacy_zeros_accepted_only_as_taxpayer_id():
    assert parse(Kind.TAXPAYER_ID, "11010549123100200000").form == (
        TaxpayerIdForm.LEGACY_RESIDENT_ID_WITH_ZEROS
    )
    with pytest.raises(InvalidIdentifier) as caught:
        parse(Kind.BANK_ACCOUNT, "11010549123100200000")
    assert caught.value.code == "excel_truncated"


def test_truncated_twenty_digits_are_refused():
    with pytest.raises(InvalidIdentifier) as caught:
        parse_taxpayer_id("11010549133100200000")

    assert caught.value.code == "excel_truncated"


@given(taxpayer_ids())
def test_generated_taxpayer_ids_parse(value):
    assert parse_taxpayer_id(value).value == value
    assert is_valid_taxpayer_id(value)
