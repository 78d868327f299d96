"""Business registration numbers (工商注册号) issued before the unified social credit code.

GS15-2006 (工商行政管理市场主体注册号编制规则): the first registering authority's division
code (6) + sequence (8; first digit 0-3 domestic enterprise, 4-5 foreign-invested
enterprise, 6-9 individual business) + ISO 7064 MOD 11,10 check digit. Numbers of 13
digits without a check digit, issued before 2007, still appear in old paperwork. They are
accepted with a warning because nothing in them can be checked.
"""

from __future__ import annotations

from .base import Identifier, Kind, MaskLevel, first_non_digit, value_object, warning
from .checksums import mod_11_10
from .errors import InvalidIdentifier
from .normalise import normalise
from .regions import REGISTRATION_PROVINCES, lookup_region

_KIND = Kind.REGISTRATION_NUMBER

# First sequence digit (position 7) of a 15-digit number -> category of the business.
_CATEGORIES = {
    **dict.fromkeys("0123", "内资企业"),
    **dict.fromkeys("45", "外商投资企业"),
    **dict.fromkeys("6789", "个体工商户"),
}


@value_object
class RegistrationNumber(Identifier):
    """A business registration number; public like the credit code, so the mask is the value.

    ``entity_category`` and ``authority_region_name`` are ``None`` for 13-digit numbers,
    whose layout is not documented.
    """

    @property
    def is_legacy_unchecked(self) -> bool:
        """Whether this is a 13-digit number without a check digit."""
        return len(self.value) == 13

    @property
    def entity_category(self) -> str | None:
        """Category of business read from the first sequence digit."""
        return None if self.is_legacy_unchecked else _CATEGORIES[self.value[6]]

    @property
    def authority_region_name(self) -> str | None:
        """Region of the first registering authority, if the table knows it."""
        if self.is_legacy_unchecked:
            return None
        region = lookup_region(self.value[:6])
        return region.name if region else None

    def mask(self, level: MaskLevel = MaskLevel.LIST) -> str:
        return self.value


def is_valid_registration_number(value: str) -> bool:
    """Return whether the parser accepts the normalised 15-digit ``value`` with its check digit."""
    return (
        len(value) == 15
        and value.isascii()
        and value.isdigit()
        and value[:2] in REGISTRATION_PROVINCES
        and mod_11_10(value[:14]) == value[14]
    )


def parse_registration_number(text: str) -> RegistrationNumber:
    """Parse a 15-digit (or legacy 13-digit) registration number. Raises ``InvalidIdentifier``."""
    return parse_normalised(normalise(text, kind=_KIND))


def parse_normalised(value: str) -> RegistrationNumber:
    """Parse an already normalised value; see ``parse_registration_number``."""
    length = len(value)
    if length not in (13, 15):
        raise InvalidIdentifier(
            "wrong_length", kind=_KIND, expected="15（旧号码为13）", actual=length
        )
    position = first_non_digit(value)
    if position is not None:
        raise InvalidIdentifier("non_digit", kind=_KIND, position=position)

    if length == 13:
        return RegistrationNumber(value=value, kind=_KIND, warnings=(warning("legacy_unchecked"),))
    if value[:2] not in REGISTRATION_PROVINCES:
        raise InvalidIdentifier("invalid_division_code", kind=_KIND)
    if mod_11_10(value[:14]) != value[14]:
        raise InvalidIdentifier("invalid_check_digit", kind=_KIND)
    return RegistrationNumber(value=value, kind=_KIND)
