"""Organisation codes (组织机构代码), GB 11714-1997.

Eight characters (digits, or letters counted A=10 ... Z=35) and a check character
11 - (sum of value x weight mod 11) with weights 3 7 9 10 5 8 4 2, written ``X`` for 10
and ``0`` for 11. Usually printed ``XXXXXXXX-X``; the canonical value has no hyphen. Since
2015 the code is characters 9-17 of the unified social credit code, and it still appears
on older contracts. A wrong check character is rejected: the code has been in use since
1989 and, unlike the credit code, no exception is reported for it.
"""

from __future__ import annotations

from .base import Identifier, Kind, MaskLevel, value_object
from .checksums import org_code_check
from .errors import InvalidIdentifier
from .normalise import normalise

_KIND = Kind.ORG_CODE
_CHECK_CHARACTERS = frozenset("0123456789X")


@value_object
class OrgCode(Identifier):
    """An organisation code; organisations' codes are public, so the mask is the value."""

    def mask(self, level: MaskLevel = MaskLevel.LIST) -> str:
        return self.value


def is_org_code_well_formed(value: str) -> bool:
    """Return whether ``value`` is 9 characters: 8 ASCII digits or capitals, then a digit or X."""
    body = value[:8]
    return (
        len(value) == 9
        and body.isascii()
        and body.isalnum()
        and body.upper() == body
        and value[8] in _CHECK_CHARACTERS
    )


def is_valid_org_code(value: str) -> bool:
    """Return whether ``parse_org_code`` accepts the already normalised ``value``."""
    return is_org_code_well_formed(value) and org_code_check(value[:8]) == value[8]


def parse_org_code(text: str) -> OrgCode:
    """Parse an organisation code, with or without its hyphen. Raises ``InvalidIdentifier``."""
    return parse_normalised(normalise(text, kind=_KIND))


def parse_normalised(value: str) -> OrgCode:
    """Parse an already normalised value; see ``parse_org_code``."""
    if len(value) != 9:
        raise InvalidIdentifier("wrong_length", kind=_KIND, expected=9, actual=len(value))
    for index, character in enumerate(value[:8]):
        if not ("0" <= character <= "9" or "A" <= character <= "Z"):
            raise InvalidIdentifier("invalid_character", kind=_KIND, position=index + 1)
    if value[8] not in _CHECK_CHARACTERS:
        raise InvalidIdentifier("invalid_last_character", kind=_KIND)
    if org_code_check(value[:8]) != value[8]:
        raise InvalidIdentifier("invalid_check_digit", kind=_KIND)
    return OrgCode(value=value, kind=_KIND)
