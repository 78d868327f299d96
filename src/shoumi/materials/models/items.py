"""Intakes, the items they record, and each item's custody history."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shoumi.clients.models import Client
from shoumi.materials.models.storage import StorageLocation
from shoumi.materials.retention import RetentionPeriod
from shoumi.vault.fields import MaskField, SealedField
from shoumi.vault.models import SealedRecordQuerySet
from shoumi.vault.sensitivity import Sensitivity


class SignatureMethod(models.TextChoices):
    DRAWN = "drawn", _("Drawn on screen")
    SCANNED = "scanned", _("Signed on paper and scanned")


class Intake(models.Model):
    """One hand-over of paper by a client (材料接收登记), with the client's signature.

    The signature image is kept as an encrypted file in the data directory,
    sealed with this record's data key (see ``shoumi.materials.signatures``);
    the table holds no image. The name of the person who handed the paper
    over is a sealed field.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(_("receipt number"), max_length=20, unique=True)
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="intakes"
    )
    received_at = models.DateTimeField(_("received at"))
    receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("receiver"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    data_key = models.TextField(editable=False)

    handed_over_by = SealedField(mask_kind="person_name", searchable=False)
    handed_over_by_mask = MaskField()

    signature_method = models.CharField(
        _("signature"), max_length=16, choices=SignatureMethod.choices
    )
    signature_media_type = models.CharField(max_length=32, default="image/png")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = SealedRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("intake")
        verbose_name_plural = _("intakes")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.number


class MaterialKind(models.TextChoices):
    ORIGINAL = "original", _("Original")
    COPY = "copy", _("Copy")
    DRAFT = "draft", _("Draft")


# Only the agency's own copies and drafts may be destroyed; originals belong
# to the client and go back to them.
DESTROYABLE_KINDS = frozenset({MaterialKind.COPY, MaterialKind.DRAFT})


class ItemStatus(models.TextChoices):
    IN_CUSTODY = "in_custody", _("In custody")
    ON_LOAN = "on_loan", _("On loan")
    DESTROYED = "destroyed", _("Destroyed")


class MaterialItem(models.Model):
    """One kind of paper received in an intake (e.g. 3 copies of the business licence)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="items")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="material_items")
    name = models.CharField(_("material"), max_length=100)
    quantity = models.PositiveIntegerField(_("quantity"))
    kind = models.CharField(_("kind"), max_length=16, choices=MaterialKind.choices)
    sensitivity = models.IntegerField(
        _("confidentiality level"), choices=Sensitivity.choices, default=Sensitivity.INTERNAL
    )
    retention_period = models.CharField(
        _("retention period"), max_length=20, choices=RetentionPeriod.choices
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.IN_CUSTODY
    )
    location = models.ForeignKey(
        StorageLocation,
        verbose_name=_("storage location"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("current holder"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # A reviewer's "retain" mark (留存): while set, no destruction list destroys the item.
    retained_at = models.DateTimeField(_("retained at"), null=True, blank=True)
    retained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    retain_reason = models.CharField(_("reason to retain"), max_length=200, blank=True)
    destroyed_at = models.DateTimeField(_("destroyed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("material item")
        verbose_name_plural = _("material items")
        ordering = ["intake", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="materials_item_quantity_positive"
            ),
            # Somebody holds every item that still exists.
            models.CheckConstraint(
                condition=models.Q(status="destroyed") | models.Q(holder__isnull=False),
                name="materials_item_has_holder_unless_destroyed",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="destroyed") | models.Q(destroyed_at__isnull=False),
                name="materials_item_destroyed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ×{self.quantity}"

    @property
    def is_retained(self) -> bool:
        return self.retained_at is not None


class CustodyEventKind(models.TextChoices):
    RECEIVED = "received", _("Received")
    MOVED = "moved", _("Moved")
    LENT = "lent", _("Handed out on loan")
    RETURNED = "returned", _("Returned from loan")
    DESTROYED = "destroyed", _("Destroyed")


class CustodyEvent(models.Model):
    """One change of an item's location or holder; the item's custody history."""

    item = models.ForeignKey(MaterialItem, on_delete=models.PROTECT, related_name="custody_events")
    kind = models.CharField(_("event"), max_length=16, choices=CustodyEventKind.choices)
    occurred_at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    from_location = models.ForeignKey(
        StorageLocation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_location = models.ForeignKey(
        StorageLocation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("custody event")
        verbose_name_plural = _("custody events")
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"custody event {self.pk} {self.kind}"
