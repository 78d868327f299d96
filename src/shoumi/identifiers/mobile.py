"""Mainland mobile numbers (手机号码).

Eleven digits: network prefix (3) + HLR code (4) + subscriber number (4). Which prefixes
are allocated to the public mobile network comes from MIIT's allocation list (我国公众移动
通信网网号及H0分配情况, as of March 2023): 130-139, 145-149, 150-153, 155-159,
162/165/166/167, 170-178, 180-189, 190-193 and 195-199. Prefixes 140-144 carry 13-digit
IoT numbers, and 154 and 194 are unallocated. MIIT adds ranges, so the table is
configurable: build a ``MobilePrefixTable`` and pass it or install it with
``set_prefix_table``. A ``+86``, ``0086`` or (on 13 digits) ``86`` country code is
removed; the canonical value is the 11-digit national number.

Operators follow the same allocation, as commonly published per prefix. Number
portability since 2019 means a subscriber may have moved to another operator, so
``operator`` records who the range belongs to, not who serves the number. It never affects
validity.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import StrEnum

from .base import (
    Identifier,
    Kind,
    MaskLevel,
    first_non_digit,
    keep_ends,
    set_attribute,
    value_object,
)
from .errors import InvalidIdentifier
from .normalise import normalise

_KIND = Kind.MOBILE
COUNTRY_CODE_DISPLAY = "+86 "


class Operator(StrEnum):
    """Holder of a number range."""

    CHINA_MOBILE = "china_mobile"
    CHINA_UNICOM = "china_unicom"
    CHINA_TELECOM = "china_telecom"
    CHINA_BROADCAST_NETWORK = "china_broadcast_network"
    MVNO = "mvno"
    SATELLITE = "satellite"


OPERATOR_NAMES = {
    Operator.CHINA_MOBILE: "中国移动",
    Operator.CHINA_UNICOM: "中国联通",
    Operator.CHINA_TELECOM: "中国电信",
    Operator.CHINA_BROADCAST_NETWORK: "中国广电",
    Operator.MVNO: "虚拟运营商",
    Operator.SATELLITE: "卫星通信",
}


def _prefixes(operator: Operator, *prefixes: str) -> dict[str, Operator]:
    return dict.fromkeys(prefixes, operator)


_DEFAULT_PREFIXES: dict[str, Operator | None] = {
    **_prefixes(Operator.CHINA_MOBILE, "134", "135", "136", "137", "138", "139", "147", "148",
                "150", "151", "152", "157", "158", "159", "172", "178", "182", "183", "184",
                "187", "188", "195", "197", "198"),
    **_prefixes(Operator.CHINA_UNICOM, "130", "131", "132", "145", "146", "155", "156", "166",
                "175", "176", "185", "186", "196"),
    **_prefixes(Operator.CHINA_TELECOM, "133", "149", "153", "173", "177", "180", "181", "189",
                "190", "191", "193", "199"),
    **_prefixes(Operator.CHINA_BROADCAST_NETWORK, "192"),
    **_prefixes(Operator.MVNO, "162", "165", "167", "170", "171"),
    **_prefixes(Operator.SATELLITE, "1349", "174"),
}  # fmt: skip


@dataclasses.dataclass(frozen=True, slots=True)
class MobilePrefixTable:
    """Allocated mobile prefixes of 3 or 4 digits, each with its operator if known.

    A 4-digit entry overrides the 3-digit entry it starts with, for example 1349
    (satellite) inside 134 (China Mobile).
    """

    prefixes: Mapping[str, Operator | None]

    def __post_init__(self) -> None:
        for prefix in self.prefixes:
            if len(prefix) not in (3, 4) or not prefix.isdigit() or prefix[0] != "1":
                raise ValueError(
                    f"mobile prefix must be 3 or 4 digits starting with 1, got {prefix!r}"
                )

    def is_allocated(self, number: str) -> bool:
        """Return whether the 11-digit ``number`` starts with an allocated prefix."""
        return number[:3] in self.prefixes or number[:4] in self.prefixes

    def operator(self, number: str) -> Operator | None:
        """Return the operator of the range ``number`` belongs to, if known."""
        if number[:4] in self.prefixes:
            return self.prefixes[number[:4]]
        return self.prefixes.get(number[:3])

    def with_prefixes(self, additions: Mapping[str, Operator | None]) -> MobilePrefixTable:
        """Return a table with ``additions`` added to (or replacing) these prefixes."""
        return MobilePrefixTable({**self.prefixes, **additions})


DEFAULT_PREFIX_TABLE = MobilePrefixTable(_DEFAULT_PREFIXES)
_active_table = DEFAULT_PREFIX_TABLE


def set_prefix_table(table: MobilePrefixTable) -> None:
    """Install ``table`` as the process-wide default used when no table is passed."""
    global _active_table
    _active_table = table


def get_prefix_table() -> MobilePrefixTable:
    """Return the process-wide default prefix table."""
    return _active_table


@value_object
class Mobile(Identifier):
    """A mainland mobile number; ``value`` is the 11-digit national number.

    ``has_country_code`` records that the input carried +86, so the mask shows it too.
    """

    operator: Operator | None
    has_country_code: bool

    def __init__(
        self, *, value: str, kind: Kind, operator: Operator | None, has_country_code: bool
    ) -> None:
        set_attribute(self, "value", value)
        set_attribute(self, "kind", kind)
        set_attribute(self, "warnings", ())
        set_attribute(self, "operator", operator)
        set_attribute(self, "has_country_code", has_country_code)

    @property
    def operator_name(self) -> str | None:
        """Chinese name of the operator, if known."""
        return OPERATOR_NAMES.get(self.operator) if self.operator else None

    def mask(self, level: MaskLevel = MaskLevel.LIST) -> str:
        return mask_mobile_number(self.value, level, has_country_code=self.has_country_code)


def mask_mobile_number(value: str, level: MaskLevel, *, has_country_code: bool = False) -> str:
    """Mask a national mobile number: first 3 + last 4 in lists, last 4 to verify.

    With ``has_country_code`` the mask starts with ``+86 ``, which is not part of the number.
    """
    masked = keep_ends(value, 0, 4) if level == MaskLevel.VERIFY else keep_ends(value, 3, 4)
    return COUNTRY_CODE_DISPLAY + masked if has_country_code else masked


def split_country_code(value: str) -> tuple[bool, str]:
    """Return whether a normalised ``value`` starts with a +86 country code, and the rest."""
    if value.startswith("+86"):
        return True, value[3:]
    if value.startswith("0086"):
        return True, value[4:]
    if value.startswith("86") and len(value) == 13:
        return True, value[2:]
    return False, value


def is_valid_mobile(value: str, table: MobilePrefixTable | None = None) -> bool:
    """Return whether ``parse_mobile`` accepts the already normalised ``value``."""
    _, number = split_country_code(value)
    return (
        len(number) == 11
        and number.isascii()
        and number.isdigit()
        and (table or _active_table).is_allocated(number)
    )


def parse_mobile(text: str, *, table: MobilePrefixTable | None = None) -> Mobile:
    """Parse a mainland mobile number, with or without +86 / 0086. Raises ``InvalidIdentifier``."""
    return parse_normalised(normalise(text, kind=_KIND), table=table)


def parse_normalised(value: str, *, table: MobilePrefixTable | None = None) -> Mobile:
    """Parse an already normalised value; see ``parse_mobile``."""
    prefix_table = table or _active_table
    has_country_code, number = split_country_code(value)
    if number.startswith("+"):
        raise InvalidIdentifier("unsupported_country_code", kind=_KIND)
    position = first_non_digit(number)
    if position is not None:
        raise InvalidIdentifier("non_digit", kind=_KIND, position=position)
    if len(number) != 11:
        raise InvalidIdentifier("wrong_length", kind=_KIND, expected=11, actual=len(number))
    if number[0] != "1":
        raise InvalidIdentifier("invalid_mobile_start", kind=_KIND)
    if not prefix_table.is_allocated(number):
        if "140" <= number[:3] <= "144":
            raise InvalidIdentifier("iot_number", kind=_KIND)
        raise InvalidIdentifier("unallocated_mobile_prefix", kind=_KIND)
    return Mobile(
        value=number,
        kind=_KIND,
        operator=prefix_table.operator(number),
        has_country_code=has_country_code,
    )
