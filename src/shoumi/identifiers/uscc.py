"""Unified social credit codes (统一社会信用代码), GB 32100-2015.

18 characters over ``0-9`` and the capitals without I, O, Z, S and V. They are the
registration authority (1), entity type (1), division code of the registering authority
(6 digits, GB/T 2260), the entity's organisation code (9, GB 11714) and a check character.
The check is 31 - (sum of value x 3**i mod 31), mapped back to the 31-character
alphabet. Authority and entity-type codes follow the tables published with GB 32100 and
its later additions (A for the Central Military Commission, N for agriculture).

A wrong length, a character outside the alphabet, non-digits in positions 3-8, an
unknown authority and a division code outside the province-level codes are rejected. A
check character that does not match is only a warning, because some genuine codes issued
before 2016 fail it; a reviewer confirms such a code against the business licence. When
the embedded organisation code fails its own check as well, nothing about the value is
consistent and it is rejected. An unknown entity type and a division code missing from
the historical table are warnings.
"""

from __future__ import annotations

from typing import NoReturn

from .base import (
    Identifier,
    IdentifierWarning,
    Kind,
    MaskLevel,
    new_identifier,
    value_object,
    warning,
)
from .checksums import USCC_ALPHABET, uscc_check
from .errors import InvalidIdentifier
from .normalise import normalise
from .org_code import is_valid_org_code
from .regions import REGISTRATION_PROVINCES, is_known_region, lookup_region

_KIND = Kind.USCC

# Registration authority code -> (authority, {entity type code: entity type}).
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位",
                       "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": ("司法行政", {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所",
                       "4": "司法鉴定机构", "5": "仲裁委员会", "9": "其他"}),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构",
                   "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商（市场监督管理）", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织",
                   "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "不分机构类别"}),
}  # fmt: skip

NATIONAL_DIVISION_CODE = "100000"

# Letters excluded from the alphabet, with the digit a reader most likely meant.
_EXCLUDED_LETTER_HINTS = {
    "I": "可能应为数字 1。",
    "O": "可能应为数字 0。",
    "Z": "可能应为数字 2。",
    "S": "可能应为数字 5。",
    "V": "请对照营业执照核对。",
}
_ALPHABET = frozenset(USCC_ALPHABET)


@value_object
class Uscc(Identifier):
    """A unified social credit code; its facts are read from the value on access.

    Codes of organisations are public (国家企业信用信息公示系统), so the mask is the whole
    value. ``is_individual_business`` marks a 个体工商户, whose code identifies one person.
    """

    @property
    def registration_authority_name(self) -> str:
        """Name of the registration authority (position 1)."""
        return AUTHORITIES[self.value[0]][0]

    @property
    def entity_type_name(self) -> str | None:
        """Name of the entity type (position 2), ``None`` if not in the table."""
        return AUTHORITIES[self.value[0]][1].get(self.value[1])

    @property
    def division_code(self) -> str:
        """Division code of the registering authority (positions 3-8)."""
        return self.value[2:8]

    @property
    def division_name(self) -> str | None:
        """Name of the division, ``None`` if the table does not know it."""
        if self.division_code == NATIONAL_DIVISION_CODE:
            return "国家级"
        region = lookup_region(self.division_code)
        return region.name if region else None

    @property
    def org_code(self) -> str:
        """Embedded organisation code (positions 9-17)."""
        return self.value[8:17]

    @property
    def is_embedded_org_code_valid(self) -> bool:
        """Whether the embedded organisation code passes its GB 11714 check."""
        return is_valid_org_code(self.org_code)

    @property
    def is_check_character_valid(self) -> bool:
        """Whether the GB 32100 check character matches."""
        return uscc_check(self.value[:17]) == self.value[17]

    @property
    def is_individual_business(self) -> bool:
        """Whether the code belongs to an individual business (个体工商户)."""
        return self.value[:2] == "92"

    def mask(self, level: MaskLevel = MaskLevel.LIST) -> str:
        return self.value


def is_valid_uscc(value: str) -> bool:
    """Return whether the parser accepts the normalised ``value`` without review.

    False when the check character fails or the entity type is unknown.
    """
    return (
        len(value) == 18
        and not value.strip(USCC_ALPHABET)
        and value[2:8].isdigit()
        and value[0] in AUTHORITIES
        and value[1] in AUTHORITIES[value[0]][1]
        and value[2:4] in REGISTRATION_PROVINCES
        and uscc_check(value[:17]) == value[17]
    )


def parse_uscc(text: str) -> Uscc:
    """Parse a unified social credit code. Raises ``InvalidIdentifier``."""
    return parse_normalised(normalise(text, kind=_KIND))


def parse_normalised(value: str) -> Uscc:
    """Parse an already normalised value; see ``parse_uscc``."""
    if not (len(value) == 18 and not value.strip(USCC_ALPHABET) and value[2:8].isdigit()):
        _raise_for_shape(value)
    authority = AUTHORITIES.get(value[0])
    if authority is None:
        raise InvalidIdentifier("unknown_registration_authority", kind=_KIND)
    division = value[2:8]
    if division[:2] not in REGISTRATION_PROVINCES:
        raise InvalidIdentifier("invalid_division_code", kind=_KIND)

    warnings: tuple[IdentifierWarning, ...] = ()
    if uscc_check(value[:17]) != value[17]:
        if not is_valid_org_code(value[8:17]):
            raise InvalidIdentifier("check_and_org_code_mismatch", kind=_KIND)
        warnings += (warning("check_character_mismatch"),)
    if value[1] not in authority[1]:
        warnings += (warning("unknown_entity_type"),)
    if division != NATIONAL_DIVISION_CODE and not is_known_region(division):
        warnings += (warning("division_code_unknown"),)
    return new_identifier(Uscc, value, _KIND, warnings)


def calculate_check_character(body: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a code."""
    return uscc_check(body)


def _raise_for_shape(value: str) -> NoReturn:
    """Raise the error for a value of the wrong length or with a character out of place.

    Callers have found that ``value`` is not 18 characters of the code's alphabet with
    digits in positions 3-8.
    """
    if len(value) != 18:
        raise InvalidIdentifier("wrong_length", kind=_KIND, expected=18, actual=len(value))
    for index, character in enumerate(value):
        if character in _ALPHABET:
            if 2 <= index < 8 and not character.isdigit():
                raise InvalidIdentifier("non_digit", kind=_KIND, position=index + 1)
            continue
        hint = _EXCLUDED_LETTER_HINTS.get(character)
        if hint is not None:
            raise InvalidIdentifier(
                "excluded_letter", kind=_KIND, position=index + 1, letter=character, hint=hint
            )
        raise InvalidIdentifier("invalid_character", kind=_KIND, position=index + 1)
    raise AssertionError("_raise_for_shape was called for a well-formed credit code")
