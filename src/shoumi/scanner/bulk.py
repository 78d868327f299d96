"""Vectorised identifier checks over many candidates at once.

Each function takes an ``(n, length)`` ``uint8`` matrix whose rows are
candidates already normalised to ASCII with upper-case letters, and returns a
boolean array of length ``n``. The rules are the same as the per-value checks
in :mod:`shoumi.identifiers`; ``tests/scanner/test_bulk.py`` compares the two
on generated values. Checking a few thousand candidates per call costs a few
dozen NumPy operations instead of a Python loop per candidate, which is what
lets the scanner keep up with dense files.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from shoumi.scanner import rules

_RESIDENT_WEIGHTS = np.array(rules.RESIDENT_ID_WEIGHTS, dtype=np.int32)
_RESIDENT_CHECK = np.frombuffer(rules.RESIDENT_ID_CHECK_CHARS.encode(), dtype=np.uint8)
_USCC_WEIGHTS = np.array(rules.USCC_WEIGHTS, dtype=np.int32)
_USCC_CHARS = np.frombuffer(rules.USCC_ALPHABET.encode(), dtype=np.uint8)
_LUHN_DOUBLED = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9, *([0] * 246)], dtype=np.uint8)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)

_USCC_VALUE = np.full(256, 255, dtype=np.uint8)
for _index, _char in enumerate(rules.USCC_ALPHABET.encode()):
    _USCC_VALUE[_char] = _index

_PROVINCE_OK = np.zeros(100, dtype=bool)
_PROVINCE_OK[[int(code) for code in rules.PROVINCE_CODES]] = True

_MOBILE_PREFIX_OK = np.zeros(1000, dtype=bool)
_MOBILE_PREFIX_OK[[int(prefix) for prefix in rules.MOBILE_PREFIXES]] = True

_ORD_X = ord("X")

_BANK_CARD_FIRST_OK = np.zeros(256, dtype=bool)
_BANK_CARD_FIRST_OK[list(rules.BANK_CARD_FIRST_DIGITS_ASCII)] = True


def digit_values(matrix: np.ndarray) -> np.ndarray:
    """Return ``matrix - ord('0')``: digits become 0..9, every other byte 10 or more."""
    return matrix - np.uint8(48)


def _number(digits: np.ndarray) -> np.ndarray:
    """Read each row of a digit matrix as one decimal number."""
    value = np.zeros(digits.shape[0], dtype=np.int64)
    for column in range(digits.shape[1]):
        value = value * 10 + digits[:, column]
    return value


def _valid_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Check calendar dates from rules.MIN_BIRTH_YEAR up to today (no birth date in the future)."""
    month_ok = (month >= 1) & (month <= 12)
    safe_month = np.where(month_ok, month, 0)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last_day = _DAYS_IN_MONTH[safe_month] + (leap & (safe_month == 2))
    today = dt.date.today()
    stamp = year * 10000 + month * 100 + day
    not_future = stamp <= today.year * 10000 + today.month * 100 + today.day
    return month_ok & (day >= 1) & (day <= last_day) & (year >= rules.MIN_BIRTH_YEAR) & not_future


def _mod11_2_ok(digits: np.ndarray, last: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11-2 over 17 digits, compared with the 18th character."""
    remainder = (digits[:, :17].astype(np.int32) @ _RESIDENT_WEIGHTS) % 11
    return _RESIDENT_CHECK[remainder] == last


def resident_id_18(matrix: np.ndarray) -> np.ndarray:
    """GB 11643-1999 resident ID numbers, including the 81/82/83 0000 residence permits.

    Shape ``\\d{17}[\\dX]``, first two digits a province code (or a permit
    prefix 810000, 820000, 830000), a real birth date that is not in the
    future, and the MOD 11-2 check character.
    """
    digits = digit_values(matrix)
    shape = (digits[:, :17].max(axis=1) < 10) & ((digits[:, 17] < 10) | (matrix[:, 17] == _ORD_X))
    result = np.zeros(matrix.shape[0], dtype=bool)
    rows = np.flatnonzero(shape)
    if rows.size == 0:
        return result
    d = digits[rows].astype(np.int32)
    province = d[:, 0] * 10 + d[:, 1]
    # 83 is no province code, but 830000 starts the Taiwan residence permits.
    taiwan_permit = (province == 83) & (d[:, 2:6].max(axis=1) == 0)
    region_ok = _PROVINCE_OK[province] | taiwan_permit
    year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
    date_ok = _valid_dates(year, d[:, 10] * 10 + d[:, 11], d[:, 12] * 10 + d[:, 13])
    check_ok = _mod11_2_ok(d, matrix[rows, 17])
    result[rows] = region_ok & date_ok & check_ok
    return result


def residence_permit_prefix(matrix: np.ndarray) -> np.ndarray:
    """Rows that start with a Hong Kong, Macao or Taiwan residence-permit address code."""
    head = _number(digit_values(matrix[:, :6]).astype(np.int64))
    return np.isin(head, rules.RESIDENCE_PERMIT_PREFIXES)


def resident_id_15(matrix: np.ndarray) -> np.ndarray:
    """GB 11643-1989 15-digit numbers: province code and a real 19YYMMDD birth date, no check digit."""
    digits = digit_values(matrix)
    result = np.zeros(matrix.shape[0], dtype=bool)
    rows = np.flatnonzero(digits.max(axis=1) < 10)
    if rows.size == 0:
        return result
    d = digits[rows].astype(np.int32)
    province_ok = _PROVINCE_OK[d[:, 0] * 10 + d[:, 1]]
    year = 1900 + d[:, 6] * 10 + d[:, 7]
    date_ok = _valid_dates(year, d[:, 8] * 10 + d[:, 9], d[:, 10] * 10 + d[:, 11])
    result[rows] = province_ok & date_ok
    return result


def foreign_permanent_residence_id_18(matrix: np.ndarray) -> np.ndarray:
    """2023 foreign permanent residence ID: ``9``, office province, nationality, birth date, MOD 11-2."""
    digits = digit_values(matrix)
    shape = (
        (matrix[:, 0] == ord("9"))
        & (digits[:, :17].max(axis=1) < 10)
        & ((digits[:, 17] < 10) | (matrix[:, 17] == _ORD_X))
    )
    result = np.zeros(matrix.shape[0], dtype=bool)
    rows = np.flatnonzero(shape)
    if rows.size == 0:
        return result
    d = digits[rows].astype(np.int32)
    office_ok = _PROVINCE_OK[d[:, 1] * 10 + d[:, 2]]
    year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
    date_ok = _valid_dates(year, d[:, 10] * 10 + d[:, 11], d[:, 12] * 10 + d[:, 13])
    result[rows] = office_ok & date_ok & _mod11_2_ok(d, matrix[rows, 17])
    return result


def uscc(matrix: np.ndarray) -> np.ndarray:
    """GB 32100-2015 unified social credit codes: alphabet, digits in 3-8, MOD 31 check character."""
    values = _USCC_VALUE[matrix]
    shape = (values.max(axis=1) < 31) & (values[:, 2:8].max(axis=1) < 10)
    result = np.zeros(matrix.shape[0], dtype=bool)
    rows = np.flatnonzero(shape)
    if rows.size == 0:
        return result
    v = values[rows].astype(np.int32)
    check = (31 - (v[:, :17] @ _USCC_WEIGHTS) % 31) % 31
    result[rows] = check == v[:, 17]
    return result


def bank_card(matrix: np.ndarray) -> np.ndarray:
    """Bank card numbers of one length: digits, an accepted first digit and the Luhn check."""
    digits = digit_values(matrix)
    length = matrix.shape[1]
    shape = (digits.max(axis=1) < 10) & _BANK_CARD_FIRST_OK[matrix[:, 0]]
    if length not in rules.BANK_CARD_LENGTHS:
        shape[:] = False
    result = np.zeros(matrix.shape[0], dtype=bool)
    rows = np.flatnonzero(shape)
    if rows.size == 0:
        return result
    d = digits[rows]
    kept = d[:, length - 1 :: -2].sum(axis=1, dtype=np.int32)
    doubled = _LUHN_DOUBLED[d[:, length - 2 :: -2]].sum(axis=1, dtype=np.int32)
    result[rows] = (kept + doubled) % 10 == 0
    return result


def mobile(matrix: np.ndarray) -> np.ndarray:
    """Mainland mobile numbers: 11 digits starting with an allocated three-digit prefix."""
    digits = digit_values(matrix)
    result = np.zeros(matrix.shape[0], dtype=bool)
    if matrix.shape[1] != 11:
        return result
    rows = np.flatnonzero(digits.max(axis=1) < 10)
    if rows.size == 0:
        return result
    d = digits[rows].astype(np.int32)
    result[rows] = _MOBILE_PREFIX_OK[d[:, 0] * 100 + d[:, 1] * 10 + d[:, 2]]
    return result
