from shoumi.errors import ShoumiError


class AuditError(ShoumiError):
    """An audit event could not be written; the action that needed it must not happen."""

    code = "audit_failed"
