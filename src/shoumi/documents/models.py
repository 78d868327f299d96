"""Stored scans of client documents and the register of every marked copy issued.

A ``Document`` row contains no image. The scan, after intake, is sealed with the
row's own data key (``data_key``), bound to (model, record id, field), and
kept in the document storage under ``storage_name``. An ``IssuedCopy`` row is
written for every marked copy (view, download, print, thumbnail) and maps
the copy's trace code to who issued it, to whom, for what and when.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shoumi.access.models import ApprovalRequest
from shoumi.clients.models import Client

# The sealed field name that binds a scan's ciphertext, and the field name
# that the sensitivity registry and the access policy know it by.
SCAN_FIELD = "scan"
# The policy field of exporting the unmarked original.
ORIGINAL_FIELD = "original"


class DocumentType(models.TextChoices):
    ID_CARD_FRONT = "id_card_front", _("ID card, front")
    ID_CARD_BACK = "id_card_back", _("ID card, back")
    BUSINESS_LICENCE = "business_licence", _("Business licence")
    ACCOUNT_OPENING_PERMIT = "account_opening_permit", _("Account opening permit")
    ARTICLES_OF_ASSOCIATION = "articles_of_association", _("Articles of association")
    PREMISES_PROOF = "premises_proof", _("Proof of business premises")
    OTHER = "other", _("Other document")


class Document(models.Model):
    """A scan or photo of a client's document, stored encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="documents"
    )
    document_type = models.CharField(
        _("document type"), max_length=32, choices=DocumentType.choices
    )
    data_key = models.TextField(editable=False)
    storage_name = models.CharField(max_length=200, unique=True, editable=False)
    # The kind detected from the uploaded content (jpeg, png, heic, pdf) and
    # the media type of the stored, re-encoded content.
    source_kind = models.CharField(_("uploaded file type"), max_length=8)
    media_type = models.CharField(max_length=32)
    page_count = models.PositiveSmallIntegerField(_("pages"))
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    stored_bytes = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["client", "document_type", "-uploaded_at"]

    def __str__(self) -> str:
        return f"document {self.pk} ({self.document_type})"


class CopyChannel(models.TextChoices):
    VIEW = "view", _("Viewed on screen")
    DOWNLOAD = "download", _("Downloaded")
    PRINT = "print", _("Printed")
    THUMBNAIL = "thumbnail", _("Thumbnail")


class RecipientKind(models.TextChoices):
    STAFF = "staff", _("Staff member")
    VENDOR = "vendor", _("Vendor or other outside party")


class IssuedCopy(models.Model):
    """One marked copy of a document: who issued it, to whom, for what, with which trace code.

    No code path changes or deletes a row, and the database refuses to
    delete a document with issued copies (PROTECT), so a leaked copy can be
    traced back as long as the database is intact.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="copies"
    )
    # The printed form, XXXX-XXXX in Crockford base32.
    trace_code = models.CharField(_("trace code"), max_length=9, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=CopyChannel.choices)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recipient_kind = models.CharField(
        _("recipient kind"), max_length=16, choices=RecipientKind.choices
    )
    recipient_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("receiving staff member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The recipient as printed in the watermark.
    recipient_name = models.CharField(_("recipient"), max_length=100)
    purpose = models.CharField(_("purpose"), max_length=40)
    issued_on = models.DateField(_("date printed on the copy"))
    issued_at = models.DateTimeField(_("issued at"), db_index=True)
    media_type = models.CharField(max_length=32)
    page_count = models.PositiveSmallIntegerField(_("pages"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    approval = models.ForeignKey(
        ApprovalRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("issued copy")
        verbose_name_plural = _("issued copies")
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(recipient_kind="staff")
                | models.Q(recipient_staff__isnull=False),
                name="documents_issuedcopy_staff_recipient_named",
            )
        ]

    def __str__(self) -> str:
        return f"copy {self.trace_code}"
