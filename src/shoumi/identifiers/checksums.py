"""Check-character algorithms used by the identifier modules.

Each function takes a string that the caller has already checked for length and alphabet
(ASCII digits, or the code's own letters) and returns the check character. They avoid
per-character Python loops where an ``int()`` conversion in another base gives the same
weighted sum, because the scanner calls them for every candidate it finds. The tests
compare each one against python-stdnum or a direct implementation of the standard.
"""

from __future__ import annotations

ISO_7064_MOD_11_2_CHARACTERS = "0123456789X"


def mod_11_2(body: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character of a string of ASCII digits.

    GB 11643-1999 uses it for resident IDs: weights 2**(n-i) mod 11, check ``X`` for 10.
    Reading the digits in base 13 gives the weighted sum because 13 = 2 (mod 11).
    """
    return ISO_7064_MOD_11_2_CHARACTERS[(1 - 2 * int(body, 13)) % 11]


def mod_11_10(body: str) -> str:
    """Return the ISO 7064 MOD 11,10 (hybrid) check digit of a string of ASCII digits.

    GS15-2006 uses it for the 15-digit business registration number.
    """
    product = 10
    for character in body:
        total = (product + ord(character) - 48) % 10 or 10
        product = (2 * total) % 11
    return str((11 - product) % 10)


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# Maps each USCC character to the base-34 digit of its value (0-30) so that ``int()`` can
# compute the weighted sum: GB 32100-2015 weights position i by 3**i mod 31, and
# 34 = 3 (mod 31).
_USCC_TO_BASE_34 = str.maketrans(USCC_ALPHABET, "0123456789ABCDEFGHIJKLMNOPQRSTU")


def uscc_check(body: str) -> str:
    """Return the GB 32100-2015 check character of the first 17 characters of a USCC.

    ``body`` must contain only characters of ``USCC_ALPHABET``.
    """
    total = int(body.translate(_USCC_TO_BASE_34)[::-1], 34)
    return USCC_ALPHABET[-total % 31]


_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_BASE_36_VALUES = {
    character: int(character, 36) for character in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
}


def org_code_check(body: str) -> str:
    """Return the GB 11714-1997 check character of an 8-character organisation code body.

    Digits count as their value and letters as A=10 ... Z=35; the check is
    11 - (sum mod 11), written ``X`` for 10 and ``0`` for 11.
    """
    total = 0
    for character, weight in zip(body, _ORG_CODE_WEIGHTS, strict=True):
        total += _BASE_36_VALUES[character] * weight
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


# Sum of the digits of twice each digit, as a character: 5 -> 10 -> 1.
_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")


def luhn_is_valid(digits: str) -> bool:
    """Return whether a string of ASCII digits passes the Luhn check (ISO/IEC 7812-1)."""
    reversed_digits = digits[::-1]
    kept = reversed_digits[0::2]
    doubled = reversed_digits[1::2].translate(_LUHN_DOUBLED)
    total = sum(kept.encode()) + sum(doubled.encode()) - 48 * len(digits)
    return total % 10 == 0


_ICAO_VALUES = {**_BASE_36_VALUES, "<": 0}
_ICAO_WEIGHTS = (7, 3, 1)


def icao_9303_check(characters: str) -> str:
    """Return the ICAO Doc 9303 check digit (weights 7, 3, 1; A=10 ... Z=35; ``<`` = 0)."""
    total = 0
    for index, character in enumerate(characters):
        total += _ICAO_VALUES[character] * _ICAO_WEIGHTS[index % 3]
    return str(total % 10)
