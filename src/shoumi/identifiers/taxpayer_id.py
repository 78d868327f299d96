"""Taxpayer identification numbers (纳税人识别号), current and legacy.

Since the three licences merged (2015-10-01) an organisation's taxpayer number is its
unified social credit code. Older numbers persist on invoices and contracts in these
forms: 15 characters = division code (6) + organisation code (9); 18 = the individual's
resident ID (individual businesses, individuals); 20 = resident ID + a two-digit
sequence (one person, several businesses), or a 15-digit legacy resident ID + ``00000``.
Each embedded number is checked by its own rules. Numbers that foreign individuals
received (a region code + passport or permit number) have no fixed layout and are
rejected with a message asking for the document number instead.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from . import org_code, resident_id, uscc
from .base import (
    ConvertedFrom15Warning,
    Identifier,
    IdentifierWarning,
    Kind,
    MaskLevel,
    set_attribute,
    value_object,
)
from .errors import KIND_LABELS, InvalidIdentifier
from .normalise import is_excel_truncated, normalise
from .regions import REGISTRATION_PROVINCES
from .resident_id import mask_identity_number

_KIND = Kind.TAXPAYER_ID


class TaxpayerIdForm(StrEnum):
    """Layout of a taxpayer number."""

    USCC = "uscc"
    DIVISION_AND_ORG_CODE = "division_and_org_code"
    RESIDENT_ID = "resident_id"
    RESIDENT_ID_WITH_SEQUENCE = "resident_id_with_sequence"
    LEGACY_RESIDENT_ID_WITH_ZEROS = "legacy_resident_id_with_zeros"


_PERSONAL_FORMS = frozenset(
    {
        TaxpayerIdForm.RESIDENT_ID,
        TaxpayerIdForm.RESIDENT_ID_WITH_SEQUENCE,
        TaxpayerIdForm.LEGACY_RESIDENT_ID_WITH_ZEROS,
    }
)


@value_object
class TaxpayerId(Identifier):
    """A taxpayer number and the identifier embedded in it.

    Forms built on a resident ID are masked like one; organisations' forms are public.
    """

    form: TaxpayerIdForm
    embedded: Identifier

    def __init__(
        self,
        *,
        value: str,
        kind: Kind,
        warnings: tuple[IdentifierWarning, ...] = (),
        form: TaxpayerIdForm,
        embedded: Identifier,
    ) -> None:
        Identifier.__init__(self, value=value, kind=kind, warnings=warnings)
        set_attribute(self, "form", form)
        set_attribute(self, "embedded", embedded)

    def mask(self, level: MaskLevel = MaskLevel.LIST) -> str:
        if self.form in _PERSONAL_FORMS:
            return mask_identity_number(self.value, level)
        return self.value


def is_valid_taxpayer_id(value: str) -> bool:
    """Return whether the parser accepts the normalised ``value`` with every check passing."""
    length = len(value)
    if length == 18:
        return resident_id.is_valid_resident_id(value) or uscc.is_valid_uscc(value)
    if length == 15:
        return (
            value[:6].isdigit()
            and value[:2] in REGISTRATION_PROVINCES
            and org_code.is_valid_org_code(value[6:])
        )
    if length == 20:
        if _is_legacy_id_with_zeros(value):
            return True
        return value[18:].isdigit() and resident_id.is_valid_resident_id(value[:18])
    return False


def parse_taxpayer_id(text: str) -> TaxpayerId:
    """Parse a taxpayer number in any of its forms. Raises ``InvalidIdentifier``.

    A legacy resident ID followed by ``00000`` has the shape of an Excel-truncated number
    (only zeros after the 15th digit). It is accepted here, in a field declared to hold
    taxpayer numbers, when its first 15 digits form a valid legacy resident ID. Any other
    value of that shape is refused as Excel damage.
    """
    value = normalise(text, kind=_KIND, reject_truncated=False)
    if is_excel_truncated(value) and not _is_legacy_id_with_zeros(value):
        raise InvalidIdentifier("excel_truncated", kind=_KIND)
    return parse_normalised(value)


def parse_normalised(value: str) -> TaxpayerId:
    """Parse an already normalised value; see ``parse_taxpayer_id``."""
    length = len(value)
    if length == 18:
        return _parse_18(value)
    if length == 15:
        if not (
            value[:6].isascii() and value[:6].isdigit() and value[:2] in REGISTRATION_PROVINCES
        ):
            raise InvalidIdentifier("invalid_division_code", kind=_KIND)
        embedded = _embedded(org_code.parse_normalised, value[6:], Kind.ORG_CODE)
        return TaxpayerId(
            value=value, kind=_KIND, form=TaxpayerIdForm.DIVISION_AND_ORG_CODE, embedded=embedded
        )
    if length == 20:
        return _parse_20(value)
    raise InvalidIdentifier("unrecognised_taxpayer_id", kind=_KIND)


def _parse_18(value: str) -> TaxpayerId:
    looks_personal = value[:17].isascii() and value[:17].isdigit() and value[0] != "9"
    if looks_personal and resident_id.is_valid_resident_id(value):
        embedded: Identifier = resident_id.parse_normalised(value)
        return TaxpayerId(
            value=value,
            kind=_KIND,
            warnings=embedded.warnings,
            form=TaxpayerIdForm.RESIDENT_ID,
            embedded=embedded,
        )
    embedded = _embedded(uscc.parse_normalised, value, Kind.USCC)
    return TaxpayerId(
        value=value,
        kind=_KIND,
        warnings=embedded.warnings,
        form=TaxpayerIdForm.USCC,
        embedded=embedded,
    )


def _is_legacy_id_with_zeros(value: str) -> bool:
    return (
        len(value) == 20
        and value.endswith("00000")
        and resident_id.is_valid_legacy_number(value[:15])
    )


def _parse_20(value: str) -> TaxpayerId:
    embedded: Identifier
    if _is_legacy_id_with_zeros(value):
        embedded = resident_id.parse_normalised(value[:15])
        form = TaxpayerIdForm.LEGACY_RESIDENT_ID_WITH_ZEROS
    else:
        if not (value[18:].isascii() and value[18:].isdigit()):
            raise InvalidIdentifier("unrecognised_taxpayer_id", kind=_KIND)
        embedded = _embedded(resident_id.parse_normalised, value[:18], Kind.RESIDENT_ID)
        form = TaxpayerIdForm.RESIDENT_ID_WITH_SEQUENCE
    # The taxpayer number keeps the legacy digits, so the upgrade notice does not apply.
    warnings = tuple(
        item for item in embedded.warnings if not isinstance(item, ConvertedFrom15Warning)
    )
    return TaxpayerId(value=value, kind=_KIND, warnings=warnings, form=form, embedded=embedded)


def _embedded(parse: Callable[[str], Identifier], value: str, kind: Kind) -> Identifier:
    try:
        return parse(value)
    except InvalidIdentifier as error:
        raise InvalidIdentifier(
            "embedded_identifier_invalid", kind=_KIND, part=KIND_LABELS[kind], reason=error.message
        ) from error
