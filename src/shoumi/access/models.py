"""Temporary grants, two-person approvals, alerts and the export register."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shoumi.access.matrix import Action

# A temporary grant lasts at most this long, counted from its approval.
MAX_GRANT_MINUTES = 24 * 60


class GrantStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    REVOKED = "revoked", _("Revoked")


GRANTABLE_ACTIONS = [
    (Action.REVEAL.value, _("Reveal")),
    (Action.EDIT.value, _("Edit")),
    (Action.EXPORT.value, _("Export")),
]

# Labels of the fields a grant can open, keyed "<model label>.<field>", in the order
# the request form lists them.
GRANTABLE_FIELD_LABELS = {
    "clients.person.name": _("Person: name"),
    "clients.person.resident_id": _("Person: ID number"),
    "clients.person.mobile": _("Person: mobile"),
    "clients.bankaccount.account_number": _("Bank account: account number"),
    "clients.taxlogin.username": _("Tax-bureau login: login name"),
    "clients.taxlogin.password": _("Tax-bureau login: password"),
    "documents.document.scan": _("Document scan: marked copies"),
}


def field_label(field_key: str) -> str:
    """Return the label of a "<model label>.<field>" key; a key without one is returned as is."""
    return str(GRANTABLE_FIELD_LABELS.get(field_key, field_key))


def action_label(action: str) -> str:
    """Return the label of a grantable action; another action is returned as is."""
    return str(dict(GRANTABLE_ACTIONS).get(action, action))


class AccessGrant(models.Model):
    """A time-boxed permission for named clients, fields and actions (临时权限申请).

    Expiry is computed at use (``expires_at``), so no background job is
    needed for a grant to stop working on time. Decided, revoked and expired
    grants are kept for review.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grants"
    )
    clients = models.ManyToManyField("clients.Client", related_name="grants")
    # "model_label.field" entries, for example "clients.person.resident_id".
    fields = models.JSONField(_("fields"), default=list)
    actions = models.JSONField(_("actions"), default=list)
    purpose = models.CharField(_("purpose"), max_length=200)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    status = models.CharField(
        _("status"), max_length=16, choices=GrantStatus.choices, default=GrantStatus.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("temporary access grant")
        verbose_name_plural = _("temporary access grants")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    duration_minutes__gte=1, duration_minutes__lte=MAX_GRANT_MINUTES
                ),
                name="access_grant_duration_at_most_24h",
            )
        ]

    def __str__(self) -> str:
        return f"grant {self.pk}"

    def is_active_at(self, moment: datetime) -> bool:
        return (
            self.status == GrantStatus.APPROVED
            and self.starts_at is not None
            and self.expires_at is not None
            and self.starts_at <= moment < self.expires_at
        )

    def display_status(self, moment: datetime) -> str:
        """Return the status a person sees, with 'expired' computed from the clock."""
        if self.status == GrantStatus.APPROVED and self.expires_at and moment >= self.expires_at:
            return "expired"
        return self.status

    @property
    def field_labels(self) -> list[str]:
        """Labels of the granted fields, for pages."""
        return [field_label(key) for key in self.fields]

    @property
    def action_labels(self) -> list[str]:
        """Labels of the granted actions, for pages."""
        return [action_label(action) for action in self.actions]


class ApprovalKind(models.TextChoices):
    BULK_EXPORT = "bulk_export", _("Bulk export")
    BREAK_GLASS_REVEAL = "break_glass_reveal", _("Administrator reveal (break-glass)")
    DELETE_CLIENT_DATA = "delete_client_data", _("Deletion of client data")
    KEY_ROTATION = "key_rotation", _("Master key rotation")
    RESTORE_BACKUP = "restore_backup", _("Restore from backup")
    ROLE_CHANGE = "role_change", _("Role change")
    COPY_EXPORT = "copy_export", _("Download or print of a marked document copy")
    ORIGINAL_EXPORT = "original_export", _("Export of an unmarked original document")
    ENROLMENT_RESET = "enrolment_reset", _("Reset of a staff account's login")


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")
    USED = "used", _("Carried out")


class ApprovalRequest(models.Model):
    """A dangerous action waiting for a second person (双人审批).

    ``subject`` names exactly what was requested (for example the record and
    field of a break-glass reveal), so an approval cannot be reused for
    anything else. An approval is used once.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=32, choices=ApprovalKind.choices)
    subject = models.JSONField(_("subject"), default=dict)
    # A canonical string form of ``subject`` for exact matching on every database.
    subject_key = models.CharField(max_length=300, db_index=True)
    summary = models.CharField(_("summary"), max_length=300)
    reason = models.CharField(_("reason"), max_length=300)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_requests"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"))
    expires_at = models.DateTimeField(_("expires at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    used_at = models.DateTimeField(_("carried out at"), null=True, blank=True)

    class Meta:
        verbose_name = _("two-person approval")
        verbose_name_plural = _("two-person approvals")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"approval {self.pk} ({self.kind})"


class AlertKind(models.TextChoices):
    MANY_REVEALS = "many_reveals", _("Many reveals in an hour")
    OUTSIDE_HOURS = "outside_hours", _("Access outside working hours")
    UNASSIGNED_CLIENT = "unassigned_client", _("Attempt on a client not assigned")
    OFFBOARDING_ACTIVITY = "offboarding_activity", _("Activity of a user in offboarding")
    REPEATED_DENIALS = "repeated_denials", _("Repeated denied requests")


class Alert(models.Model):
    """A security alert for the security administrator's dashboard."""

    kind = models.CharField(_("kind"), max_length=32, choices=AlertKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(_("raised at"), db_index=True)
    detail = models.CharField(_("detail"), max_length=300)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("security alert")
        verbose_name_plural = _("security alerts")
        ordering = ["-raised_at"]
        indexes = [
            # Whether a kind was raised for a user within the last hour, which
            # the alert rules ask after every reveal.
            models.Index(fields=["user", "kind", "raised_at"], name="access_alert_user_kind_time")
        ]

    def __str__(self) -> str:
        return f"alert {self.pk} {self.kind}"


class ExportRecord(models.Model):
    """One issued export file: who, when, what and the trace code printed in it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    trace_code = models.CharField(_("trace code"), max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    file_format = models.CharField(_("format"), max_length=8)
    row_count = models.PositiveIntegerField(_("rows"))
    columns = models.JSONField(_("columns"), default=list)
    purpose = models.CharField(_("purpose"), max_length=200)
    approval = models.ForeignKey(
        ApprovalRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.trace_code}"
