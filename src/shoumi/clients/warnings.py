"""Reviewer-facing texts for the warning codes of stored values.

Codes come from ``shoumi.identifiers`` (whose own messages are Chinese and
are used when no text is given here) and from the ledger import. Each text
names what to check and against which document.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shoumi.identifiers.base import WARNING_MESSAGES

LEGACY_ID_IN_18_DIGIT_COLUMN = "legacy_id_in_18_digit_column"

WARNING_TEXTS = {
    "luhn_failed": _("Luhn check not met: confirm with the client"),
    "possibly_excel_truncated": _(
        "The card number may have been cut short by Excel: confirm with the client"
    ),
    "check_character_mismatch": _(
        "Check character does not match: confirm against the business licence"
    ),
    "converted_from_15_or_truncated_18": _(
        "15-digit ID number that may be an 18-digit one cut short: confirm against the ID card"
    ),
    LEGACY_ID_IN_18_DIGIT_COLUMN: _(
        "15-digit ID number in a column of 18-digit ones: confirm against the ID card"
    ),
}


def warning_text(code: str) -> str:
    """Return the reviewer's text for a warning code; an unknown code is shown as it is."""
    if code in WARNING_TEXTS:
        return str(WARNING_TEXTS[code])
    known = WARNING_MESSAGES.get(code)
    return known[0] if known else code


FIELD_LABELS = {
    "uscc": _("Unified social credit code"),
    "resident_id": _("ID number"),
    "mobile": _("Mobile"),
    "account_number": _("Account number"),
}


def field_label(field_name: str) -> str:
    """Return the label of a warned field; an unknown name is shown as it is."""
    return str(FIELD_LABELS.get(field_name, field_name))
