"""Passport numbers issued by the People's Republic of China (护照号码).

Nine characters. Ordinary e-passports since 2012: ``E`` + 8 digits, and since 2017
``E`` + a letter other than I and O + 7 digits. Ordinary passports before 2012: ``G`` + 8
digits (all expired by now, which a warning notes). Official passports: ``DE``
(diplomatic), ``SE`` (service) and ``PE`` (public affairs) + 7 digits. Passports of the
Hong Kong SAR (``K`` + 8 digits) and the Macao SAR (``MA`` + 7 digits) are reported by
secondary sources only. Passport numbers have no check digit.
"""

from __future__ import annotations

import re
from enum import StrEnum

from .base import Identifier, Kind, MaskLevel, keep_ends, value_object, warning
from .errors import InvalidIdentifier
from .normalise import normalise

_KIND = Kind.PASSPORT
_PATTERN = re.compile(r"E\d{8}|E[A-HJ-NP-Z]\d{7}|G\d{8}|[DSP]E\d{7}|K\d{8}|MA\d{7}")
_EXPECTED = (
    "应为9位：E 加8位数字、E 加1个字母（不含 I、O）加7位数字、G 加8位数字、"
    "DE/SE/PE 加7位数字、K 加8位数字或 MA 加7位数字"
)


class PassportType(StrEnum):
    """Type of passport, read from the prefix."""

    ORDINARY = "ordinary"
    ORDINARY_BEFORE_2012 = "ordinary_before_2012"
    DIPLOMATIC = "diplomatic"
    SERVICE = "service"
    PUBLIC_AFFAIRS = "public_affairs"
    HONG_KONG_SAR = "hong_kong_sar"
    MACAO_SAR = "macao_sar"


_TYPES_BY_PREFIX = {
    "DE": PassportType.DIPLOMATIC,
    "SE": PassportType.SERVICE,
    "PE": PassportType.PUBLIC_AFFAIRS,
    "MA": PassportType.MACAO_SAR,
}
_TYPES_BY_LETTER = {
    "E": PassportType.ORDINARY,
    "G": PassportType.ORDINARY_BEFORE_2012,
    "K": PassportType.HONG_KONG_SAR,
}


@value_object
class Passport(Identifier):
    """A PRC passport number."""

    @property
    def passport_type(self) -> PassportType:
        """Type of passport read from the prefix."""
        return _TYPES_BY_PREFIX.get(self.value[:2]) or _TYPES_BY_LETTER[self.value[0]]

    def mask(self, level: MaskLevel = MaskLevel.LIST) -> str:
        return mask_document_number(self.value, level)


def mask_document_number(value: str, level: MaskLevel) -> str:
    """Mask a passport or permit number: letter prefix (1-2) + last 3 in lists, last 4 to verify."""
    if level == MaskLevel.VERIFY:
        return keep_ends(value, 0, 4)
    prefix = 2 if value[1:2].isalpha() else 1
    return keep_ends(value, prefix, 3)


def is_valid_passport(value: str) -> bool:
    """Return whether ``parse_passport`` accepts the already normalised ``value``."""
    return _PATTERN.fullmatch(value) is not None


def parse_passport(text: str) -> Passport:
    """Parse a PRC passport number. Raises ``InvalidIdentifier``."""
    return parse_normalised(normalise(text, kind=_KIND))


def parse_normalised(value: str) -> Passport:
    """Parse an already normalised value; see ``parse_passport``."""
    if _PATTERN.fullmatch(value) is None:
        raise InvalidIdentifier("invalid_format", kind=_KIND, expected=_EXPECTED)
    if value[0] == "G":
        return Passport(value=value, kind=_KIND, warnings=(warning("expired_passport_series"),))
    return Passport(value=value, kind=_KIND)
