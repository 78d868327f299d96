"""Mainland fixed-line numbers (固定电话号码).

``0`` + area code + local number, where the local number does not start with 0 or 1:
area code 010 or 02x is followed by 8 digits, a four-digit area code 03xx-09xx by 7 or
8. An extension after ``转``, ``分机``, ``ext``, ``#`` or a final hyphen group of up to 5
digits is kept apart. The canonical value is ``0AAALLLLLLLL`` or ``0AAALLLLLLLL转EEEE``.
A ``+86`` country code is removed and the trunk ``0`` restored. Numbers starting 400,
800, 95 or 12 are service numbers, not fixed lines.
"""

from __future__ import annotations

import re

from .base import Identifier, Kind, MaskLevel, keep_ends, value_object
from .errors import InvalidIdentifier
from .normalise import normalise

_KIND = Kind.LANDLINE
EXTENSION_SEPARATOR = "转"

_MARKED_EXTENSION = re.compile(r"(.+?)\s*(?:转|分机|ext\.?|#)\s*(\d{1,6})", re.IGNORECASE)
_HYPHENATED_EXTENSION = re.compile(r"(.+\d)\s*[-\u2010-\u2015\u2212]\s*(\d{1,5})")
_SERVICE_PREFIXES = ("400", "800", "95", "12")


@value_object
class Landline(Identifier):
    """A fixed-line number.

    Lists show the area code and the last 4 digits of the local number, or the last 3 when
    it has only 7. Verification shows the last 4. The extension is never shown.
    """

    @property
    def area_code(self) -> str:
        """Area code including the leading 0."""
        return _area_code(self.value)

    @property
    def has_extension(self) -> bool:
        """Whether an extension follows the number."""
        return EXTENSION_SEPARATOR in self.value

    def mask(self, level: MaskLevel = MaskLevel.LIST) -> str:
        number = self.value.split(EXTENSION_SEPARATOR, 1)[0]
        if level == MaskLevel.VERIFY:
            return keep_ends(number, 0, 4)
        area_code = _area_code(number)
        # A 7-digit local number keeps its last 3 digits so that 4 stay hidden.
        tail = 4 if len(number) - len(area_code) >= 8 else 3
        return keep_ends(number, len(area_code), tail)


def is_valid_landline(value: str) -> bool:
    """Return whether ``parse_landline`` accepts the normalised ``value`` (no extension)."""
    return _error(value) is None


def parse_landline(text: str) -> Landline:
    """Parse a fixed-line number with an optional extension. Raises ``InvalidIdentifier``.

    Takes the text as entered, because the extension separator must be found before
    normalisation removes hyphens.
    """
    number_text, extension = _split_extension(text)
    number = _national_number(normalise(number_text, kind=_KIND))
    if extension is None and _error(number) is not None:
        hyphenated = (
            _HYPHENATED_EXTENSION.fullmatch(text.strip()) if isinstance(text, str) else None
        )
        if hyphenated:
            candidate = _national_number(normalise(hyphenated.group(1), kind=_KIND))
            if _error(candidate) is None:
                number, extension = candidate, hyphenated.group(2)
    return _build(number, extension)


def parse_normalised(value: str) -> Landline:
    """Parse an already normalised value, which may end in ``转`` and an extension."""
    number, _, extension = value.partition(EXTENSION_SEPARATOR)
    return _build(_national_number(number), extension or None)


def _build(number: str, extension: str | None) -> Landline:
    error = _error(number)
    if error is not None:
        raise _invalid(error, number)
    value = number + EXTENSION_SEPARATOR + extension if extension else number
    return Landline(value=value, kind=_KIND)


def _split_extension(text: str) -> tuple[str, str | None]:
    if not isinstance(text, str):
        return text, None
    marked = _MARKED_EXTENSION.fullmatch(text.strip())
    if marked:
        return marked.group(1), marked.group(2)
    return text, None


def _national_number(value: str) -> str:
    """Remove a +86 country code and restore the trunk 0 that international format drops."""
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            rest = value[len(prefix) :]
            return rest if rest.startswith("0") else "0" + rest
    return value


def _area_code(number: str) -> str:
    return number[:3] if number[1] in "12" else number[:4]


def _error(number: str) -> str | None:
    """Return the code of the first rule ``number`` breaks, or ``None``."""
    if not (number.isascii() and number.isdigit()):
        return "non_digit"
    if number.startswith(_SERVICE_PREFIXES):
        return "service_number"
    if number[0] != "0":
        return "missing_leading_zero" if _error("0" + number) is None else "invalid_area_code"
    if number[1:3] == "10" or number[1:2] == "2":
        local = number[3:]
        expected: tuple[int, ...] = (8,)
    elif "3" <= number[1:2] <= "9":
        local = number[4:]
        expected = (7, 8)
    else:
        return "invalid_area_code"
    if len(local) not in expected:
        return "wrong_local_length"
    if local[0] in "01":
        return "invalid_local_number"
    return None


def _invalid(code: str, number: str) -> InvalidIdentifier:
    if code == "non_digit":
        position = next(i + 1 for i, c in enumerate(number) if not "0" <= c <= "9")
        return InvalidIdentifier(code, kind=_KIND, position=position)
    if code == "wrong_local_length":
        expected = "8" if number[1:3] == "10" or number[1:2] == "2" else "7或8"
        actual = len(number) - len(_area_code(number))
        return InvalidIdentifier(code, kind=_KIND, expected=expected, actual=actual)
    return InvalidIdentifier(code, kind=_KIND)
