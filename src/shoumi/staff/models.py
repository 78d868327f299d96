"""Minimal staff records that the access gates check.

A staff member may reveal or export client data only while they are not
being offboarded, hold a signed confidentiality agreement (保密协议) that has
not expired, and have passed the current data-protection training. The
staff-lifecycle features (cooling-off periods, exams, handover) extend
these tables later.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ConfidentialityAgreement(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="confidentiality_agreements",
    )
    signed_on = models.DateField(_("signed on"))
    valid_until = models.DateField(_("valid until"))
    # The signed paper, scanned and sealed (envelope-encrypted) like any scan.
    scan = models.BinaryField(_("scan"), null=True, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("confidentiality agreement")
        verbose_name_plural = _("confidentiality agreements")
        ordering = ["-valid_until"]

    def __str__(self) -> str:
        return f"agreement {self.pk} of user {self.user_id}"


class TrainingCourse(models.Model):
    """A version of the data-protection training; exactly one is current."""

    name = models.CharField(_("name"), max_length=100)
    version = models.CharField(_("version"), max_length=20)
    is_current = models.BooleanField(_("current"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=models.Q(is_current=True),
                name="staff_one_current_course",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class TrainingRecord(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_records"
    )
    course = models.ForeignKey(TrainingCourse, on_delete=models.PROTECT, related_name="records")
    passed_on = models.DateField(_("passed on"))
    valid_until = models.DateField(_("valid until"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["-passed_on"]

    def __str__(self) -> str:
        return f"training {self.pk} of user {self.user_id}"


class Offboarding(models.Model):
    """An offboarding in progress; while it is open the user may not reveal or export."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offboardings"
    )
    started_on = models.DateField(_("started on"))
    last_day_on = models.DateField(_("last working day"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("offboarding")
        verbose_name_plural = _("offboardings")

    def __str__(self) -> str:
        return f"offboarding {self.pk} of user {self.user_id}"
