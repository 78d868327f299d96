"""The vectorised checks must agree with the per-value ``is_valid_*`` checks."""

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from shoumi.identifiers import (
    bulk,
    is_valid_bank_card,
    is_valid_foreign_permanent_residence_id,
    is_valid_landline,
    is_valid_mobile,
    is_valid_org_code,
    is_valid_passport,
    is_valid_registration_number,
    is_valid_resident_id,
    is_valid_uscc,
)
from shoumi.identifiers.checksums import (
    USCC_ALPHABET,
    mod_11_2,
    mod_11_10,
    org_code_check,
    uscc_check,
)


def matrix(values: list[str]) -> np.ndarray:
    width = len(values[0])
    return np.frombuffer("".join(values).encode("ascii"), dtype=np.uint8).reshape(
        len(values), width
    )


def near_valid_18(rng: random.Random) -> str:
    """Mostly well-formed 18-character numbers, so every rule gets exercised."""
    head = rng.choice(["11", "32", "44", "81", "82", "83", "71", "19", "91", "93", "00"])
    area = head + rng.choice(["0000", "0105", "0106", "1234"])
    birth = f"{rng.randrange(1850, 2040)}{rng.randrange(0, 14):02d}{rng.randrange(0, 33):02d}"
    body = area + birth + f"{rng.randrange(1000):03d}"
    check = mod_11_2(body) if rng.random() < 0.7 else rng.choice("0123456789X")
    return body + check


def near_valid_uscc(rng: random.Random) -> str:
    body = (
        rng.choice("159NY")
        + rng.choice("1239")
        + rng.choice(["110108", "100000", "710000", "350100"])
    )
    body += "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    check = uscc_check(body) if rng.random() < 0.7 else rng.choice(USCC_ALPHABET)
    return body + check


def test_resident_id_agrees():
    rng = random.Random(11)
    values = [near_valid_18(rng) for _ in range(20000)]

    result = bulk.resident_id_18(matrix(values))

    assert result.tolist() == [is_valid_resident_id(value) for value in values]
    assert result.sum() > 1000


def test_foreign_permanent_residence_id_agrees():
    rng = random.Random(12)
    values = [near_valid_18(rng) for _ in range(20000)]

    result = bulk.foreign_permanent_residence_id_18(matrix(values))

    assert result.tolist() == [is_valid_foreign_permanent_residence_id(value) for value in values]
    assert result.sum() > 100


def test_uscc_agrees():
    rng = random.Random(13)
    values = [near_valid_uscc(rng) for _ in range(20000)]

    result = bulk.uscc(matrix(values))

    assert result.tolist() == [is_valid_uscc(value) for value in values]
    assert result.sum() > 1000


@settings(max_examples=200)
@given(st.lists(st.text(alphabet="0123456789", min_size=11, max_size=11), min_size=1, max_size=50))
def test_mobile_agrees(values):
    assert bulk.mobile(matrix(values)).tolist() == [is_valid_mobile(value) for value in values]


@settings(max_examples=200)
@given(
    st.integers(12, 19).flatmap(
        lambda width: st.lists(
            st.text(alphabet="0123456789", min_size=width, max_size=width), min_size=1, max_size=50
        )
    )
)
def test_bank_card_agrees(values):
    assert bulk.bank_card(matrix(values)).tolist() == [
        is_valid_bank_card(value) for value in values
    ]


def test_resident_id_15_agrees():
    rng = random.Random(14)
    values = [
        rng.choice(["11", "32", "81", "19"])
        + "0105"
        + f"{rng.randrange(100):02d}{rng.randrange(14):02d}"
        f"{rng.randrange(33):02d}{rng.randrange(1000):03d}"
        for _ in range(5000)
    ]

    result = bulk.resident_id_15(matrix(values))

    assert result.tolist() == [is_valid_resident_id(value) for value in values]


def test_org_code_agrees():
    rng = random.Random(15)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    values = []
    for _ in range(20000):
        body = "".join(
            rng.choice(alphabet if rng.random() < 0.3 else "0123456789") for _ in range(8)
        )
        if rng.random() < 0.05:
            body = body[:3] + rng.choice("-a*") + body[4:]
        check = (
            org_code_check(body)
            if set(body) <= set(alphabet) and rng.random() < 0.7
            else rng.choice(alphabet)
        )
        values.append(body + check)

    result = bulk.org_code(matrix(values))

    assert result.tolist() == [is_valid_org_code(value) for value in values]
    assert 5000 < result.sum() < 19000


def test_registration_number_agrees():
    rng = random.Random(16)
    values = []
    for _ in range(20000):
        body = rng.choice(["11", "32", "00", "99", "71"]) + f"{rng.randrange(10**12):012d}"
        check = mod_11_10(body) if rng.random() < 0.7 else rng.choice("0123456789A")
        values.append(body + check)

    result = bulk.registration_number_15(matrix(values))

    assert result.tolist() == [is_valid_registration_number(value) for value in values]
    assert 5000 < result.sum() < 19000


@settings(max_examples=300)
@given(
    st.lists(
        st.text(alphabet="EGKMADPSIOXZ0123456789", min_size=9, max_size=9), min_size=1, max_size=50
    )
)
def test_passport_agrees_except_the_warned_g_series(values):
    expected = [is_valid_passport(value) and value[0] != "G" for value in values]

    assert bulk.passport(matrix(values)).tolist() == expected


@settings(max_examples=300)
@given(
    st.integers(11, 12).flatmap(
        lambda width: st.lists(
            st.text(alphabet="0123456789", min_size=width, max_size=width).map(
                lambda text: "0" + text[1:] if text[0] != "0" and text[1] != "0" else text
            ),
            min_size=1,
            max_size=50,
        )
    )
)
def test_landline_agrees(values):
    assert bulk.landline(matrix(values)).tolist() == [is_valid_landline(value) for value in values]


def test_landline_passport_and_org_code_refuse_other_widths():
    values = ["0106234567"]

    assert not bulk.landline(matrix(values)).any()
    assert not bulk.passport(matrix(values)).any()
    assert not bulk.org_code(matrix(values)).any()
    assert not bulk.registration_number_15(matrix(values)).any()
