"""The one normaliser applied to every identifier before it is parsed, stored or indexed.

It accepts what people type and paste: full-width characters, spaces, hyphens, dots,
slashes, underscores, parentheses, zero-width characters, a lower-case ``x``, ``×`` for
``X``, and the text markers spreadsheets add (a leading apostrophe, back-tick or curly
quote, ``=``, or ``="..."``). It refuses values that Excel has already damaged, because
their lost digits cannot be recovered and a check digit does not catch the damage (about
one in ten truncated resident-ID and card numbers still passes its check):

* scientific notation such as ``1.10105E+17``;
* 17 or more digits with every digit after the 15th equal to 0. Excel keeps 15
  significant digits and replaces the rest with zeros.

NOTE: the rule also refuses genuine values of that shape, such as a resident ID whose
last three characters are ``000`` (about 1 in 1,100 numbers, including some 15-digit
numbers after their upgrade). Their digits cannot be distinguished from damaged ones, so a
caller that knows a value is intact (a stored canonical value) uses the kind's
``parse_normalised``, which does not re-run this check.

NOTE: 16-digit values are not refused for a final 0. One valid 16-digit card in ten
ends in 0, and truncating such a card changes nothing, so the digits alone cannot show
damage. ``parse_bank_card`` warns when a 16-digit number ending in 0 fails its Luhn check.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InvalidIdentifier

# Characters removed anywhere in the value: whitespace, hyphen-minus, the dashes
# U+2010-U+2015 and U+2212, middle dots, "/", "_", ".", parentheses (around an area or
# country code) and zero-width characters.
_REMOVED = (
    "() \t\r\n\v\f-/_."
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
    "\u00b7\u2027\u2022\u30fb"
    "\u200b\u200c\u200d\u2060\ufeff"
)
_TRANSLATION = {ord(character): None for character in _REMOVED} | {ord("\u00d7"): "X"}
_REMOVED_ASCII = "".join(character for character in _REMOVED if character.isascii()).encode()

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"

# Markers that spreadsheets put in front of a number to keep it as text.
_TEXT_MARKERS = "'`\u2018\u2019="
# First or last characters that make _strip_text_markers change a value, besides the
# whitespace that str.strip removes.
_EDGE_CHARACTERS = frozenset(_ZERO_WIDTH + _TEXT_MARKERS)

_SCIENTIFIC_NOTATION = re.compile(r"\d(?:[.,]\d+)?E\+?\d+", re.IGNORECASE)
_FLOAT_SUFFIX = re.compile(r"(\d{1,15})\.0+")


def normalise(text: str, *, kind: str | None = None, reject_truncated: bool = True) -> str:
    """Return the canonical form of an identifier as typed or pasted.

    Raises ``InvalidIdentifier`` with code ``not_text`` for a non-string (spreadsheet cells
    must be read as text, never as numbers), ``empty`` when nothing remains,
    ``excel_scientific_notation`` or ``excel_truncated`` for Excel damage. ``kind`` names
    the kind being parsed in those errors. With ``reject_truncated=False`` the truncation
    check is left to the caller, for the one layout whose trailing zeros are genuine (see
    ``taxpayer_id``).
    """
    if not isinstance(text, str):
        raise InvalidIdentifier("not_text", kind=kind)

    # Most values arrive clean. Digits alone need only the truncation check, which for
    # them is a last digit 0 and nothing but zeros after the 15th digit.
    if text.isascii() and text.isdigit() and type(text) is str:
        if reject_truncated and len(text) >= 17 and text[-1] == "0" and not text[15:].strip("0"):
            raise InvalidIdentifier("excel_truncated", kind=kind)
        return text
    if text.isascii() and text.isalnum():
        cleaned = text.upper()
        if "E" in cleaned and _SCIENTIFIC_NOTATION.fullmatch(cleaned):
            raise InvalidIdentifier("excel_scientific_notation", kind=kind)
        if reject_truncated and len(cleaned) >= 17 and is_excel_truncated(cleaned):
            raise InvalidIdentifier("excel_truncated", kind=kind)
        return cleaned

    cleaned = text if text.isascii() else unicodedata.normalize("NFKC", text)
    if _has_edge_character(cleaned):
        cleaned = _strip_text_markers(cleaned)
    if ("E" in cleaned or "e" in cleaned) and _SCIENTIFIC_NOTATION.fullmatch(cleaned):
        raise InvalidIdentifier("excel_scientific_notation", kind=kind)

    # A number that went through a float gains ".0"; up to 15 digits it is still exact.
    if "." in cleaned:
        float_match = _FLOAT_SUFFIX.fullmatch(cleaned)
        if float_match:
            cleaned = float_match.group(1)

    if not (cleaned.isascii() and cleaned.isalnum()):
        if cleaned.isascii():
            # bytes.translate deletes through a table, not the dict str.translate reads.
            cleaned = cleaned.encode("ascii").translate(None, _REMOVED_ASCII).decode("ascii")
        else:
            cleaned = cleaned.translate(_TRANSLATION)
    cleaned = cleaned.upper()
    if not cleaned.isascii():
        # Upper-casing can leave a letter and a combining mark that NFKC would compose.
        cleaned = unicodedata.normalize("NFKC", cleaned)
    if not cleaned:
        raise InvalidIdentifier("empty", kind=kind)
    if cleaned != text and _has_edge_character(cleaned):
        # Removing separators uncovered a marker ("'·`0") or whitespace that str.strip
        # removes but _REMOVED does not (")\x1f0"). Strip it as a second pass would,
        # so that normalising is idempotent. The pass stops once nothing changes.
        return normalise(cleaned, kind=kind, reject_truncated=reject_truncated)
    if "E" in cleaned and _SCIENTIFIC_NOTATION.fullmatch(cleaned):
        # Removing separators can leave the notation ("0E_0"), which a second pass
        # would reject, so this pass rejects it too.
        raise InvalidIdentifier("excel_scientific_notation", kind=kind)
    if (
        reject_truncated
        and len(cleaned) >= 17
        and cleaned[-1] == "0"
        and is_excel_truncated(cleaned)
    ):
        raise InvalidIdentifier("excel_truncated", kind=kind)
    return cleaned


def is_excel_truncated(value: str) -> bool:
    """Return whether ``value`` has 17 or more digits, all zero after the 15th."""
    return (
        len(value) >= 17
        and value.endswith("00")
        and not value[15:].strip("0")
        and value.isascii()
        and value.isdigit()
    )


def _has_edge_character(text: str) -> bool:
    """Return whether ``_strip_text_markers`` may change ``text``."""
    return (
        text[:1] in _EDGE_CHARACTERS
        or text[-1:] in _EDGE_CHARACTERS
        or text[:1].isspace()
        or text[-1:].isspace()
    )


def _strip_text_markers(text: str) -> str:
    stripped = text.strip().strip(_ZERO_WIDTH).strip()
    if stripped.startswith('="') and stripped.endswith('"') and len(stripped) >= 3:
        return stripped[2:-1].strip()
    if stripped and stripped[0] in _TEXT_MARKERS:
        stripped = stripped[1:].strip()
        # A curly-quoted value may end with the matching quote.
        if stripped[-1:] in "\u2019'":
            stripped = stripped[:-1].strip()
    return stripped
