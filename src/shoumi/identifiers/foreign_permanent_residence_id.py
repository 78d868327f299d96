"""Foreign permanent residence ID numbers (外国人永久居留身份证号码).

Two versions are in use. Since 2023-12-01 the card carries 18 digits laid out like a
resident ID: ``9`` + the accepting office's province (2) + the ISO 3166-1 numeric
nationality code (3) + birth date ``YYYYMMDD`` + sequence (3, odd for men) + ISO 7064
MOD 11-2 check character (National Immigration Administration rules, 2023; layout as
implemented in the credentialkit project). Cards issued from 2004 carry 15 characters
that stay valid until they expire: the ISO 3166-1 alpha-3 nationality code + 12 digits.
No official text describes the 12 digits; one open-source reading takes the last digit as
an ICAO 9303 (7-3-1) check over the first 14 characters, so a mismatch there is a warning,
not a rejection. A nationality code missing from ISO 3166-1 is a warning too.
"""

from __future__ import annotations

import datetime
import functools
import gettext

import pycountry

from .base import (
    Identifier,
    IdentifierWarning,
    Kind,
    MaskLevel,
    first_non_digit,
    value_object,
    warning,
)
from .checksums import icao_9303_check, mod_11_2
from .dates import birth_date_error, today_digits
from .errors import InvalidIdentifier
from .normalise import normalise
from .regions import PROVINCES, RESIDENT_ID_PROVINCES
from .resident_id import Sex, mask_identity_number

_KIND = Kind.FOREIGN_PERMANENT_RESIDENCE_ID
_CHECK_CHARACTERS = frozenset("0123456789X")


@value_object
class ForeignPermanentResidenceId(Identifier):
    """A foreign permanent residence ID of either version; facts are read on access.

    ``nationality_code`` is the ISO 3166-1 numeric code (2023 version) or alpha-3 code
    (older version), and ``nationality_name`` its Chinese name, ``None`` if unknown.
    ``birth_date``, ``sex`` and ``province_name`` (the accepting office) exist only in the
    2023 version and are ``None`` for the older one.
    """

    @property
    def is_legacy_format(self) -> bool:
        """Whether this is the older 15-character card."""
        return len(self.value) == 15

    @property
    def nationality_code(self) -> str:
        """ISO 3166-1 numeric (2023) or alpha-3 (older) nationality code."""
        return self.value[:3] if self.is_legacy_format else self.value[3:6]

    @property
    def nationality_name(self) -> str | None:
        """Chinese name of the nationality, ``None`` if the code is unknown."""
        if self.is_legacy_format:
            return _country_name(alpha_3=self.nationality_code)
        return _country_name(numeric=self.nationality_code)

    @property
    def birth_date(self) -> datetime.date | None:
        """Birth date of a 2023 card."""
        if self.is_legacy_format:
            return None
        value = self.value
        return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))

    @property
    def sex(self) -> Sex | None:
        """Sex recorded on a 2023 card."""
        if self.is_legacy_format:
            return None
        return Sex.MALE if int(self.value[16]) % 2 else Sex.FEMALE

    @property
    def province_name(self) -> str | None:
        """Province of the accepting office on a 2023 card."""
        return None if self.is_legacy_format else PROVINCES[self.value[1:3]]

    def mask(self, level: MaskLevel = MaskLevel.LIST) -> str:
        return mask_identity_number(self.value, level)


def is_valid_foreign_permanent_residence_id(value: str, today: datetime.date | None = None) -> bool:
    """Return whether the parser accepts the normalised ``value`` with no warning to review."""
    length = len(value)
    if length == 18:
        return (
            _error_18(value, today_digits(today)) is None
            and _country_name(numeric=value[3:6]) is not None
        )
    if length == 15:
        return (
            _error_15(value) is None
            and icao_9303_check(value[:14]) == value[14]
            and _country_name(alpha_3=value[:3]) is not None
        )
    return False


def parse_foreign_permanent_residence_id(
    text: str, *, today: datetime.date | None = None
) -> ForeignPermanentResidenceId:
    """Parse a 2023 (18-digit) or older (15-character) foreign permanent residence ID."""
    return parse_normalised(normalise(text, kind=_KIND), today=today)


def parse_normalised(
    value: str, *, today: datetime.date | None = None
) -> ForeignPermanentResidenceId:
    """Parse an already normalised value; see ``parse_foreign_permanent_residence_id``."""
    length = len(value)
    if length == 18:
        return _parse_2023(value, today_digits(today))
    if length == 15:
        return _parse_legacy(value)
    raise InvalidIdentifier("wrong_length", kind=_KIND, expected="18（旧版为15）", actual=length)


def _parse_2023(value: str, today: str) -> ForeignPermanentResidenceId:
    error = _error_18(value, today)
    if error == "non_digit":
        raise InvalidIdentifier(error, kind=_KIND, position=first_non_digit(value[:17]))
    if error is not None:
        raise InvalidIdentifier(error, kind=_KIND)

    warnings: list[IdentifierWarning] = []
    if _country_name(numeric=value[3:6]) is None:
        warnings.append(warning("unknown_nationality"))
    return ForeignPermanentResidenceId(value=value, kind=_KIND, warnings=tuple(warnings))


def _parse_legacy(value: str) -> ForeignPermanentResidenceId:
    error = _error_15(value)
    if error is not None:
        raise InvalidIdentifier(error, kind=_KIND, expected="旧版号码应为3个英文字母加12位数字")

    warnings: list[IdentifierWarning] = []
    if _country_name(alpha_3=value[:3]) is None:
        warnings.append(warning("unknown_nationality"))
    if icao_9303_check(value[:14]) != value[14]:
        warnings.append(warning("legacy_check_digit_mismatch"))
    return ForeignPermanentResidenceId(value=value, kind=_KIND, warnings=tuple(warnings))


def _error_18(value: str, today: str) -> str | None:
    body = value[:17]
    if not (body.isascii() and body.isdigit()):
        return "non_digit"
    if value[17] not in _CHECK_CHARACTERS:
        return "invalid_last_character"
    if value[0] != "9":
        return "not_foreign_permanent_residence_id"
    if value[1:3] not in RESIDENT_ID_PROVINCES:
        return "invalid_province_of_office"
    error = birth_date_error(value[6:14], today)
    if error is not None:
        return error
    if mod_11_2(body) != value[17]:
        return "invalid_check_digit"
    return None


def _error_15(value: str) -> str | None:
    letters = value[:3]
    digits = value[3:]
    if not (letters.isascii() and letters.isalpha() and digits.isascii() and digits.isdigit()):
        return "invalid_format"
    return None


@functools.cache
def _chinese_country_names() -> gettext.NullTranslations:
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True
    )


@functools.lru_cache(maxsize=512)
def _country_name(*, numeric: str | None = None, alpha_3: str | None = None) -> str | None:
    """Return the Chinese name of an ISO 3166-1 country, or ``None`` if the code is unknown."""
    if numeric is not None:
        country = pycountry.countries.get(numeric=numeric)
    else:
        country = pycountry.countries.get(alpha_3=alpha_3)
    if country is None:
        return None
    return _chinese_country_names().gettext(country.name)
