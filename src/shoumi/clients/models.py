"""Enterprise clients and the personal and financial data the agency keeps for them.

Every record that holds a sealed field has its own data key (``data_key``,
the wrapped DEK) and a UUID primary key, because the associated data that
binds each ciphertext to its row must be known before the row is first
saved. Sealed fields are written only through ``shoumi.clients.services``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shoumi.accounts.models import Department
from shoumi.vault.fields import BlindIndexField, MaskField, SealedField
from shoumi.vault.models import SealedRecordQuerySet


class ClientStatus(models.TextChoices):
    # The registration states shown on 国家企业信用信息公示系统.
    ACTIVE = "active", _("Active (存续/在业)")
    SUSPENDED = "suspended", _("Suspended")
    MOVED_OUT = "moved_out", _("Moved out")
    REVOKED = "revoked", _("Licence revoked")
    DEREGISTERED = "deregistered", _("Deregistered")


class Client(models.Model):
    """An enterprise client (客户) of the agency."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("company name"), max_length=200, db_index=True)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, default="", db_index=True
    )
    registered_address = models.CharField(_("registered address"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ClientStatus.choices, default=ClientStatus.ACTIVE
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clients",
    )
    assigned_staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned staff"),
        blank=True,
        related_name="assigned_clients",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["uscc"],
                condition=~models.Q(uscc=""),
                name="clients_client_uscc_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PersonRole(models.TextChoices):
    LEGAL_REP = "legal_rep", _("Legal representative")
    CONTACT = "contact", _("Contact")
    FINANCE = "finance", _("Finance officer")
    TAX_AGENT = "tax_agent", _("Tax officer")
    SHAREHOLDER = "shareholder", _("Shareholder")


class Person(models.Model):
    """A natural person linked to a client: legal representative, contact, and so on."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="people")
    role = models.CharField(_("role"), max_length=16, choices=PersonRole.choices)
    data_key = models.TextField(editable=False)

    name = SealedField(mask_kind="person_name")
    name_mask = MaskField()
    name_blind_index = BlindIndexField()
    name_blind_index_next = BlindIndexField()

    # Resident ID, Hong Kong/Macao/Taiwan residence permit or foreign
    # permanent residence ID; resident_id_kind says which.
    resident_id = SealedField(mask_kind="resident_id")
    resident_id_kind = models.CharField(max_length=40, blank=True, default="")
    resident_id_mask = MaskField()
    resident_id_blind_index = BlindIndexField()
    resident_id_blind_index_next = BlindIndexField()

    mobile = SealedField(mask_kind="mobile")
    mobile_mask = MaskField()
    mobile_blind_index = BlindIndexField()
    mobile_blind_index_next = BlindIndexField()

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SealedRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["client", "role", "created_at"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"


class AccountKind(models.TextChoices):
    CORPORATE = "corporate", _("Corporate account")
    CARD = "card", _("Bank card")


class BankAccount(models.Model):
    """A bank account of a client: a corporate account (对公账户) or a card."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="bank_accounts")
    bank_name = models.CharField(_("bank"), max_length=100)
    account_kind = models.CharField(
        _("account kind"), max_length=16, choices=AccountKind.choices, default=AccountKind.CORPORATE
    )
    data_key = models.TextField(editable=False)

    account_number = SealedField(mask_kind="bank_account")
    account_number_mask = MaskField()
    account_number_blind_index = BlindIndexField()
    account_number_blind_index_next = BlindIndexField()

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SealedRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["client", "bank_name"]

    def __str__(self) -> str:
        return f"{self.bank_name} {self.account_number}"


class TaxLoginMethod(models.TextChoices):
    # Preferred: staff log in with their own real-name 办税人员 account, so no
    # client password is kept at all.
    DELEGATED = "delegated", _("Delegated staff account (办税人员)")
    STORED = "stored", _("Client password kept in shoumi")


class TaxLogin(models.Model):
    """How the agency logs in to the client's 电子税务局."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="tax_logins")
    method = models.CharField(_("method"), max_length=16, choices=TaxLoginMethod.choices)
    delegated_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delegated staff member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    data_key = models.TextField(editable=False)

    username = SealedField(mask_kind="secret_name", searchable=False)
    username_mask = MaskField()

    password = SealedField(mask_kind="secret", searchable=False)
    password_mask = MaskField()

    rotation_due_on = models.DateField(_("change password by"), null=True, blank=True)
    last_checked_out_at = models.DateTimeField(_("last checked out at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SealedRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("tax-bureau login")
        verbose_name_plural = _("tax-bureau logins")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(method="delegated") | models.Q(delegated_staff__isnull=False),
                name="clients_taxlogin_delegated_needs_staff",
            )
        ]

    def __str__(self) -> str:
        return f"tax login {self.pk}"


class ValueWarningStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    SUPERSEDED = "superseded", _("Value changed since")


class ValueWarning(models.Model):
    """A stored value whose warnings a reviewer still has to confirm against the original.

    Imports store values that carry warnings (a credit code's check character,
    a card that fails Luhn, a 15-digit ID number that may be a cut-off 18-digit
    one) instead of rejecting them, and record one row here per value. The
    record is named by model label and id because it may be a client, a person
    or a bank account. ``value_mask`` is the mask at the time of the warning,
    so the list page needs no join per row.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="value_warnings")
    record_type = models.CharField(_("record type"), max_length=48)
    record_id = models.UUIDField(_("record id"), db_index=True)
    field = models.CharField(_("field"), max_length=64)
    warning_codes = models.JSONField(_("warning codes"), default=list)
    value_mask = models.CharField(_("masked value"), max_length=64, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ValueWarningStatus.choices,
        default=ValueWarningStatus.PENDING,
        db_index=True,
    )
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    import_job = models.ForeignKey(
        "ImportJob",
        verbose_name=_("import"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="value_warnings",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("value warning")
        verbose_name_plural = _("value warnings")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["record_id", "field", "status"])]

    def __str__(self) -> str:
        return f"value warning {self.pk} on {self.record_type}.{self.field}"


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Imported")
    REJECTED = "rejected", _("Nothing imported")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One ledger import started from the upload page, with its progress and report.

    The uploaded file itself is never stored, and neither is its name (file
    names often contain a client's or a person's name). ``report`` is the
    zlib-compressed JSON report, which holds masks only.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_only_valid = models.BooleanField(_("import only valid rows"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED
    )
    phase = models.CharField(_("phase"), max_length=16, blank=True)
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    imported_rows = models.PositiveIntegerField(_("rows imported"), default=0)
    duplicate_rows = models.PositiveIntegerField(_("duplicate rows"), default=0)
    rejected_rows = models.PositiveIntegerField(_("rejected rows"), default=0)
    pending_warnings = models.PositiveIntegerField(_("values to confirm"), default=0)
    error_message = models.TextField(_("error"), blank=True)
    report = models.BinaryField(_("report"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger import")
        verbose_name_plural = _("ledger imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.pk} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in {
            ImportJobStatus.SUCCEEDED,
            ImportJobStatus.REJECTED,
            ImportJobStatus.FAILED,
        }
