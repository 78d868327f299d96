"""The closed list of audit actions.

``audit.services.append`` refuses an action that is not listed here, so a
typo cannot create an event that no search or report will ever find.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    LOGIN_SUCCEEDED = "login_succeeded", _("Login succeeded")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOCKOUT = "lockout", _("Account locked")
    LOGOUT = "logout", _("Logout")
    SESSION_EXPIRED = "session_expired", _("Session expired")
    ENROLMENT_ISSUED = "enrolment_issued", _("Enrolment link issued")
    ENROLMENT_COMPLETED = "enrolment_completed", _("Two-factor enrolment completed")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    STAFF_CREATED = "staff_created", _("Staff account created")
    STAFF_DEACTIVATED = "staff_deactivated", _("Staff account deactivated")
    ROLE_ASSIGNED = "role_assigned", _("Role assigned")
    ROLE_REVOKED = "role_revoked", _("Role revoked")
    RECORD_CREATED = "record_created", _("Client data created")
    RECORD_UPDATED = "record_updated", _("Client data changed")
    RECORD_DELETED = "record_deleted", _("Client data deleted")
    REVEAL = "reveal", _("Plaintext revealed")
    SEARCH = "search", _("Search by identifier")
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Ledger import")
    KEY_CREATED = "key_created", _("Master key created")
    KEY_ROTATED = "key_rotated", _("Master key rotated")
    KEY_RETIRED = "key_retired", _("Master key retired")
    INDEX_KEY_ROTATED = "index_key_rotated", _("Blind-index key rotated")
    GRANT_REQUESTED = "grant_requested", _("Temporary access requested")
    GRANT_APPROVED = "grant_approved", _("Temporary access approved")
    GRANT_REJECTED = "grant_rejected", _("Temporary access rejected")
    GRANT_REVOKED = "grant_revoked", _("Temporary access revoked")
    APPROVAL_REQUESTED = "approval_requested", _("Two-person approval requested")
    APPROVAL_GRANTED = "approval_granted", _("Two-person approval given")
    APPROVAL_REJECTED = "approval_rejected", _("Two-person approval rejected")
    APPROVAL_EXPIRED = "approval_expired", _("Two-person approval expired")
    ALERT_RAISED = "alert_raised", _("Security alert raised")
    GATE_RECORDED = "gate_recorded", _("Agreement or training recorded")
    OFFBOARDING_STARTED = "offboarding_started", _("Offboarding started")
    AUDIT_EXPORTED = "audit_exported", _("Audit log exported")
    AUDIT_ARCHIVED = "audit_archived", _("Audit events archived")


class Result(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")
    DENIED = "denied", _("Denied")
