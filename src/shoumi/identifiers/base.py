"""Value objects, kinds, mask levels and warnings shared by every identifier module.

A parsed identifier is a frozen value object. ``value`` holds the canonical plaintext and
is the only attribute that does; ``str()``, ``repr()`` and string formatting show the mask,
because these objects travel through code that may log them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar


class Kind(StrEnum):
    """Kind of identifier; the values are stable and stored in databases."""

    RESIDENT_ID = "resident_id"
    RESIDENCE_PERMIT = "residence_permit"
    FOREIGN_PERMANENT_RESIDENCE_ID = "foreign_permanent_residence_id"
    USCC = "uscc"
    ORG_CODE = "org_code"
    REGISTRATION_NUMBER = "registration_number"
    TAXPAYER_ID = "taxpayer_id"
    BANK_CARD = "bank_card"
    BANK_ACCOUNT = "bank_account"
    MOBILE = "mobile"
    LANDLINE = "landline"
    PASSPORT = "passport"
    TRAVEL_PERMIT = "travel_permit"

    # Enum hashes members with a Python-level method. For a StrEnum, str's hash gives the
    # same value, because members equal their strings, and costs a tenth as much.
    __hash__ = str.__hash__


class MaskLevel(StrEnum):
    """How much of a value a view may show; see ``shoumi.identifiers.masking``."""

    LIST = "list"
    VERIFY = "verify"


# Warning code -> (Chinese message, whether a reviewer must confirm the value).
WARNING_MESSAGES: dict[str, tuple[str, bool]] = {
    "region_unknown": (
        "地址码不在历史行政区划表中。地址码记录首次办证地，撤销或合并后的区县代码仍然有效；请对照原件核对。",
        False,
    ),
    "birth_year_before_1900": ("出生年份早于1900年，请对照原件核对。", True),
    "converted_from_15": ("已把15位旧号码升级为18位号码。", False),
    "converted_from_15_or_truncated_18": (
        "已把15位旧号码升级为18位号码。这15位数字也可能是一个18位号码被截断后的前15位，"
        "请对照原件确认。",
        True,
    ),
    "check_character_mismatch": (
        "校验码不符，请对照营业执照核对。2016年前发放的部分代码不满足校验规则，核对无误后可由复核员确认。",
        True,
    ),
    "unknown_entity_type": ("机构类别代码不在已知列表中，请对照营业执照核对。", True),
    "division_code_unknown": ("登记管理机关行政区划码不在历史行政区划表中。", False),
    "luhn_failed": (
        "银行卡号未通过 Luhn 校验，请对照银行卡核对。"
        "部分借记卡不满足该校验，核对无误后可由复核员确认。",
        True,
    ),
    "possibly_excel_truncated": (
        "16位卡号末位是 0 且未通过校验，可能已被 Excel 截断，请从原始资料重新录入。",
        True,
    ),
    "legacy_check_digit_mismatch": (
        "旧版号码的校验位不符（该校验规则未经官方确认），请对照证件核对。",
        True,
    ),
    "unknown_nationality": ("国籍代码不在 ISO 3166-1 国家代码表中，请对照证件核对。", True),
    "legacy_unchecked": ("13位旧工商注册号没有校验位，无法自动校验，请对照营业执照核对。", True),
    "expired_passport_series": ("G 字头护照是2012年以前签发的普通护照，均已过期。", False),
}


@dataclasses.dataclass(frozen=True, slots=True)
class IdentifierWarning:
    """A reason to look at an accepted value again, with a stable ``code``."""

    code: str
    message: str
    requires_confirmation: bool

    @classmethod
    def from_code(cls, code: str) -> IdentifierWarning:
        message, requires_confirmation = WARNING_MESSAGES[code]
        return cls(code, message, requires_confirmation)


@dataclasses.dataclass(frozen=True, slots=True)
class ConvertedFrom15Warning(IdentifierWarning):
    """Warning on a 15-digit resident ID that was upgraded to 18 digits.

    ``could_be_truncated_18`` is true when the same 15 digits also read as the first 15
    digits of an 18-digit number (positions 7-14 form a real, past date). An import that
    sees other 18-digit values in the same column should then ask for confirmation instead
    of keeping the upgrade.
    """

    could_be_truncated_18: bool = False


def warning(code: str) -> IdentifierWarning:
    """Return the shared warning object for ``code``."""
    return _WARNINGS[code]


_WARNINGS = {code: IdentifierWarning.from_code(code) for code in WARNING_MESSAGES}


# Parsed identifiers are built often (imports, the scanner), so every class uses slots, none
# gets a generated repr (``Identifier.__repr__`` shows the mask), and none gets a generated
# __init__: the frozen one costs about twice as much as ``Identifier.__init__``. A subclass
# with fields of its own writes its __init__ the same way.
value_object = dataclasses.dataclass(frozen=True, slots=True, kw_only=True, repr=False, init=False)

set_attribute = object.__setattr__
_new_object = object.__new__


@value_object
class Identifier:
    """A parsed, normalised identifier.

    ``value`` is the canonical plaintext, ``kind`` the kind it was parsed as, and
    ``warnings`` the reasons a reviewer may need to confirm it. Subclasses add the facts
    the number encodes.
    """

    value: str
    kind: Kind
    warnings: tuple[IdentifierWarning, ...] = ()

    def __init__(self, *, value: str, kind: Kind, warnings: tuple[IdentifierWarning, ...] = ()):
        _set_value(self, value)
        _set_kind(self, kind)
        _set_warnings(self, warnings)

    def mask(self, level: MaskLevel = MaskLevel.LIST) -> str:
        """Return the value masked for ``level``."""
        raise NotImplementedError(f"{type(self).__name__} does not define its mask")

    @property
    def masked(self) -> str:
        """The value masked for list views."""
        return self.mask(MaskLevel.LIST)

    @property
    def requires_confirmation(self) -> bool:
        """Whether a reviewer must confirm the value before it is stored."""
        return any(item.requires_confirmation for item in self.warnings)

    def has_warning(self, code: str) -> bool:
        """Return whether a warning with ``code`` is present."""
        return any(item.code == code for item in self.warnings)

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.masked}>"


# The slots' own setters write a field of a frozen object directly. They cost about a third
# of object.__setattr__, which looks the name up first; parsers build an object per value.
_set_value = Identifier.value.__set__  # type: ignore[attr-defined]
_set_kind = Identifier.kind.__set__  # type: ignore[attr-defined]
_set_warnings = Identifier.warnings.__set__  # type: ignore[attr-defined]

IdentifierType = TypeVar("IdentifierType", bound=Identifier)


def new_identifier(
    cls: type[IdentifierType],
    value: str,
    kind: Kind,
    warnings: tuple[IdentifierWarning, ...] = (),
) -> IdentifierType:
    """Build a value object of ``cls`` without calling its keyword-only ``__init__``.

    Parsers use it for every value they accept; binding keyword arguments costs more than
    the rest of building the object. A subclass's own fields are then set with
    ``field_setter``.
    """
    identifier = _new_object(cls)
    _set_value(identifier, value)
    _set_kind(identifier, kind)
    _set_warnings(identifier, warnings)
    return identifier


def field_setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    """Return the setter of the slot ``name`` of a value-object class (see ``new_identifier``)."""
    setter: Callable[[Any, Any], None] = cls.__dict__[name].__set__
    return setter


MASK_CHARACTER = "*"

# A partial mask that hides fewer than this many characters gives the value away, so a
# value too short for its rule is hidden completely.
MIN_HIDDEN = 4


def keep_ends(value: str, head: int, tail: int) -> str:
    """Return ``value`` with all but its first ``head`` and last ``tail`` characters hidden.

    When fewer than ``MIN_HIDDEN`` characters would be hidden, every character is hidden.
    """
    length = len(value)
    hidden = length - head - tail
    if hidden < MIN_HIDDEN:
        return MASK_CHARACTER * length
    return value[:head] + MASK_CHARACTER * hidden + (value[length - tail :] if tail else "")


def first_non_digit(value: str) -> int | None:
    """Return the 1-based position of the first character that is not an ASCII digit.

    Returns None when there is none, also for an empty value, which the caller's length
    check then rejects.
    """
    if value.isascii() and value.isdigit():
        return None
    return next(
        (index + 1 for index, character in enumerate(value) if not "0" <= character <= "9"),
        None,
    )


def hide_all(value: str) -> str:
    """Return one mask character for each character of ``value``."""
    return MASK_CHARACTER * len(value)
