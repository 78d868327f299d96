"""Loans (借阅) of stored items to staff."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shoumi.materials.models.items import MaterialItem


class LoanStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for approval")
    APPROVED = "approved", _("Approved, not yet handed out")
    REJECTED = "rejected", _("Rejected")
    LENT = "lent", _("On loan")
    RETURNED = "returned", _("Returned")


OPEN_LOAN_STATUSES = frozenset({LoanStatus.REQUESTED, LoanStatus.APPROVED, LoanStatus.LENT})


class Loan(models.Model):
    """A request to borrow one item, its manager's decision, hand-out and return."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(MaterialItem, on_delete=models.PROTECT, related_name="loans")
    borrower = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("borrower"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    purpose = models.CharField(_("purpose"), max_length=200)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=16, choices=LoanStatus.choices, default=LoanStatus.REQUESTED
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)
    handed_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handed_out_at = models.DateTimeField(_("handed out at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    last_overdue_notice_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(status__in=["requested", "approved", "lent"]),
                name="materials_one_open_loan_per_item",
            ),
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("borrower")),
                name="materials_loan_not_approved_by_borrower",
            ),
        ]

    def __str__(self) -> str:
        return f"loan {self.pk}"
