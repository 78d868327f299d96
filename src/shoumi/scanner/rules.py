"""Rule tables the scanner's checks use.

TODO: these tables duplicate what shoumi.identifiers will own; once that
package is merged, import them from there so the project has one set of rules.
"""

from __future__ import annotations

import re

# GB 11643-1999: weights 2^(17-i) mod 11 and the check character for each remainder.
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK_CHARS = "10X98765432"

# First two digits of GB/T 2260 division codes (provinces, plus 71 Taiwan, 81 Hong Kong, 82 Macao).
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
RESIDENCE_PERMIT_PREFIXES = (810000, 820000, 830000)
# The standard's own example numbers are born in 1880, so years before 1900 stay valid.
MIN_BIRTH_YEAR = 1800

# GB 32100-2015: 31 symbols (no I, O, S, V, Z) and weights 3^(i-1) mod 31.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

BANK_CARD_LENGTHS = frozenset(range(16, 20))
# First digits accepted for card numbers: 3 (JCB, American Express), 4 and 5 (Visa and
# Mastercard co-branded cards), 6 (UnionPay).
BANK_CARD_FIRST_DIGITS = "3456"
BANK_CARD_FIRST_DIGITS_ASCII = tuple(BANK_CARD_FIRST_DIGITS.encode())

# Mobile network prefixes allocated by the MIIT as of March 2023.
MOBILE_PREFIXES = frozenset(
    [f"13{d}" for d in range(10)]
    + ["145", "146", "147", "148", "149"]
    + ["150", "151", "152", "153", "155", "156", "157", "158", "159"]
    + ["162", "165", "166", "167"]
    + [f"17{d}" for d in range(9)]
    + [f"18{d}" for d in range(10)]
    + ["190", "191", "192", "193", "195", "196", "197", "198", "199"]
)

# Chinese passports: e-passports E + 8 digits or E + letter (not I or O) + 7 digits, old G + 8,
# official, service and diplomatic PE/SE/DE + 7, Hong Kong K + 8, Macao MA + 7.
PASSPORT_RE = re.compile(r"E\d{8}|E[A-HJ-NP-Z]\d{7}|G\d{8}|[DSP]E\d{7}|K\d{8}|MA\d{7}")

# Foreign permanent residence IDs issued before December 2023: nationality (ISO 3166-1
# alpha-3) + 12 digits. The layout of the digits is not officially published; one open-source
# reading checks the last digit with the ICAO 9303 weights 7, 3, 1 over the first 14
# characters (A=10 ... Z=35).
OLD_FOREIGN_ID_RE = re.compile(r"[A-Z]{3}\d{12}")


def is_valid_old_foreign_permanent_residence_id(value: str) -> bool:
    """Check the shape and the (unofficial) ICAO 9303 check digit of an old 15-character ID."""
    if OLD_FOREIGN_ID_RE.fullmatch(value) is None:
        return False
    weights = (7, 3, 1)
    total = sum(int(char, 36) * weights[index % 3] for index, char in enumerate(value[:14]))
    return total % 10 == int(value[14])
