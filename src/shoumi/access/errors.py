from shoumi.errors import ShoumiError


class AccessError(ShoumiError):
    code = "access_error"


class RevealDeniedError(AccessError):
    """The policy refused a reveal; the message says why in Chinese."""

    code = "reveal_denied"


class PurposeInvalidError(AccessError):
    code = "purpose_invalid"


class RevealFailedError(AccessError):
    """The value could not be decrypted (moved, altered or shredded)."""

    code = "reveal_failed"
