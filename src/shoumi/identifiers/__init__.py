"""Chinese identifiers: normalise, parse, validate, recognise and mask them.

Every ``parse_*`` function normalises its text (see ``normalise``), checks it by the
rules of the standard that defines it and returns a frozen value object whose ``value``
is the canonical form, or raises ``InvalidIdentifier`` with a stable ``code`` and a
Chinese message. Checks that genuine values are known to fail (a credit code's check
character, a bank card's Luhn digit) produce warnings instead, and a reviewer confirms
the value. ``str()`` and ``repr()`` of a value object show its mask, never the value.

Each kind also has a fast ``is_valid_*`` check for an already normalised string, which
applies the parser's rules without building objects or messages. It is true when the
parser accepts the value with no warning that needs a reviewer, so it is false when a
check character fails. The scanner uses these.

How far region checks go: the province (first two digits of an address or division
code) is checked strictly against GB/T 2260. The county part is only looked up, in
python-stdnum's historical table, to show a name and whether the code is abolished; a
code missing from the table is a warning, because a number keeps its address code for
life even after districts merge. The date a code came into use is never compared with a
birth date.

The package imports nothing from Django.
"""

from .bank_account import BankAccount, is_valid_bank_account, parse_bank_account
from .bank_card import BankCard, CardBrand, is_valid_bank_card, parse_bank_card
from .base import (
    ConvertedFrom15Warning,
    Identifier,
    IdentifierWarning,
    Kind,
    MaskLevel,
)
from .batch import parse_many
from .errors import InvalidIdentifier
from .foreign_permanent_residence_id import (
    ForeignPermanentResidenceId,
    is_valid_foreign_permanent_residence_id,
    parse_foreign_permanent_residence_id,
)
from .landline import Landline, is_valid_landline, parse_landline
from .masking import mask, mask_address, mask_name
from .mobile import (
    DEFAULT_PREFIX_TABLE,
    Mobile,
    MobilePrefixTable,
    Operator,
    get_prefix_table,
    is_valid_mobile,
    parse_mobile,
    set_prefix_table,
)
from .normalise import normalise
from .org_code import OrgCode, is_valid_org_code, parse_org_code
from .passport import Passport, PassportType, is_valid_passport, parse_passport
from .registration_number import (
    RegistrationNumber,
    is_valid_registration_number,
    parse_registration_number,
)
from .resident_id import (
    ResidentId,
    Sex,
    is_valid_resident_id,
    parse_residence_permit,
    parse_resident_id,
)
from .router import VALIDATORS, identify, parse, parse_normalised
from .taxpayer_id import TaxpayerId, TaxpayerIdForm, is_valid_taxpayer_id, parse_taxpayer_id
from .travel_permit import (
    TravelPermit,
    TravelPermitType,
    is_valid_travel_permit,
    parse_travel_permit,
)
from .uscc import Uscc, is_valid_uscc, parse_uscc

__all__ = [
    "DEFAULT_PREFIX_TABLE",
    "VALIDATORS",
    "BankAccount",
    "BankCard",
    "CardBrand",
    "ConvertedFrom15Warning",
    "ForeignPermanentResidenceId",
    "Identifier",
    "IdentifierWarning",
    "InvalidIdentifier",
    "Kind",
    "Landline",
    "MaskLevel",
    "Mobile",
    "MobilePrefixTable",
    "Operator",
    "OrgCode",
    "Passport",
    "PassportType",
    "RegistrationNumber",
    "ResidentId",
    "Sex",
    "TaxpayerId",
    "TaxpayerIdForm",
    "TravelPermit",
    "TravelPermitType",
    "Uscc",
    "get_prefix_table",
    "identify",
    "is_valid_bank_account",
    "is_valid_bank_card",
    "is_valid_foreign_permanent_residence_id",
    "is_valid_landline",
    "is_valid_mobile",
    "is_valid_org_code",
    "is_valid_passport",
    "is_valid_registration_number",
    "is_valid_resident_id",
    "is_valid_taxpayer_id",
    "is_valid_travel_permit",
    "is_valid_uscc",
    "mask",
    "mask_address",
    "mask_name",
    "normalise",
    "parse",
    "parse_bank_account",
    "parse_bank_card",
    "parse_foreign_permanent_residence_id",
    "parse_landline",
    "parse_many",
    "parse_mobile",
    "parse_normalised",
    "parse_org_code",
    "parse_passport",
    "parse_registration_number",
    "parse_residence_permit",
    "parse_resident_id",
    "parse_taxpayer_id",
    "parse_travel_permit",
    "parse_uscc",
    "set_prefix_table",
]
