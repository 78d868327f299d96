"""The audit event table."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shoumi.audit.actions import Action, Result


class AuditEvent(models.Model):
    """One security-relevant event. Never holds a plaintext personal value.

    The actor is stored as id and employee-number snapshot rather than a
    foreign key, so events outlive the account and no cascade can reach them.
    """

    occurred_at = models.DateTimeField(_("time"), db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)
    actor_employee_number = models.CharField(_("actor"), max_length=32, blank=True)
    actor_roles = models.CharField(_("actor roles"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=48, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=48, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    field = models.CharField(_("field"), max_length=64, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices)
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"audit event {self.pk} {self.action}"
