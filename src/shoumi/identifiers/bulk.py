"""Vectorised ``is_valid_*`` checks over many candidates at once, for the scanner.

Each function takes an ``(n, width)`` ``uint8`` matrix whose rows are
candidates already normalised to ASCII with upper-case letters, and returns a
boolean array of length ``n`` that equals the per-value ``is_valid_*`` check of
the same kind on each row (``tests/identifiers/test_bulk.py`` compares them).
The tables come from the per-kind modules, so there is one set of rules.
Checking thousands of candidates costs a few dozen NumPy operations instead of
a Python call per candidate, which is what lets the scanner keep up with dense
files.
"""

from __future__ import annotations

import numpy as np
import pycountry

from .bank_card import _ISSUER_FIRST_DIGITS
from .bank_card import MAX_LENGTH as BANK_CARD_MAX_LENGTH
from .bank_card import MIN_LENGTH as BANK_CARD_MIN_LENGTH
from .checksums import USCC_ALPHABET
from .dates import today_digits
from .mobile import MobilePrefixTable, get_prefix_table
from .regions import REGISTRATION_PROVINCES, RESIDENCE_PERMIT_REGIONS, RESIDENT_ID_PROVINCES
from .uscc import AUTHORITIES

# ISO 7064 MOD 11-2 as GB 11643 uses it: weight 2^(18-i) mod 11 at position i = 1..17
# (7, 9, 10, ...).
_MOD_11_2_WEIGHTS = np.array([pow(2, 18 - i, 11) for i in range(1, 18)], dtype=np.int32)
_MOD_11_2_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
# GB 32100: weight 3^(i-1) mod 31.
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int32)
_LUHN_DOUBLED = np.zeros(256, dtype=np.uint8)
_LUHN_DOUBLED[:10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9]
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
_ORD_X = ord("X")


def _lookup(size: int, keys) -> np.ndarray:
    table = np.zeros(size, dtype=bool)
    table[[int(key) for key in keys]] = True
    return table


_USCC_VALUE = np.full(256, 255, dtype=np.uint8)
_USCC_VALUE[np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)] = np.arange(len(USCC_ALPHABET))
_USCC_AUTHORITY = np.zeros(256, dtype=bool)
_USCC_AUTHORITY[[ord(code) for code in AUTHORITIES]] = True
_REGISTRATION_PROVINCE = _lookup(100, REGISTRATION_PROVINCES)
_RESIDENT_PROVINCE = _lookup(100, RESIDENT_ID_PROVINCES)
_PERMIT_REGION = np.array(sorted(int(code) for code in RESIDENCE_PERMIT_REGIONS), dtype=np.int64)
# (authority character, entity-type character) pairs listed in the GB 32100 tables.
_USCC_ENTITY_TYPE = np.zeros((256, 256), dtype=bool)
for _authority, (_, _entity_types) in AUTHORITIES.items():
    _USCC_ENTITY_TYPE[ord(_authority), [ord(code) for code in _entity_types]] = True
# ISO 3166-1 numeric codes, the nationality field of a 2023 permanent residence ID.
_KNOWN_NATIONALITY = _lookup(1000, [country.numeric for country in pycountry.countries])
_CARD_FIRST_DIGIT = np.zeros(256, dtype=bool)
_CARD_FIRST_DIGIT[[ord(digit) for digit in _ISSUER_FIRST_DIGITS]] = True

_mobile_cache: tuple[MobilePrefixTable, np.ndarray] | None = None


def _mobile_lookup() -> np.ndarray:
    """Allocated four-digit prefixes of the active prefix table (3-digit entries expanded)."""
    global _mobile_cache
    table = get_prefix_table()
    if _mobile_cache is None or _mobile_cache[0] is not table:
        allowed = np.zeros(10000, dtype=bool)
        for prefix in table.prefixes:
            if len(prefix) == 3:
                allowed[int(prefix) * 10 : int(prefix) * 10 + 10] = True
            elif len(prefix) == 4:
                allowed[int(prefix)] = True
        _mobile_cache = (table, allowed)
    return _mobile_cache[1]


def _digits(matrix: np.ndarray) -> np.ndarray:
    """``matrix - ord('0')``: digits become 0..9, every other byte 10 or more."""
    return matrix - np.uint8(48)


def _number(digits: np.ndarray) -> np.ndarray:
    value = np.zeros(digits.shape[0], dtype=np.int64)
    for column in range(digits.shape[1]):
        value = value * 10 + digits[:, column]
    return value


def _birth_date_ok(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """A real calendar date, year 1 or later, not after today (``dates.birth_date_error``)."""
    month_ok = (month >= 1) & (month <= 12)
    safe_month = np.where(month_ok, month, 0)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last_day = _DAYS_IN_MONTH[safe_month] + (leap & (safe_month == 2))
    not_future = year * 10000 + month * 100 + day <= int(today_digits())
    return month_ok & (year >= 1) & (day >= 1) & (day <= last_day) & not_future


def _date_at(d: np.ndarray, column: int) -> np.ndarray:
    year = d[:, column] * 1000 + d[:, column + 1] * 100 + d[:, column + 2] * 10 + d[:, column + 3]
    month = d[:, column + 4] * 10 + d[:, column + 5]
    day = d[:, column + 6] * 10 + d[:, column + 7]
    return _birth_date_ok(year, month, day)


def _mod_11_2_ok(d: np.ndarray, last: np.ndarray) -> np.ndarray:
    return _MOD_11_2_CHECK[(d[:, :17] @ _MOD_11_2_WEIGHTS) % 11] == last


def _eighteen_digit_rows(matrix: np.ndarray, digits: np.ndarray) -> np.ndarray:
    """Rows shaped ``\\d{17}[\\dX]``."""
    return np.flatnonzero(
        (digits[:, :17].max(axis=1) < 10) & ((digits[:, 17] < 10) | (matrix[:, 17] == _ORD_X))
    )


def resident_id_18(matrix: np.ndarray) -> np.ndarray:
    """``is_valid_resident_id`` on 18-character rows (residence permits included)."""
    result = np.zeros(matrix.shape[0], dtype=bool)
    digits = _digits(matrix)
    rows = _eighteen_digit_rows(matrix, digits)
    if rows.size == 0:
        return result
    d = digits[rows].astype(np.int32)
    region_ok = _RESIDENT_PROVINCE[d[:, 0] * 10 + d[:, 1]] | residence_permit(matrix[rows])
    # A birth year before 1900 is a warning that needs review, so not valid here.
    since_1900 = d[:, 6] * 10 + d[:, 7] >= 19
    result[rows] = region_ok & since_1900 & _date_at(d, 6) & _mod_11_2_ok(d, matrix[rows, 17])
    return result


def residence_permit(matrix: np.ndarray) -> np.ndarray:
    """Rows whose first six characters are a residence-permit address code (810000, ...)."""
    head = _digits(matrix[:, :6])
    is_digits = head.max(axis=1) < 10
    return is_digits & np.isin(_number(head.astype(np.int64)), _PERMIT_REGION)


def resident_id_15(matrix: np.ndarray) -> np.ndarray:
    """``is_valid_resident_id`` on 15-digit legacy rows (born 19YY, no check digit).

    A row whose positions 7-14 also read as a real past date could be a truncated
    18-digit number, which needs review, so it is not valid here.
    """
    result = np.zeros(matrix.shape[0], dtype=bool)
    digits = _digits(matrix)
    rows = np.flatnonzero(digits.max(axis=1) < 10)
    if rows.size == 0:
        return result
    d = digits[rows].astype(np.int32)
    year = 1900 + d[:, 6] * 10 + d[:, 7]
    date_ok = _birth_date_ok(year, d[:, 8] * 10 + d[:, 9], d[:, 10] * 10 + d[:, 11])
    could_be_truncated = _date_at(d, 6)
    result[rows] = _RESIDENT_PROVINCE[d[:, 0] * 10 + d[:, 1]] & date_ok & ~could_be_truncated
    return result


def foreign_permanent_residence_id_18(matrix: np.ndarray) -> np.ndarray:
    """``is_valid_foreign_permanent_residence_id`` on 18-character rows (the 2023 format)."""
    result = np.zeros(matrix.shape[0], dtype=bool)
    digits = _digits(matrix)
    rows = _eighteen_digit_rows(matrix, digits)
    rows = rows[matrix[rows, 0] == ord("9")]
    if rows.size == 0:
        return result
    d = digits[rows].astype(np.int32)
    office_ok = _RESIDENT_PROVINCE[d[:, 1] * 10 + d[:, 2]]
    nationality_ok = _KNOWN_NATIONALITY[d[:, 3] * 100 + d[:, 4] * 10 + d[:, 5]]
    date_ok = _date_at(d, 6)
    result[rows] = office_ok & nationality_ok & date_ok & _mod_11_2_ok(d, matrix[rows, 17])
    return result


def uscc(matrix: np.ndarray) -> np.ndarray:
    """``is_valid_uscc``: alphabet, authority and entity type, province, MOD 31 check."""
    result = np.zeros(matrix.shape[0], dtype=bool)
    if matrix.shape[1] != 18:
        return result
    values = _USCC_VALUE[matrix]
    shape = (
        (values.max(axis=1) < 31)
        & (values[:, 2:8].max(axis=1) < 10)
        & _USCC_AUTHORITY[matrix[:, 0]]
    )
    rows = np.flatnonzero(shape)
    if rows.size == 0:
        return result
    v = values[rows].astype(np.int32)
    province_ok = _REGISTRATION_PROVINCE[v[:, 2] * 10 + v[:, 3]]
    entity_type_ok = _USCC_ENTITY_TYPE[matrix[rows, 0], matrix[rows, 1]]
    check = (31 - (v[:, :17] @ _USCC_WEIGHTS) % 31) % 31
    result[rows] = province_ok & entity_type_ok & (check == v[:, 17])
    return result


def bank_card(matrix: np.ndarray) -> np.ndarray:
    """``is_valid_bank_card``: length, issuer first digit and the Luhn check."""
    result = np.zeros(matrix.shape[0], dtype=bool)
    width = matrix.shape[1]
    if not BANK_CARD_MIN_LENGTH <= width <= BANK_CARD_MAX_LENGTH:
        return result
    digits = _digits(matrix)
    rows = np.flatnonzero((digits.max(axis=1) < 10) & _CARD_FIRST_DIGIT[matrix[:, 0]])
    if rows.size == 0:
        return result
    d = digits[rows]
    kept = d[:, width - 1 :: -2].sum(axis=1, dtype=np.int32)
    doubled = _LUHN_DOUBLED[d[:, width - 2 :: -2]].sum(axis=1, dtype=np.int32)
    result[rows] = (kept + doubled) % 10 == 0
    return result


def mobile(matrix: np.ndarray) -> np.ndarray:
    """``is_valid_mobile`` on 11-digit rows, with the active prefix table."""
    result = np.zeros(matrix.shape[0], dtype=bool)
    if matrix.shape[1] != 11:
        return result
    digits = _digits(matrix)
    rows = np.flatnonzero(digits.max(axis=1) < 10)
    if rows.size == 0:
        return result
    d = digits[rows].astype(np.int32)
    prefix = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    result[rows] = _mobile_lookup()[prefix]
    return result
