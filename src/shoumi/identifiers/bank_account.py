"""Corporate bank account numbers (对公账户账号).

Account numbers are internal to each bank: their length varies (commonly 12 to 25
digits) and no check digit is published, so Luhn does not apply. Only the alphabet and a
length of 8 to 32 digits are checked; hyphens that some banks print are removed by
normalisation. Confirm a new account against the 开户许可证 or 基本存款账户信息 scan.
"""

from __future__ import annotations

from .base import (
    MASK_CHARACTER,
    Identifier,
    Kind,
    MaskLevel,
    first_non_digit,
    hide_all,
    value_object,
)
from .errors import InvalidIdentifier
from .normalise import normalise

_KIND = Kind.BANK_ACCOUNT
MIN_LENGTH = 8
MAX_LENGTH = 32


@value_object
class BankAccount(Identifier):
    """A bank account number."""

    def mask(self, level: MaskLevel = MaskLevel.LIST) -> str:
        return mask_account_number(self.value)


def mask_account_number(value: str) -> str:
    """Show the last 4 digits after four mask characters, hiding the length as well."""
    if len(value) < 8:
        return hide_all(value)
    return MASK_CHARACTER * 4 + value[-4:]


def is_valid_bank_account(value: str) -> bool:
    """Return whether ``parse_bank_account`` accepts the already normalised ``value``."""
    return MIN_LENGTH <= len(value) <= MAX_LENGTH and value.isascii() and value.isdigit()


def parse_bank_account(text: str) -> BankAccount:
    """Parse a corporate bank account number. Raises ``InvalidIdentifier``."""
    return parse_normalised(normalise(text, kind=_KIND))


def parse_normalised(value: str) -> BankAccount:
    """Parse an already normalised value; see ``parse_bank_account``."""
    length = len(value)
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise InvalidIdentifier(
            "length_out_of_range", kind=_KIND, minimum=MIN_LENGTH, maximum=MAX_LENGTH, actual=length
        )
    position = first_non_digit(value)
    if position is not None:
        raise InvalidIdentifier("non_digit", kind=_KIND, position=position)
    return BankAccount(value=value, kind=_KIND)
