"""Mainland travel permits of Hong Kong, Macao and Taiwan residents.

港澳居民来往内地通行证 (回乡证): ``H`` (Hong Kong) or ``M`` (Macao) + 8 digits, sometimes
followed by a two-digit issue count. 台湾居民来往大陆通行证 (台胞证): 8 digits. These layouts
come from secondary sources and no check digit is known, so only the alphabet and length
are checked.
"""

from __future__ import annotations

import re
from enum import StrEnum

from .base import Identifier, Kind, MaskLevel, value_object
from .errors import InvalidIdentifier
from .normalise import normalise
from .passport import mask_document_number

_KIND = Kind.TRAVEL_PERMIT
_PATTERN = re.compile(r"[HM]\d{8}(?:\d{2})?|\d{8}")
_EXPECTED = (
    "港澳居民来往内地通行证应为 H 或 M 加8位数字（可再加2位换证次数），"
    "台湾居民来往大陆通行证应为8位数字"
)


class TravelPermitType(StrEnum):
    """Issuing region of the permit holder."""

    HONG_KONG = "hong_kong"
    MACAO = "macao"
    TAIWAN = "taiwan"


@value_object
class TravelPermit(Identifier):
    """A mainland travel permit number."""

    @property
    def permit_type(self) -> TravelPermitType:
        """Issuing region read from the first character."""
        return _PERMIT_TYPES.get(self.value[0], TravelPermitType.TAIWAN)

    def mask(self, level: MaskLevel = MaskLevel.LIST) -> str:
        return mask_document_number(self.value, level)


_PERMIT_TYPES = {"H": TravelPermitType.HONG_KONG, "M": TravelPermitType.MACAO}


def is_valid_travel_permit(value: str) -> bool:
    """Return whether ``parse_travel_permit`` accepts the already normalised ``value``."""
    return _PATTERN.fullmatch(value) is not None


def parse_travel_permit(text: str) -> TravelPermit:
    """Parse a 回乡证 or 台胞证 number. Raises ``InvalidIdentifier``."""
    return parse_normalised(normalise(text, kind=_KIND))


def parse_normalised(value: str) -> TravelPermit:
    """Parse an already normalised value; see ``parse_travel_permit``."""
    if _PATTERN.fullmatch(value) is None:
        raise InvalidIdentifier("invalid_format", kind=_KIND, expected=_EXPECTED)
    return TravelPermit(value=value, kind=_KIND)
