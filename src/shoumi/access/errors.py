from __future__ import annotations

from shoumi.errors import ShoumiError


class AccessError(ShoumiError):
    """A refused access step; ``field`` names the form field it belongs to, if any."""

    code = "access_error"

    def __init__(
        self, message: str = "", *, field: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.field = field


class RevealDeniedError(AccessError):
    """The policy refused a reveal; the message says why in Chinese."""

    code = "reveal_denied"


class PurposeInvalidError(AccessError):
    code = "purpose_invalid"


class RevealFailedError(AccessError):
    """The value could not be decrypted (moved, altered or shredded)."""

    code = "reveal_failed"


class GrantError(AccessError):
    code = "grant_error"


class ApprovalError(AccessError):
    code = "approval_error"


class GateError(AccessError):
    """A gate (agreement, training, offboarding, two-factor) is not met."""

    code = "gate_failed"


class ExportError(AccessError):
    code = "export_error"
