from shoumi.errors import ShoumiError


class AuditError(ShoumiError):
    """An audit event could not be written; the action that needed it must not happen."""

    code = "audit_failed"


class ArchiveError(ShoumiError):
    """Events could not be archived; nothing was removed from the live table."""

    code = "audit_archive_failed"
