"""Resident identity numbers (居民身份证号码) and residence permits of Hong Kong, Macao and
Taiwan residents (港澳台居民居住证).

GB 11643-1999: six-digit address code (the GB/T 2260 county where the number was first
issued) + birth date ``YYYYMMDD`` + three-digit sequence (odd for men, even for women) +
ISO 7064 MOD 11-2 check character (``X`` for 10). The 15-digit numbers of GB 11643-1989
have a six-digit date ``YYMMDD`` in the 1900s and no check character. They are upgraded
by inserting ``19`` before the year and appending the check character. Residence permits
(港澳台居民居住证申领发放办法, 2018) use the same layout with the address code 810000,
820000 or 830000.

A value is rejected for, in this order: wrong length, a non-digit in the first 17
positions (or in a 15-digit number), a last character other than a digit or ``X``, a
leading 9 (the 2023 foreign permanent residence ID), a province code outside GB/T 2260, a
birth date that does not exist or lies in the future, and a wrong check character. An
address code missing from the historical table and a birth year before 1900 are warnings
only; the first is common for genuine numbers and the second appears in the standard's own
example (``440524188001010014``).
"""

from __future__ import annotations

import datetime
from enum import StrEnum

from .base import (
    ConvertedFrom15Warning,
    Identifier,
    IdentifierWarning,
    Kind,
    MaskLevel,
    field_setter,
    first_non_digit,
    keep_ends,
    new_identifier,
    value_object,
    warning,
)
from .checksums import ISO_7064_MOD_11_2_CHARACTERS, mod_11_2
from .dates import birth_date_error, today_cache, today_digits
from .errors import InvalidIdentifier
from .normalise import normalise
from .regions import (
    PROVINCES,
    RESIDENCE_PERMIT_REGIONS,
    RESIDENT_ID_PROVINCES,
    is_known_region,
    lookup_region,
)

_PERMIT_PROVINCES = frozenset({"81", "82", "83"})
# Enum attribute access is slow next to a module global, and these run for every value.
_RESIDENT_ID = Kind.RESIDENT_ID
_RESIDENCE_PERMIT = Kind.RESIDENCE_PERMIT
_CHECK_CHARACTERS = frozenset("0123456789X")
_CHECK_CHARACTER_OF = ISO_7064_MOD_11_2_CHARACTERS


class Sex(StrEnum):
    """Sex recorded by the sequence digit."""

    MALE = "male"
    FEMALE = "female"


@value_object
class ResidentId(Identifier):
    """A resident ID or residence-permit number in its 18-character form.

    Only ``value`` and ``converted_from_15`` are stored; the other facts are read from the
    value on access. ``region_name`` is ``None`` when the address code is not in the
    historical table. ``is_region_abolished`` is true for a code no longer in use, and the
    number stays valid. For a residence permit both names are 香港, 澳门 or 台湾.
    """

    converted_from_15: bool = False

    def __init__(
        self,
        *,
        value: str,
        kind: Kind,
        warnings: tuple[IdentifierWarning, ...] = (),
        converted_from_15: bool = False,
    ) -> None:
        Identifier.__init__(self, value=value, kind=kind, warnings=warnings)
        _set_converted_from_15(self, converted_from_15)

    @property
    def birth_date(self) -> datetime.date:
        """Birth date encoded in positions 7-14."""
        value = self.value
        return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))

    @property
    def sex(self) -> Sex:
        """Sex encoded by the parity of the sequence's last digit."""
        return Sex.MALE if int(self.value[16]) % 2 else Sex.FEMALE

    @property
    def is_residence_permit(self) -> bool:
        """Whether the address code is a residence-permit code."""
        return self.value[:6] in RESIDENCE_PERMIT_REGIONS

    @property
    def province_name(self) -> str:
        """Name of the province-level region."""
        permit_region = RESIDENCE_PERMIT_REGIONS.get(self.value[:6])
        return permit_region or PROVINCES[self.value[:2]]

    @property
    def region_name(self) -> str | None:
        """Name of the region the address code had last, if the table knows it."""
        permit_region = RESIDENCE_PERMIT_REGIONS.get(self.value[:6])
        if permit_region is not None:
            return permit_region
        region = lookup_region(self.value[:6])
        return region.name if region else None

    @property
    def is_region_abolished(self) -> bool:
        """Whether the address code is no longer in use."""
        region = lookup_region(self.value[:6])
        return region is not None and region.is_abolished

    def mask(self, level: MaskLevel = MaskLevel.LIST) -> str:
        return mask_identity_number(self.value, level)


_set_converted_from_15 = field_setter(ResidentId, "converted_from_15")


def mask_identity_number(value: str, level: MaskLevel) -> str:
    """Mask an identity-document number: first 3 + last 4 in lists, last 6 for verification.

    First 6 + last 4 would leave only the birth date hidden, which a scan or another screen
    often shows, so lists keep 3 + 4. Staff confirming identity in person ask for the last
    six characters (the usual 后六位 question); that view shows nothing else.
    """
    if level == MaskLevel.VERIFY:
        return keep_ends(value, 0, 6)
    return keep_ends(value, 3, 4)


def calculate_check_character(body: str) -> str:
    """Return the MOD 11-2 check character for the first 17 digits of a resident ID."""
    return mod_11_2(body)


def upgrade_legacy_number(number: str) -> str:
    """Return the 18-digit form of a 15-digit number: insert ``19``, append the check."""
    body = number[:6] + "19" + number[6:]
    return body + mod_11_2(body)


def is_valid_resident_id(value: str, today: datetime.date | None = None) -> bool:
    """Return whether ``parse_resident_id`` accepts the normalised ``value`` without review.

    Applies the parser's rules without building objects or messages, for the scanner, so a
    birth year before 1900 and a 15-digit number that could be a truncated 18-digit one
    are false here. It accepts residence permits and 15-digit legacy numbers; check
    ``len(value) == 18`` first to match current numbers only.
    """
    length = len(value)
    today_string = today_digits(today)
    if length == 18:
        return value[6:8] >= "19" and _error_18(value, today_string) is None
    if length == 15:
        return (
            _error_15(value, today_string) is None
            and birth_date_error(value[6:14], today_string) is not None
        )
    return False


def is_valid_legacy_number(value: str, today: datetime.date | None = None) -> bool:
    """Return whether a normalised 15-digit value is a valid legacy resident ID."""
    return len(value) == 15 and _error_15(value, today_digits(today)) is None


def parse_resident_id(text: str, *, today: datetime.date | None = None) -> ResidentId:
    """Parse a resident ID (18 or legacy 15 digits) or a residence-permit number.

    ``today`` bounds the birth date (default: the local date). Raises ``InvalidIdentifier``.
    """
    return parse_normalised(normalise(text, kind=Kind.RESIDENT_ID), today=today)


def parse_residence_permit(text: str, *, today: datetime.date | None = None) -> ResidentId:
    """Parse a residence-permit number; a mainland resident ID is rejected."""
    parsed = parse_normalised(normalise(text, kind=Kind.RESIDENCE_PERMIT), today=today)
    if not parsed.is_residence_permit:
        raise InvalidIdentifier("not_residence_permit", kind=Kind.RESIDENCE_PERMIT)
    return parsed


def parse_normalised(value: str, *, today: datetime.date | None = None) -> ResidentId:
    """Parse an already normalised value; see ``parse_resident_id``."""
    today_string = today_cache.get() if today is None else today_digits(today)
    warnings: tuple[IdentifierWarning, ...] = ()
    length = len(value)

    if length == 18:
        error = _error_18(value, today_string)
        if error is not None:
            raise _invalid(error, value, 17)
        converted = False
    elif length == 15:
        error = _error_15(value, today_string)
        if error is not None:
            raise _invalid(error, value, 15)
        could_be_truncated = birth_date_error(value[6:14], today_string) is None
        code = "converted_from_15_or_truncated_18" if could_be_truncated else "converted_from_15"
        template = warning(code)
        warnings = (
            ConvertedFrom15Warning(
                template.code, template.message, template.requires_confirmation, could_be_truncated
            ),
        )
        value = upgrade_legacy_number(value)
        converted = True
    else:
        raise InvalidIdentifier(
            "wrong_length", kind=Kind.RESIDENT_ID, expected="18（旧号码为15）", actual=length
        )

    address = value[:6]
    is_permit = address in RESIDENCE_PERMIT_REGIONS
    if not is_permit and not is_known_region(address):
        warnings += (warning("region_unknown"),)
    if value[6:8] < "19":
        warnings += (warning("birth_year_before_1900"),)

    parsed = new_identifier(
        ResidentId, value, _RESIDENCE_PERMIT if is_permit else _RESIDENT_ID, warnings
    )
    _set_converted_from_15(parsed, converted)
    return parsed


def _error_18(value: str, today: str) -> str | None:
    """Return the code of the first rule an 18-character value breaks, or ``None``."""
    body = value[:17]
    if not (body.isascii() and body.isdigit()):
        return "non_digit"
    if value[17] not in _CHECK_CHARACTERS:
        return "invalid_last_character"
    if value[0] == "9":
        return "is_foreign_permanent_residence_id"
    province = value[:2]
    if province not in RESIDENT_ID_PROVINCES:
        if value[:6] in RESIDENCE_PERMIT_REGIONS:
            pass
        elif province in _PERMIT_PROVINCES:
            return "invalid_residence_permit_code"
        else:
            return "invalid_province"
    error = birth_date_error(value[6:14], today)
    if error is not None:
        return error
    # mod_11_2 inlined: this runs for every resident ID that is parsed or scanned.
    if _CHECK_CHARACTER_OF[(1 - 2 * int(body, 13)) % 11] != value[17]:
        return "invalid_check_digit"
    return None


def _error_15(value: str, today: str) -> str | None:
    """Return the code of the first rule a 15-digit legacy value breaks, or ``None``."""
    if not (value.isascii() and value.isdigit()):
        return "non_digit"
    if value[:2] not in RESIDENT_ID_PROVINCES:
        return "invalid_province"
    return birth_date_error("19" + value[6:12], today)


def _invalid(code: str, value: str, digit_positions: int) -> InvalidIdentifier:
    if code == "non_digit":
        position = first_non_digit(value[:digit_positions])
        return InvalidIdentifier(code, kind=Kind.RESIDENT_ID, position=position)
    return InvalidIdentifier(code, kind=Kind.RESIDENT_ID)
