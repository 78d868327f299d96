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
    ENROLMENT_RESET_REQUESTED = "enrolment_reset_requested", _("Login reset requested")
    ENROLMENT_RESET_APPROVED = "enrolment_reset_approved", _("Login reset approved")
    ENROLMENT_RESET_REJECTED = "enrolment_reset_rejected", _("Login reset rejected")
    ENROLMENT_RESET_ISSUED = "enrolment_reset_issued", _("Login reset: enrolment link issued")
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
    VALUE_CONFIRMED = "value_confirmed", _("Value with a warning confirmed")
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
    MATERIAL_INTAKE_RECORDED = "material_intake_recorded", _("Paper intake recorded")
    MATERIAL_RECEIPT_PRINTED = "material_receipt_printed", _("Intake receipt printed")
    MATERIAL_SIGNATURE_VIEWED = "material_signature_viewed", _("Intake signature viewed")
    MATERIAL_MOVED = "material_moved", _("Paper item moved")
    STORAGE_LOCATION_CREATED = "storage_location_created", _("Storage location created")
    CABINET_KEY_ASSIGNED = "cabinet_key_assigned", _("Cabinet key holder assigned")
    LOAN_REQUESTED = "loan_requested", _("Loan requested")
    LOAN_APPROVED = "loan_approved", _("Loan approved")
    LOAN_REJECTED = "loan_rejected", _("Loan rejected")
    LOAN_HANDED_OUT = "loan_handed_out", _("Loan handed out")
    LOAN_RETURNED = "loan_returned", _("Loan returned")
    LOAN_OVERDUE_NOTIFIED = "loan_overdue_notified", _("Overdue loan notified")
    LENDING_REGISTER_PRINTED = "lending_register_printed", _("Lending register printed")
    DESTRUCTION_LIST_CREATED = "destruction_list_created", _("Destruction list created")
    DESTRUCTION_RETAIN_MARKED = "destruction_retain_marked", _("Item marked to retain")
    DESTRUCTION_RETAIN_RELEASED = "destruction_retain_released", _("Retain mark released")
    DESTRUCTION_OVERRIDE_REQUESTED = (
        "destruction_override_requested",
        _("Early-destruction override requested"),
    )
    DESTRUCTION_OVERRIDE_APPROVED = (
        "destruction_override_approved",
        _("Early-destruction override approved"),
    )
    DESTRUCTION_CONFIRMED = "destruction_confirmed", _("Destruction confirmed")
    MATERIAL_DESTROYED = "material_destroyed", _("Paper item destroyed")
    DESTRUCTION_RECORD_PRINTED = "destruction_record_printed", _("Destruction record printed")
    INSPECTION_RECORDED = "inspection_recorded", _("Archive-room inspection recorded")
    INSPECTION_FINDING_RESOLVED = "inspection_finding_resolved", _("Inspection finding resolved")
    SENSOR_CREATED = "sensor_created", _("Archive-room sensor created")
    ENVIRONMENT_ALERT_OPENED = "environment_alert_opened", _("Archive-room environment alert")
    ENVIRONMENT_ALERT_CLOSED = (
        "environment_alert_closed",
        _("Archive-room environment back to normal"),
    )
    DOCUMENT_UPLOADED = "document_uploaded", _("Document scan uploaded")
    DOCUMENT_PREVIEWED = "document_previewed", _("Marked document thumbnail shown")
    DOCUMENT_ORIGINAL_EXPORTED = (
        "document_original_exported",
        _("Unmarked original document exported"),
    )
    DOCUMENT_TRACED = "document_traced", _("Leaked document copy traced")
    SCAN_REPORT_UPLOADED = "scan_report_uploaded", _("Scan report uploaded")
    SCAN_REPORT_VIEWED = "scan_report_viewed", _("Scan report viewed")
    AUDIT_EXPORTED = "audit_exported", _("Audit log exported")
    AUDIT_ARCHIVED = "audit_archived", _("Audit events archived")


class Result(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")
    DENIED = "denied", _("Denied")
