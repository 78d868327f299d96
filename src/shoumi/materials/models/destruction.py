"""Destruction lists, early-destruction overrides and the permanent destruction records.

``DestructionRecord`` and ``DestructionRecordItem`` are kept permanently: a
migration installs database triggers (SQLite and PostgreSQL) that reject
DELETE and UPDATE on both tables, and TRUNCATE of a non-empty table on
PostgreSQL. No code path deletes them. The triggers stop application code,
the ORM and mistakes at the SQL prompt. A database superuser can still drop
the triggers or the tables.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shoumi.materials.models.items import MaterialItem


class DestructionMethod(models.TextChoices):
    SHREDDER = "shredder", _("Shredder")
    PULPING = "pulping", _("Pulping")
    INCINERATION = "incineration", _("Incineration")


class DestructionListStatus(models.TextChoices):
    OPEN = "open", _("Waiting for confirmation")
    COMPLETED = "completed", _("Completed")


class DestructionList(models.Model):
    """The items an operator intends to destroy under a supervising manager's eye (监销)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    method = models.CharField(
        _("destruction method"), max_length=16, choices=DestructionMethod.choices
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DestructionListStatus.choices,
        default=DestructionListStatus.OPEN,
    )
    created_at = models.DateTimeField(_("created at"))
    operator_confirmed_at = models.DateTimeField(null=True, blank=True)
    supervisor_confirmed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("destruction list")
        verbose_name_plural = _("destruction lists")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(operator=models.F("supervisor")),
                name="materials_destruction_operator_is_not_supervisor",
            )
        ]

    def __str__(self) -> str:
        return f"destruction list {self.pk}"


class EntryOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    DESTROYED = "destroyed", _("Destroyed")
    RETAINED = "retained", _("Retained")


class DestructionEntry(models.Model):
    """One item on a destruction list and what became of it."""

    destruction_list = models.ForeignKey(
        DestructionList, on_delete=models.PROTECT, related_name="entries"
    )
    item = models.ForeignKey(MaterialItem, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=EntryOutcome.choices, default=EntryOutcome.PENDING
    )

    class Meta:
        verbose_name = _("destruction list entry")
        verbose_name_plural = _("destruction list entries")
        constraints = [
            models.UniqueConstraint(
                fields=["destruction_list", "item"], name="materials_item_once_per_list"
            )
        ]

    def __str__(self) -> str:
        return f"{self.destruction_list_id}:{self.item_id}"


class DestructionOverride(models.Model):
    """A two-person permission to destroy listed items before their retention period ends.

    Requested with a reason, approved by a manager who is not the
    requester, valid until ``expires_at`` (one hour after the request) and
    used at most once.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    destruction_list = models.ForeignKey(
        DestructionList, on_delete=models.PROTECT, related_name="overrides"
    )
    items = models.ManyToManyField(MaterialItem, related_name="+")
    reason = models.CharField(_("reason"), max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    expires_at = models.DateTimeField(_("expires at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("early-destruction override")
        verbose_name_plural = _("early-destruction overrides")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(approved_by=models.F("requested_by")),
                name="materials_override_not_approved_by_requester",
            )
        ]

    def __str__(self) -> str:
        return f"override {self.pk}"


class DestructionRecord(models.Model):
    """The destruction record (销毁记录表) written when a list is carried out. Never deleted.

    Names are copied at the time of destruction, so the record reads the
    same after a staff account is renamed or deactivated.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(_("record number"), max_length=20, unique=True)
    destruction_list = models.OneToOneField(
        DestructionList, on_delete=models.PROTECT, related_name="record"
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    operator_name = models.CharField(_("operator"), max_length=64)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    supervisor_name = models.CharField(_("supervisor"), max_length=64)
    method = models.CharField(
        _("destruction method"), max_length=16, choices=DestructionMethod.choices
    )
    destroyed_at = models.DateTimeField(_("destroyed at"))
    override = models.ForeignKey(
        DestructionOverride, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("destruction record")
        verbose_name_plural = _("destruction records")
        ordering = ["-destroyed_at"]

    def __str__(self) -> str:
        return self.number


class DestructionRecordItem(models.Model):
    """One destroyed item as the record lists it, copied at the time of destruction."""

    record = models.ForeignKey(DestructionRecord, on_delete=models.PROTECT, related_name="items")
    item = models.ForeignKey(MaterialItem, on_delete=models.PROTECT, related_name="+")
    client_name = models.CharField(_("client"), max_length=200)
    intake_number = models.CharField(_("receipt number"), max_length=20)
    material_name = models.CharField(_("material"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16)
    quantity = models.PositiveIntegerField(_("quantity"))
    retention_period = models.CharField(_("retention period"), max_length=20)
    fiscal_year = models.PositiveSmallIntegerField(null=True, blank=True)
    was_early = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("destroyed item")
        verbose_name_plural = _("destroyed items")
        ordering = ["record", "id"]

    def __str__(self) -> str:
        return f"{self.record_id}:{self.item_id}"
