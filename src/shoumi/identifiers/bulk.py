"""Vectorised ``is_valid_*`` checks over many candidates at once, for the scanner.

Each check takes an ``(n, width)`` ``uint8`` matrix whose rows are candidates already
normalised to ASCII with upper-case letters, or a :class:`Candidates` batch built from
one, and returns a boolean array of length ``n`` that equals the per-value ``is_valid_*``
check of the same kind on each row (``tests/identifiers/test_bulk.py`` compares them).
The tables come from the per-kind modules, so there is one set of rules.
Checking thousands of candidates costs a few dozen NumPy operations instead of
a Python call per candidate, which is what lets the scanner keep up with dense
files.

The checks work on the transposed matrix, one contiguous array per character position:
NumPy combines such arrays element-wise at full speed, while reducing or indexing the
short rows of an ``(n, width)`` matrix runs one small inner loop per row. A caller that
runs several checks on the same rows builds one :class:`Candidates` and passes it to each.
"""

from __future__ import annotations

import numpy as np
import pycountry

from .bank_card import _ISSUER_FIRST_DIGITS
from .bank_card import MAX_LENGTH as BANK_CARD_MAX_LENGTH
from .bank_card import MIN_LENGTH as BANK_CARD_MIN_LENGTH
from .checksums import _ORG_CODE_WEIGHTS, USCC_ALPHABET
from .dates import today_digits
from .mobile import MobilePrefixTable, get_prefix_table
from .regions import REGISTRATION_PROVINCES, RESIDENCE_PERMIT_REGIONS, RESIDENT_ID_PROVINCES
from .uscc import AUTHORITIES

# ISO 7064 MOD 11-2 as GB 11643 uses it: weight 2^(18-i) mod 11 at position i = 1..17
# (7, 9, 10, ...).
_MOD_11_2_WEIGHTS = np.array([[pow(2, 18 - i, 11)] for i in range(1, 18)], dtype=np.int32)
_MOD_11_2_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
# GB 32100: weight 3^(i-1) mod 31.
_USCC_WEIGHTS = np.array([[pow(3, i, 31)] for i in range(17)], dtype=np.int32)
_LUHN_DOUBLED = np.zeros(256, dtype=np.uint8)
_LUHN_DOUBLED[:10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9]
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
_ORD_X = ord("X")
_BASE_36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


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
_PERMIT_REGIONS = tuple(sorted(int(code) for code in RESIDENCE_PERMIT_REGIONS))
# (authority character, entity-type character) pairs listed in the GB 32100 tables.
_USCC_ENTITY_TYPE = np.zeros((256, 256), dtype=bool)
for _authority, (_, _entity_types) in AUTHORITIES.items():
    _USCC_ENTITY_TYPE[ord(_authority), [ord(code) for code in _entity_types]] = True
# ISO 3166-1 numeric codes, the nationality field of a 2023 permanent residence ID.
_KNOWN_NATIONALITY = _lookup(1000, [country.numeric for country in pycountry.countries])
_CARD_FIRST_DIGIT = np.zeros(256, dtype=bool)
_CARD_FIRST_DIGIT[[ord(digit) for digit in _ISSUER_FIRST_DIGITS]] = True

_mobile_cache: tuple[MobilePrefixTable, np.ndarray] | None = None


def _mobile_lookup(table: MobilePrefixTable | None = None) -> np.ndarray:
    """Allocated four-digit prefixes of ``table`` or the active one (3-digit entries expanded)."""
    global _mobile_cache
    if table is None:
        table = get_prefix_table()
    cache = _mobile_cache
    if cache is None or cache[0] is not table:
        allowed = np.zeros(10000, dtype=bool)
        for prefix in table.prefixes:
            if len(prefix) == 3:
                allowed[int(prefix) * 10 : int(prefix) * 10 + 10] = True
            elif len(prefix) == 4:
                allowed[int(prefix)] = True
        # The cache is one tuple, read once above, so the array returned always belongs to
        # ``table``, even when another thread stores a different one meanwhile.
        cache = _mobile_cache = (table, allowed)
    return cache[1]


class Candidates:
    """Candidates of one width, stored by character position for the checks below.

    ``chars[i]`` contains character ``i`` of every candidate and ``digits[i]`` the same
    characters minus ``ord("0")``, so digits become 0..9 and every other byte 10 or more.
    """

    __slots__ = ("chars", "count", "digits", "width")

    def __init__(self, matrix: np.ndarray) -> None:
        self.count, self.width = matrix.shape
        self.chars = np.ascontiguousarray(matrix.T)
        self.digits = self.chars - np.uint8(48)

    def select(self, rows: np.ndarray) -> Candidates:
        """Return the candidates at ``rows``, in that order."""
        selected = Candidates.__new__(Candidates)
        selected.count = rows.shape[0]
        selected.width = self.width
        selected.chars = _take_rows(self.chars, rows)
        selected.digits = _take_rows(self.digits, rows)
        return selected


def _batch(candidates: np.ndarray | Candidates) -> Candidates:
    if isinstance(candidates, Candidates):
        return candidates
    return Candidates(candidates)


def _take_rows(by_position: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Return the candidates at ``rows`` of a by-position array, still one array per position.

    ``by_position[:, rows]`` would return the same values in column-major order, so each
    position would be strided: a reduction over the positions of 4,329 rows then took 133 us
    instead of 7 us (NumPy 2.4).
    """
    return np.take(by_position, rows, axis=1)


def _positions(mask: np.ndarray) -> np.ndarray:
    """Indices of the true entries of a 1-D mask (``np.flatnonzero`` without its Python layer)."""
    return mask.nonzero()[0]


def _all_digits(digits: np.ndarray) -> np.ndarray:
    """Return whether every position of each candidate is a digit (``digits`` by position)."""
    return np.maximum.reduce(digits, axis=0) < 10


def _number(digits: np.ndarray) -> np.ndarray:
    """Read positions of ``int32`` digits (one array per position) as decimal numbers."""
    value = digits[0]
    for position in range(1, digits.shape[0]):
        value = value * 10 + digits[position]
    return value


def _birth_date_ok(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """A real calendar date, year 1 or later, not after today (``dates.birth_date_error``)."""
    month_ok = (month >= 1) & (month <= 12)
    safe_month = np.where(month_ok, month, 0)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last_day = _DAYS_IN_MONTH[safe_month] + (leap & (safe_month == 2))
    not_future = year * 10000 + month * 100 + day <= int(today_digits())
    return month_ok & (year >= 1) & (day >= 1) & (day <= last_day) & not_future


def _date_at(d: np.ndarray, position: int) -> np.ndarray:
    """Return whether positions ``position .. position + 7`` are a valid past ``YYYYMMDD``."""
    year = _number(d[position : position + 4])
    month = d[position + 4] * 10 + d[position + 5]
    day = d[position + 6] * 10 + d[position + 7]
    return _birth_date_ok(year, month, day)


def _mod_11_2_ok(d: np.ndarray, last: np.ndarray) -> np.ndarray:
    total = np.add.reduce(d[:17] * _MOD_11_2_WEIGHTS, axis=0)
    return _MOD_11_2_CHECK[total % 11] == last


def _eighteen_digit_rows(batch: Candidates) -> np.ndarray:
    """Rows shaped ``\\d{17}[\\dX]``."""
    digits = batch.digits
    return _positions(_all_digits(digits[:17]) & ((digits[17] < 10) | (batch.chars[17] == _ORD_X)))


def _is_permit_region(d: np.ndarray) -> np.ndarray:
    """Return whether positions 1-6 of ``int32`` digits are a residence-permit address code."""
    head = _number(d[:6])
    found = head == _PERMIT_REGIONS[0]
    for code in _PERMIT_REGIONS[1:]:
        found |= head == code
    return found


def resident_id_18(candidates: np.ndarray | Candidates) -> np.ndarray:
    """``is_valid_resident_id`` on 18-character rows (residence permits included)."""
    batch = _batch(candidates)
    result = np.zeros(batch.count, dtype=bool)
    if batch.width != 18:
        return result
    rows = _eighteen_digit_rows(batch)
    if rows.size == 0:
        return result
    d = _take_rows(batch.digits, rows).astype(np.int32)
    region_ok = _RESIDENT_PROVINCE[d[0] * 10 + d[1]] | _is_permit_region(d)
    # A birth year before 1900 is a warning that needs review, so not valid here.
    since_1900 = d[6] * 10 + d[7] >= 19
    check_ok = _mod_11_2_ok(d, batch.chars[17, rows])
    result[rows] = region_ok & since_1900 & _date_at(d, 6) & check_ok
    return result


def residence_permit(candidates: np.ndarray | Candidates) -> np.ndarray:
    """Rows whose first six characters are a residence-permit address code (810000, ...)."""
    batch = _batch(candidates)
    head = batch.digits[:6]
    return _all_digits(head) & _is_permit_region(head.astype(np.int32))


def resident_id_15(candidates: np.ndarray | Candidates) -> np.ndarray:
    """``is_valid_resident_id`` on 15-digit legacy rows (born 19YY, no check digit).

    A row whose positions 7-14 also read as a real past date could be a truncated
    18-digit number, which needs review, so it is not valid here.
    """
    batch = _batch(candidates)
    result = np.zeros(batch.count, dtype=bool)
    if batch.width != 15:
        return result
    rows = _positions(_all_digits(batch.digits))
    if rows.size == 0:
        return result
    d = _take_rows(batch.digits, rows).astype(np.int32)
    year = 1900 + d[6] * 10 + d[7]
    date_ok = _birth_date_ok(year, d[8] * 10 + d[9], d[10] * 10 + d[11])
    could_be_truncated = _date_at(d, 6)
    result[rows] = _RESIDENT_PROVINCE[d[0] * 10 + d[1]] & date_ok & ~could_be_truncated
    return result


def foreign_permanent_residence_id_18(candidates: np.ndarray | Candidates) -> np.ndarray:
    """``is_valid_foreign_permanent_residence_id`` on 18-character rows (the 2023 format)."""
    batch = _batch(candidates)
    result = np.zeros(batch.count, dtype=bool)
    if batch.width != 18:
        return result
    rows = _eighteen_digit_rows(batch)
    rows = rows[batch.chars[0, rows] == ord("9")]
    if rows.size == 0:
        return result
    d = _take_rows(batch.digits, rows).astype(np.int32)
    office_ok = _RESIDENT_PROVINCE[d[1] * 10 + d[2]]
    nationality_ok = _KNOWN_NATIONALITY[_number(d[3:6])]
    check_ok = _mod_11_2_ok(d, batch.chars[17, rows])
    result[rows] = office_ok & nationality_ok & _date_at(d, 6) & check_ok
    return result


def uscc(candidates: np.ndarray | Candidates) -> np.ndarray:
    """``is_valid_uscc``: alphabet, authority and entity type, province, MOD 31 check."""
    batch = _batch(candidates)
    result = np.zeros(batch.count, dtype=bool)
    if batch.width != 18:
        return result
    chars = batch.chars
    values = _USCC_VALUE[chars]
    shape = (
        (np.maximum.reduce(values, axis=0) < 31)
        & _all_digits(batch.digits[2:8])
        & _USCC_AUTHORITY[chars[0]]
    )
    rows = _positions(shape)
    if rows.size == 0:
        return result
    v = _take_rows(values, rows).astype(np.int32)
    province_ok = _REGISTRATION_PROVINCE[v[2] * 10 + v[3]]
    entity_type_ok = _USCC_ENTITY_TYPE[chars[0, rows], chars[1, rows]]
    check = (31 - np.add.reduce(v[:17] * _USCC_WEIGHTS, axis=0) % 31) % 31
    result[rows] = province_ok & entity_type_ok & (check == v[17])
    return result


def bank_card(candidates: np.ndarray | Candidates) -> np.ndarray:
    """``is_valid_bank_card``: length, issuer first digit and the Luhn check."""
    batch = _batch(candidates)
    result = np.zeros(batch.count, dtype=bool)
    width = batch.width
    if not BANK_CARD_MIN_LENGTH <= width <= BANK_CARD_MAX_LENGTH:
        return result
    digits = batch.digits
    rows = _positions(_all_digits(digits) & _CARD_FIRST_DIGIT[batch.chars[0]])
    if rows.size == 0:
        return result
    d = _take_rows(digits, rows)
    kept = np.add.reduce(d[width - 1 :: -2], axis=0, dtype=np.int32)
    doubled = np.add.reduce(_LUHN_DOUBLED[d[width - 2 :: -2]], axis=0, dtype=np.int32)
    result[rows] = (kept + doubled) % 10 == 0
    return result


def mobile(
    candidates: np.ndarray | Candidates, table: MobilePrefixTable | None = None
) -> np.ndarray:
    """``is_valid_mobile`` on 11-digit rows, with ``table`` or the active prefix table."""
    batch = _batch(candidates)
    result = np.zeros(batch.count, dtype=bool)
    if batch.width != 11:
        return result
    rows = _positions(_all_digits(batch.digits))
    if rows.size == 0:
        return result
    prefix = _number(_take_rows(batch.digits[:4], rows).astype(np.int32))
    result[rows] = _mobile_lookup(table)[prefix]
    return result


_ORG_CODE_VALUE = np.full(256, 255, dtype=np.uint8)
_ORG_CODE_VALUE[np.frombuffer(_BASE_36.encode(), dtype=np.uint8)] = np.arange(len(_BASE_36))
_ORG_CODE_WEIGHT_COLUMN = np.array([[weight] for weight in _ORG_CODE_WEIGHTS], dtype=np.int32)
# 11 - (sum mod 11), indexed by the sum mod 11: 10 is written X and 11 is 0.
_ORG_CODE_CHECK = np.frombuffer(b"0X987654321", dtype=np.uint8)


def org_code(candidates: np.ndarray | Candidates) -> np.ndarray:
    """``is_valid_org_code`` on 9-character rows: 8 digits or letters and the check."""
    batch = _batch(candidates)
    if batch.width != 9:
        return np.zeros(batch.count, dtype=bool)
    values = _ORG_CODE_VALUE[batch.chars[:8]]
    shape = np.maximum.reduce(values, axis=0) < 36
    total = np.add.reduce(values.astype(np.int32) * _ORG_CODE_WEIGHT_COLUMN, axis=0)
    return shape & (_ORG_CODE_CHECK[total % 11] == batch.chars[8])


def registration_number_15(candidates: np.ndarray | Candidates) -> np.ndarray:
    """``is_valid_registration_number`` on 15-digit rows: province and MOD 11,10 check."""
    batch = _batch(candidates)
    if batch.width != 15:
        return np.zeros(batch.count, dtype=bool)
    digits = batch.digits
    d = np.minimum(digits, 9).astype(np.int32)
    product = np.full(batch.count, 10, dtype=np.int32)
    for position in range(14):
        total = (product + d[position]) % 10
        total[total == 0] = 10
        product = (2 * total) % 11
    check_ok = (11 - product) % 10 == d[14]
    return _all_digits(digits) & _REGISTRATION_PROVINCE[d[0] * 10 + d[1]] & check_ok


_ORD = {character: ord(character) for character in "ADEGKMPSIO"}
_PASSPORT_SECOND_LETTER = np.zeros(256, dtype=bool)
_PASSPORT_SECOND_LETTER[ord("A") : ord("Z") + 1] = True
_PASSPORT_SECOND_LETTER[[_ORD["I"], _ORD["O"]]] = False


def passport(candidates: np.ndarray | Candidates) -> np.ndarray:
    """``is_valid_passport`` on 9-character rows, without the expired G series.

    The G series is valid but warned about, so a caller that builds objects leaves it to
    the parser.
    """
    batch = _batch(candidates)
    if batch.width != 9:
        return np.zeros(batch.count, dtype=bool)
    chars, digits = batch.chars, batch.digits
    first, second = chars[0], chars[1]
    second_digit = digits[1] < 10
    e_series = (first == _ORD["E"]) & (second_digit | _PASSPORT_SECOND_LETTER[second])
    official = ((first == _ORD["D"]) | (first == _ORD["S"]) | (first == _ORD["P"])) & (
        second == _ORD["E"]
    )
    other = ((first == _ORD["K"]) & second_digit) | ((first == _ORD["M"]) & (second == _ORD["A"]))
    return _all_digits(digits[2:]) & (e_series | official | other)


def landline(candidates: np.ndarray | Candidates) -> np.ndarray:
    """``is_valid_landline`` on rows of digits with a trunk 0 and no extension.

    Area codes 010 and 02x take 8 local digits, the others (03x to 09x, four digits) 7 or
    8; a local number starts with 2 to 9.
    """
    batch = _batch(candidates)
    width = batch.width
    if width not in (11, 12):
        return np.zeros(batch.count, dtype=bool)
    d = batch.digits
    three_digit_area = ((d[1] == 1) & (d[2] == 0)) | (d[1] == 2)
    four_digit_area = (d[1] >= 3) & (d[1] <= 9)
    if width == 11:
        area_ok = (three_digit_area & (d[3] >= 2)) | (four_digit_area & (d[4] >= 2))
    else:
        area_ok = four_digit_area & (d[4] >= 2)
    return _all_digits(d) & (d[0] == 0) & area_ok
