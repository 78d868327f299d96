from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.iso7064 import mod_11_2, mod_11_10

from shoumi.identifiers import checksums

DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=30)


@given(DIGITS)
def test_mod_11_2_matches_stdnum(body):
    assert checksums.mod_11_2(body) == mod_11_2.calc_check_digit(body)


@given(DIGITS)
def test_mod_11_10_matches_stdnum(body):
    assert checksums.mod_11_10(body) == mod_11_10.calc_check_digit(body)


@given(DIGITS)
def test_luhn_matches_stdnum(number):
    assert checksums.luhn_is_valid(number) is luhn.is_valid(number)


@given(st.text(alphabet=checksums.USCC_ALPHABET, min_size=17, max_size=17))
def test_uscc_check_matches_weighted_sum(body):
    total = sum(checksums.USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))

    expected = checksums.USCC_ALPHABET[(31 - total % 31) % 31]

    assert checksums.uscc_check(body) == expected


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=8, max_size=8))
def test_org_code_check_matches_weighted_sum(body):
    total = sum(int(c, 36) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11

    expected = {10: "X", 11: "0"}.get(check, str(check))

    assert checksums.org_code_check(body) == expected


def test_known_check_characters():
    assert checksums.mod_11_2("11010519491231002") == "X"
    assert checksums.uscc_check("91350100M000100Y4") == "3"
    assert checksums.org_code_check("M000100Y") == "4"
    assert checksums.mod_11_10("11010800000000") == "8"
    assert checksums.luhn_is_valid("79927398713")
    assert not checksums.luhn_is_valid("79927398710")


def test_icao_check_on_doc_9303_example():
    # ICAO Doc 9303 part 3 specimen document number L898902C3, check digit 6.
    assert checksums.icao_9303_check("L898902C3") == "6"
