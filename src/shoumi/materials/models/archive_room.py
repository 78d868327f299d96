"""The archive room: monthly inspections, their findings, sensors and environment alerts."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shoumi.materials.models.storage import StorageLocation


class InspectionCheck(models.TextChoices):
    LOCKS = "locks", _("Locks")
    FIRE_EQUIPMENT = "fire_equipment", _("Fire equipment")
    CCTV = "cctv", _("CCTV recording kept at least 3 months")
    WINDOWS = "windows", _("Windows")


class Inspection(models.Model):
    """The monthly inspection of one archive room."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    room = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="inspections")
    # The first day of the inspected month.
    month = models.DateField(_("month"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    inspected_at = models.DateTimeField(_("inspected at"))
    locks_ok = models.BooleanField(_("locks in order"))
    fire_equipment_ok = models.BooleanField(_("fire equipment in order"))
    cctv_ok = models.BooleanField(_("CCTV in order"))
    cctv_retention_days = models.PositiveIntegerField(_("days of CCTV recording kept"))
    windows_ok = models.BooleanField(_("windows in order"))
    notes = models.CharField(_("notes"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("archive-room inspection")
        verbose_name_plural = _("archive-room inspections")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["room", "month"], name="materials_one_inspection_a_month"
            )
        ]

    def __str__(self) -> str:
        return f"inspection {self.room_id} {self.month:%Y-%m}"


class InspectionFinding(models.Model):
    """A problem found in an inspection and its follow-up."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="findings")
    check_name = models.CharField(_("check"), max_length=16, choices=InspectionCheck.choices)
    description = models.CharField(_("finding"), max_length=300)
    follow_up = models.CharField(_("follow-up"), max_length=300)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_on = models.DateField(_("due on"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(_("resolution"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("inspection finding")
        verbose_name_plural = _("inspection findings")
        ordering = ["due_on"]

    def __str__(self) -> str:
        return f"finding {self.pk}"


class Sensor(models.Model):
    """A temperature and humidity sensor that posts readings with its own token.

    Only the SHA-256 hash of the token is stored. Tokens are 256-bit random
    values, so a plain hash (no salt, no slow hash) is enough to make a
    copy of the database useless for posting readings.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    room = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="sensors")
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    last_reading_at = models.DateTimeField(_("last reading at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sensor")
        verbose_name_plural = _("sensors")
        ordering = ["room", "name"]

    def __str__(self) -> str:
        return self.name


class SensorReading(models.Model):
    """One temperature and relative-humidity reading."""

    sensor = models.ForeignKey(Sensor, on_delete=models.PROTECT, related_name="readings")
    measured_at = models.DateTimeField(_("measured at"), db_index=True)
    received_at = models.DateTimeField(_("received at"))
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=5, decimal_places=2)
    humidity = models.DecimalField(_("relative humidity (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("sensor reading")
        verbose_name_plural = _("sensor readings")
        ordering = ["-measured_at"]

    def __str__(self) -> str:
        return f"reading {self.pk}"


class AlertKind(models.TextChoices):
    TEMPERATURE_LOW = "temperature_low", _("Temperature below 18 °C")
    TEMPERATURE_HIGH = "temperature_high", _("Temperature above 22 °C")
    HUMIDITY_LOW = "humidity_low", _("Relative humidity below 50 %")
    HUMIDITY_HIGH = "humidity_high", _("Relative humidity above 60 %")


class EnvironmentAlert(models.Model):
    """A period during which a sensor read values outside the archive-room limits.

    One alert stays open per sensor and kind until a reading is back within
    the limits, so a sensor posting every minute sends one e-mail, not one
    a minute.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sensor = models.ForeignKey(Sensor, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(_("alert"), max_length=20, choices=AlertKind.choices)
    opened_at = models.DateTimeField(_("opened at"))
    first_value = models.DecimalField(_("value"), max_digits=5, decimal_places=2)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("environment alert")
        verbose_name_plural = _("environment alerts")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["sensor", "kind"],
                condition=models.Q(closed_at__isnull=True),
                name="materials_one_open_alert_per_sensor_and_kind",
            )
        ]

    def __str__(self) -> str:
        return f"alert {self.pk} {self.kind}"
