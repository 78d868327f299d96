"""Display masks for identifiers, personal names and addresses.

Sources: GB/T 35273-2020 §7.2 recommends that personal information shown on screen or
paper be de-identified. JR/T 0171-2020 requires financial institutions to mask (屏蔽)
personal financial information on display. PCI DSS caps a displayed card number at its
first 6 and last 4 digits. The rules:

===========================================  ================================  ===============
kind                                         list view (``MaskLevel.LIST``)    verification
===========================================  ================================  ===============
resident ID, residence permit, foreign       first 3 + last 4                  last 6
permanent residence ID, personal taxpayer
number
bank card                                    first 6 + last 4 (last 4 under    last 4
                                             14 digits)
bank account                                 ``****`` + last 4                 same
mobile                                       first 3 + last 4                  last 4
fixed line                                   area code + last 4                last 4
passport, travel permit                      letter prefix (1-2) + last 3      last 4
credit code, organisation code, registration whole value (public)              same
number, organisation's taxpayer number
personal name                                surname, ``*`` per other          same
                                             character; compound surnames kept
address                                      up to the district                same
===========================================  ================================  ===============

Lists never show a resident ID's first 6 + last 4: that hides only the birth date, which
a scan or another screen often shows. The verification view is for staff who confirm
identity with a client in person by asking for a few characters instead of reading out
the number; it shows those characters and nothing else.

A value too short for its rule to hide at least 4 characters is hidden completely, a
mask never has more characters than the value (apart from a ``+86 `` display prefix on
mobile numbers), and a value that does not parse as its kind is masked by the same rule
applied to its normalised text, except that public kinds are then hidden completely.
Masks stop casual viewing; they are not de-identification, and a 3 + 4 resident-ID mask
leaves about a hundred candidates when the birth date is known.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from shoumi.lazy_log import get_logger

from .bank_account import mask_account_number
from .bank_card import mask_card_number
from .base import MASK_CHARACTER, Kind, MaskLevel, hide_all, keep_ends
from .errors import InvalidIdentifier
from .mobile import COUNTRY_CODE_DISPLAY, mask_mobile_number, split_country_code
from .normalise import normalise
from .passport import mask_document_number
from .resident_id import mask_identity_number
from .router import parse

logger = get_logger(__name__)


def _mask_invalid_mobile(value: str, level: MaskLevel) -> str:
    has_country_code, number = split_country_code(value)
    return mask_mobile_number(number, level, has_country_code=has_country_code)


def _hide(value: str, level: MaskLevel) -> str:
    return hide_all(value)


# Kind -> mask of a normalised value that did not parse as that kind.
_INVALID_VALUE_MASKS: dict[Kind, Callable[[str, MaskLevel], str]] = {
    Kind.RESIDENT_ID: mask_identity_number,
    Kind.RESIDENCE_PERMIT: mask_identity_number,
    Kind.FOREIGN_PERMANENT_RESIDENCE_ID: mask_identity_number,
    Kind.TAXPAYER_ID: _hide,
    Kind.USCC: _hide,
    Kind.ORG_CODE: _hide,
    Kind.REGISTRATION_NUMBER: _hide,
    Kind.BANK_CARD: mask_card_number,
    Kind.BANK_ACCOUNT: lambda value, level: mask_account_number(value),
    Kind.MOBILE: _mask_invalid_mobile,
    Kind.LANDLINE: lambda value, level: keep_ends(value, 0, 4),
    Kind.PASSPORT: mask_document_number,
    Kind.TRAVEL_PERMIT: mask_document_number,
}


def mask(
    kind: Kind | str, value: str | None, level: MaskLevel | str = MaskLevel.LIST
) -> str | None:
    """Return ``value`` masked as ``kind`` for ``level``; ``None`` stays ``None``.

    Never raises: an unknown kind or level hides every character, and an input that is
    not even text is converted with ``str()`` first.
    """
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    try:
        kind = Kind(kind)
        level = MaskLevel(level)
    except ValueError:
        # Which argument, but not as given: a caller that swapped them would log the value.
        argument = "level" if isinstance(kind, Kind) else "kind"
        logger.warning("mask_argument_unknown", argument=argument)
        return hide_all(text.strip())
    if not text.strip():
        return ""

    try:
        return parse(kind, text).mask(level)
    except InvalidIdentifier:
        pass
    except Exception as error:  # noqa: BLE001 - masking is a boundary that must never raise.
        # The error's message may quote the value, so only its type is logged.
        logger.error("mask_failed", kind=str(kind), error_type=type(error).__name__)
        return hide_all(text.strip())
    try:
        masked = _INVALID_VALUE_MASKS[kind](normalise(text, kind=kind), level)
    except InvalidIdentifier:
        return hide_all(text.strip())
    # NFKC can lengthen text (for example ¼ becomes 1⁄4), and a mask never may.
    if len(masked.removeprefix(COUNTRY_CODE_DISPLAY)) > len(text):
        return hide_all(text.strip())
    return masked


# Compound surnames (复姓) from the 百家姓 and common usage. A two-character prefix in this
# set is read as the surname. A single surname whose given name happens to complete one of
# these pairs therefore shows one character more than its rule, never more than two.
COMPOUND_SURNAMES = frozenset(
    """
    欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟 公羊 赫连 澹台 皇甫 宗政 濮阳
    公冶 太叔 申屠 公孙 慕容 仲孙 钟离 长孙 宇文 司徒 鲜于 司空 闾丘 子车 亓官 司寇 巫马 公西 颛孙
    壤驷 公良 漆雕 乐正 宰父 谷梁 拓跋 夹谷 轩辕 令狐 段干 百里 呼延 东郭 南门 羊舌 微生 公户 公玉
    公仪 梁丘 公仲 公上 公门 公山 公坚 左丘 公伯 西门 公祖 第五 公乘 贯丘 公皙 南荣 东里 东宫 仲长
    子书 子桑 即墨 达奚 褚师 吴铭 纳兰 归海 第一 东门 西郭 百里
    """.split()
)

# Separators inside transliterated or foreign names, kept in the mask.
_NAME_SEPARATORS = frozenset("·•・‧. -")


def mask_name(name: str | None, level: MaskLevel | str = MaskLevel.LIST) -> str | None:
    """Mask a personal name: keep the surname (compound surnames whole), ``*`` per other character.

    A transliterated name with separators (``阿卜杜拉·艾山``) keeps its first character and
    the separators. A name no longer than its surname is hidden completely. ``level`` is
    accepted for symmetry with ``mask``; both levels use the same rule. Never raises.
    """
    if name is None:
        return None
    text = (name if isinstance(name, str) else str(name)).strip()
    if not text:
        return ""
    if any(character in _NAME_SEPARATORS for character in text):
        return text[0] + "".join(
            character if character in _NAME_SEPARATORS else MASK_CHARACTER for character in text[1:]
        )
    surname_length = 2 if len(text) > 2 and text[:2] in COMPOUND_SURNAMES else 1
    if len(text) <= surname_length:
        return hide_all(text)
    return text[:surname_length] + MASK_CHARACTER * (len(text) - surname_length)


# Province, prefecture and county parts at the start of a mainland address. Each part is
# optional; a county-level name stops before characters that begin a street address.
_ADDRESS_DIVISIONS = re.compile(
    r"(?:(?:北京|天津|上海|重庆)市|内蒙古自治区|广西壮族自治区|西藏自治区|宁夏回族自治区|新疆维吾尔自治区"
    r"|香港特别行政区|澳门特别行政区|[^省市区县\d]{2,3}省)?"
    r"(?:[^省市州盟区县旗镇乡街路号村\d]{1,10}?(?:自治州|地区|盟|市))?"
    r"(?:[^省市州盟区县旗镇乡街路号村\d]{1,8}?(?:区|县|旗|市))?"
)

# At most this many mask characters replace the rest of an address, so the mask does not
# give away how long the street address is.
_ADDRESS_MASK_LENGTH = 8


def mask_address(address: str | None, level: MaskLevel | str = MaskLevel.LIST) -> str | None:
    """Mask an address after its district: ``北京市海淀区********``.

    An address whose start is not a recognisable province, city or district is hidden
    completely. ``level`` is accepted for symmetry with ``mask``. Never raises.
    """
    if address is None:
        return None
    text = (address if isinstance(address, str) else str(address)).strip()
    if not text:
        return ""
    match = _ADDRESS_DIVISIONS.match(text)
    kept_length = match.end() if match else 0
    hidden_length = len(text) - kept_length
    return text[:kept_length] + MASK_CHARACTER * min(hidden_length, _ADDRESS_MASK_LENGTH)
