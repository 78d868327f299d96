"""Parsing by kind, and recognising a value whose kind is not known.

``identify`` follows the shape rules below, after the Excel checks of ``normalise``:

1. 18 characters starting with 9 and otherwise digits: foreign permanent residence ID.
2. 18 characters starting 810000, 820000 or 830000: residence permit.
3. 17 digits and a digit or X: resident ID.
4. 18 characters with letters: unified social credit code.
5. 15 characters, three letters then digits: older foreign permanent residence ID;
   15 digits: legacy resident ID, business registration number or legacy taxpayer number.
   Only the column or field type can decide between these, so every reading that
   passes its checks is returned.
6. 9 characters: organisation code or passport; 12-19 digits passing Luhn: bank card.
7. ``1`` and 10 more digits: mobile number; ``0`` and more digits: fixed line.

A reading counts when it needs no reviewer's confirmation. The reading the shape rules
pick is returned even with such a warning: a lettered 18-character code is a credit code
whatever its check character, and 17 digits with a digit or X stay a resident ID reading
when, for example, the birth year is before 1900. Bank accounts and
travel permits have no check and would match almost any digit string, so ``identify``
never returns them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from . import (
    bank_account,
    bank_card,
    foreign_permanent_residence_id,
    landline,
    mobile,
    org_code,
    passport,
    registration_number,
    resident_id,
    taxpayer_id,
    travel_permit,
    uscc,
)
from .base import Identifier, Kind
from .errors import InvalidIdentifier
from .normalise import normalise


def _parse_residence_permit(value: str) -> Identifier:
    parsed = resident_id.parse_normalised(value)
    if not parsed.is_residence_permit:
        raise InvalidIdentifier("not_residence_permit", kind=Kind.RESIDENCE_PERMIT)
    return parsed


# Kind -> parser of an already normalised value. Keyed by str because Kind is a StrEnum
# and callers may pass the plain string.
_PARSERS: dict[str, Callable[[str], Identifier]] = {
    Kind.RESIDENT_ID: resident_id.parse_normalised,
    Kind.RESIDENCE_PERMIT: _parse_residence_permit,
    Kind.FOREIGN_PERMANENT_RESIDENCE_ID: foreign_permanent_residence_id.parse_normalised,
    Kind.USCC: uscc.parse_normalised,
    Kind.ORG_CODE: org_code.parse_normalised,
    Kind.REGISTRATION_NUMBER: registration_number.parse_normalised,
    Kind.TAXPAYER_ID: taxpayer_id.parse_normalised,
    Kind.BANK_CARD: bank_card.parse_normalised,
    Kind.BANK_ACCOUNT: bank_account.parse_normalised,
    Kind.MOBILE: mobile.parse_normalised,
    Kind.LANDLINE: landline.parse_normalised,
    Kind.PASSPORT: passport.parse_normalised,
    Kind.TRAVEL_PERMIT: travel_permit.parse_normalised,
}

# Kinds whose parser needs the text as entered: a landline's extension is split off
# before normalisation, and a taxpayer number may end in genuine zeros.
_TEXT_PARSERS: dict[str, Callable[[str], Identifier]] = {
    Kind.LANDLINE: landline.parse_landline,
    Kind.TAXPAYER_ID: taxpayer_id.parse_taxpayer_id,
}

# Kind -> fast check of an already normalised value: true when the parser accepts it with
# no warning that needs a reviewer's confirmation.
VALIDATORS: dict[Kind, Callable[[str], bool]] = {
    Kind.RESIDENT_ID: resident_id.is_valid_resident_id,
    Kind.RESIDENCE_PERMIT: lambda value: (
        value[:6] in ("810000", "820000", "830000") and resident_id.is_valid_resident_id(value)
    ),
    Kind.FOREIGN_PERMANENT_RESIDENCE_ID: (
        foreign_permanent_residence_id.is_valid_foreign_permanent_residence_id
    ),
    Kind.USCC: uscc.is_valid_uscc,
    Kind.ORG_CODE: org_code.is_valid_org_code,
    Kind.REGISTRATION_NUMBER: registration_number.is_valid_registration_number,
    Kind.TAXPAYER_ID: taxpayer_id.is_valid_taxpayer_id,
    Kind.BANK_CARD: bank_card.is_valid_bank_card,
    Kind.BANK_ACCOUNT: bank_account.is_valid_bank_account,
    Kind.MOBILE: mobile.is_valid_mobile,
    Kind.LANDLINE: landline.is_valid_landline,
    Kind.PASSPORT: passport.is_valid_passport,
    Kind.TRAVEL_PERMIT: travel_permit.is_valid_travel_permit,
}

# Order in which ``identify`` tries the kinds. A residence permit is a resident-ID reading
# whose kind is RESIDENCE_PERMIT, so it is not tried separately.
_IDENTIFY_ORDER = (
    Kind.FOREIGN_PERMANENT_RESIDENCE_ID,
    Kind.RESIDENT_ID,
    Kind.USCC,
    Kind.REGISTRATION_NUMBER,
    Kind.TAXPAYER_ID,
    Kind.ORG_CODE,
    Kind.PASSPORT,
    Kind.BANK_CARD,
    Kind.MOBILE,
    Kind.LANDLINE,
)


def parse(kind: Kind | str, text: str) -> Identifier:
    """Parse ``text`` as an identifier of ``kind``.

    ``Kind.RESIDENT_ID`` also accepts residence permits, whose result has kind
    ``RESIDENCE_PERMIT``. Raises ``InvalidIdentifier``, and ``ValueError`` for an unknown
    kind.
    """
    parser = _PARSERS.get(kind)
    if parser is None:
        parser = _PARSERS[Kind(kind)]
    if kind in _TEXT_PARSERS:
        return _TEXT_PARSERS[kind](text)
    return parser(normalise(text, kind=kind))


def parse_normalised(kind: Kind | str, value: str) -> Identifier:
    """Parse an already normalised ``value`` as ``kind``; see ``parse``."""
    return _PARSERS[Kind(kind)](value)


def identify(text: str, *, today: datetime.date | None = None) -> list[Identifier]:
    """Return the readings of ``text``, most likely first.

    A reading is included when its kind's checks pass with no warning to review, and the
    reading the shape rules pick is included even with such a warning. ``today`` bounds
    birth dates as in ``parse_resident_id``. Returns an empty list when nothing matches.
    Raises ``InvalidIdentifier`` only for what ``normalise`` refuses (Excel damage, empty
    or non-text input).
    """
    value = normalise(text)
    readings: list[Identifier] = []
    for kind in _IDENTIFY_ORDER:
        if kind == Kind.TAXPAYER_ID and len(value) not in (15, 20):
            # An 18-character taxpayer number is a resident ID or a credit code, and
            # those readings are tried on their own.
            continue
        dated = _DATED_KINDS.get(kind)
        if dated is None:
            if VALIDATORS[kind](value):
                readings.append(_PARSERS[kind](value))
        elif dated[0](value, today):
            readings.append(dated[1](value, today=today))
    found_kinds = {_ORDER_KIND.get(reading.kind, reading.kind) for reading in readings}
    for reading in _reading_by_shape(text, value, today):
        if _ORDER_KIND.get(reading.kind, reading.kind) not in found_kinds:
            readings.append(reading)
            readings.sort(
                key=lambda item: _IDENTIFY_ORDER.index(_ORDER_KIND.get(item.kind, item.kind))
            )
    return readings


# A residence permit is sorted where resident IDs are.
_ORDER_KIND = {Kind.RESIDENCE_PERMIT: Kind.RESIDENT_ID}


def _reading_by_shape(text: str, value: str, today: datetime.date | None) -> list[Identifier]:
    """Return the reading the shape rules pick, even with a warning, or none."""
    letter_count = sum(character.isalpha() for character in value)
    candidates: list[Callable[[], Identifier]] = []
    if len(value) == 18 and letter_count and not (letter_count == 1 and value[17] == "X"):
        candidates.append(lambda: uscc.parse_normalised(value))
    if len(value) in (15, 18) and value[:14].isdigit() and value[0] != "9":
        candidates.append(lambda: resident_id.parse_normalised(value, today=today))
    if len(value) == 15 and value[:3].isalpha():
        candidates.append(lambda: foreign_permanent_residence_id.parse_normalised(value))
    if value[0] in "0+":
        # The raw text, because an extension is split off before normalisation.
        candidates.append(lambda: landline.parse_landline(text))
    for candidate in candidates:
        try:
            return [candidate()]
        except InvalidIdentifier:
            continue
    return []


# Kinds whose checks depend on today's date: (fast check, parser of a normalised value).
_DATED_KINDS = {
    Kind.RESIDENT_ID: (resident_id.is_valid_resident_id, resident_id.parse_normalised),
    Kind.FOREIGN_PERMANENT_RESIDENCE_ID: (
        foreign_permanent_residence_id.is_valid_foreign_permanent_residence_id,
        foreign_permanent_residence_id.parse_normalised,
    ),
}
