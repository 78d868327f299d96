"""Errors of the paper-materials app.

Every message is an English msgid with a Simplified Chinese translation; it
says which step was refused and what the user can do next. Records are
named by internal number or id, never by personal data.
"""

from __future__ import annotations

from shoumi.errors import ShoumiError


class MaterialsError(ShoumiError):
    """A refused step on paper materials; ``field`` names the form field it belongs to, if any."""

    code = "materials_error"

    def __init__(
        self, message: str = "", *, field: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.field = field


class MaterialsInputInvalidError(MaterialsError):
    code = "materials_input_invalid"


class MaterialsPermissionError(MaterialsError):
    """The acting user's role or relation to the record does not allow the step."""

    code = "materials_permission_denied"


class MaterialsNotFoundError(MaterialsError):
    """The record does not exist or the user may not see it."""

    code = "materials_not_found"


class CustodyStateError(MaterialsError):
    """The item is in a state that does not allow the step (destroyed, on loan, not lent)."""

    code = "custody_state_invalid"


class SeparationOfDutiesError(MaterialsError):
    """Two roles of a two-person step were given to the same person."""

    code = "same_person"


class RetentionPeriodError(MaterialsError):
    """Destruction before the end of the retention period without a valid override."""

    code = "retention_period_running"


class SignatureInvalidError(MaterialsError):
    code = "signature_invalid"


class FontConfigurationError(MaterialsError):
    """No font with Simplified Chinese glyphs was found for the PDFs."""

    code = "cjk_font_missing"


class SensorAuthenticationError(MaterialsError):
    code = "sensor_authentication_failed"


class SensorReadingInvalidError(MaterialsError):
    code = "sensor_reading_invalid"
