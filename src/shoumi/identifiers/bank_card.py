"""Bank card numbers (银行卡号: debit and credit cards).

ISO/IEC 7812: 12 to 19 digits, the first being the major industry identifier, the last a
Luhn check digit. Chinese cards are mostly UnionPay (``62``, also ``60`` and the older
``9`` series). Co-branded Visa, Mastercard, JCB and American Express cards start with 4,
5 or 2, 35 and 34/37, so ``62`` is not required. Accepted first digits are 2-6 and 9.

A failed Luhn check is a warning, not a rejection, because some Chinese debit cards fail
it; a reviewer confirms such a number against the card. The scanner uses
``is_valid_bank_card``, which requires the check to pass.
"""

from __future__ import annotations

from enum import StrEnum

from .base import (
    Identifier,
    IdentifierWarning,
    Kind,
    MaskLevel,
    first_non_digit,
    keep_ends,
    value_object,
    warning,
)
from .checksums import luhn_is_valid
from .errors import InvalidIdentifier
from .normalise import normalise

_KIND = Kind.BANK_CARD
MIN_LENGTH = 12
MAX_LENGTH = 19
_ISSUER_FIRST_DIGITS = frozenset("234569")


class CardBrand(StrEnum):
    """Card scheme read from the number's prefix."""

    UNIONPAY = "unionpay"
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMERICAN_EXPRESS = "american_express"
    JCB = "jcb"
    DINERS_CLUB = "diners_club"
    DISCOVER = "discover"
    UNKNOWN = "unknown"


@value_object
class BankCard(Identifier):
    """A bank card number; its Luhn result and scheme are read from the value on access."""

    @property
    def is_luhn_valid(self) -> bool:
        """Whether the number passes the Luhn check."""
        return luhn_is_valid(self.value)

    @property
    def brand(self) -> CardBrand:
        """Card scheme indicated by the prefix."""
        return card_brand(self.value)

    @property
    def is_unionpay(self) -> bool:
        """Whether the prefix is a UnionPay one."""
        return self.brand == CardBrand.UNIONPAY

    def mask(self, level: MaskLevel = MaskLevel.LIST) -> str:
        return mask_card_number(self.value, level)


def mask_card_number(value: str, level: MaskLevel) -> str:
    """Mask a card number: at most the first 6 and last 4 digits (PCI DSS), last 4 to verify.

    Numbers shorter than 14 digits would hide fewer than 4 digits under 6 + 4, so they show
    the last 4 only.
    """
    if level == MaskLevel.LIST and len(value) >= 14:
        return keep_ends(value, 6, 4)
    return keep_ends(value, 0, 4)


def card_brand(value: str) -> CardBrand:
    """Return the card scheme indicated by the first digits of ``value``."""
    first = value[0]
    if (
        value.startswith("62")
        or first == "9"
        or (value.startswith("60") and not value.startswith("6011"))
    ):
        return CardBrand.UNIONPAY
    if first == "4":
        return CardBrand.VISA
    prefix_2 = int(value[:2])
    prefix_4 = int(value[:4])
    if 51 <= prefix_2 <= 55 or 2221 <= prefix_4 <= 2720:
        return CardBrand.MASTERCARD
    if prefix_2 in (34, 37):
        return CardBrand.AMERICAN_EXPRESS
    if 3528 <= prefix_4 <= 3589:
        return CardBrand.JCB
    if prefix_2 in (30, 36, 38, 39):
        return CardBrand.DINERS_CLUB
    if value.startswith(("6011", "65")) or 644 <= int(value[:3]) <= 649:
        return CardBrand.DISCOVER
    return CardBrand.UNKNOWN


def is_valid_bank_card(value: str) -> bool:
    """Return whether the normalised ``value`` is a card number that passes the Luhn check."""
    return (
        MIN_LENGTH <= len(value) <= MAX_LENGTH
        and value.isascii()
        and value.isdigit()
        and value[0] in _ISSUER_FIRST_DIGITS
        and luhn_is_valid(value)
    )


def parse_bank_card(text: str) -> BankCard:
    """Parse a bank card number. Raises ``InvalidIdentifier``; a Luhn failure is a warning."""
    return parse_normalised(normalise(text, kind=_KIND))


def parse_normalised(value: str) -> BankCard:
    """Parse an already normalised value; see ``parse_bank_card``."""
    length = len(value)
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise InvalidIdentifier(
            "length_out_of_range", kind=_KIND, minimum=MIN_LENGTH, maximum=MAX_LENGTH, actual=length
        )
    position = first_non_digit(value)
    if position is not None:
        raise InvalidIdentifier("non_digit", kind=_KIND, position=position)
    if value[0] not in _ISSUER_FIRST_DIGITS:
        raise InvalidIdentifier("invalid_card_prefix", kind=_KIND)

    warnings: list[IdentifierWarning] = []
    if not luhn_is_valid(value):
        warnings.append(warning("luhn_failed"))
        if length == 16 and value[15] == "0":
            warnings.append(warning("possibly_excel_truncated"))
    return BankCard(value=value, kind=_KIND, warnings=tuple(warnings))
