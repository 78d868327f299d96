"""Keep personal identifiers out of free-text fields that are stored unencrypted.

Names, addresses, purposes, reasons and notes are stored in clear. An identity,
bank card, mobile or passport number typed into one of them would therefore sit
in plaintext in the database and its backups, beside the sealed field meant for
it. Forms attach :func:`validate_free_text` to such fields so the message shows
on the field. Services call :func:`reject_identifiers` before they save, which
also covers imports and commands.

Detection is :func:`shoumi.scanner.free_text.find_identifiers`: only values
that pass their kind's checks count, and unified social credit codes are
allowed. It does not recognise names or addresses of people.
"""

from __future__ import annotations

from typing import Final, Protocol

import structlog
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shoumi.scanner.free_text import find_identifiers

logger = structlog.get_logger(__name__)

CODE: Final = "identifier_in_free_text"
MESSAGE: Final = _(
    "Do not enter ID numbers, bank card numbers or mobile numbers here. "
    "Enter them in the matching encrypted fields."
)


class FieldErrorType(Protocol):
    """An app's error class whose constructor takes the message, the form field and a code."""

    def __call__(
        self, message: str = "", *, field: str | None = None, code: str | None = None
    ) -> Exception: ...


def validate_free_text(value: str) -> None:
    """Django validator: raise ValidationError when ``value`` contains a personal identifier."""
    if value and find_identifiers(value):
        raise ValidationError(MESSAGE, code=CODE)


def reject_identifiers(error: FieldErrorType, **values: str | None) -> None:
    """Raise ``error`` naming the first field whose value contains a personal identifier.

    ``values`` maps form field names to the texts about to be stored. The
    error's message is :data:`MESSAGE` and its code :data:`CODE`, and neither
    contains the value. The kinds found are logged, never the values.
    """
    for field, text in values.items():
        findings = find_identifiers(text or "")
        if findings:
            logger.warning(
                "identifier_in_free_text_rejected",
                field=field,
                kinds=sorted({finding.kind.label for finding in findings}),
            )
            raise error(str(MESSAGE), field=field, code=CODE)
