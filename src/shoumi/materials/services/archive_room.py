"""Monthly archive-room inspections, their follow-ups, and temperature and humidity sensors."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import structlog
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shoumi.accounts.models import User
from shoumi.audit.actions import Action
from shoumi.config import clock
from shoumi.materials import notifications, permissions, selectors
from shoumi.materials.errors import (
    CustodyStateError,
    MaterialsInputInvalidError,
    MaterialsPermissionError,
    SensorAuthenticationError,
    SensorReadingInvalidError,
)
from shoumi.materials.models import (
    AlertKind,
    EnvironmentAlert,
    Inspection,
    InspectionCheck,
    InspectionFinding,
    Sensor,
    SensorReading,
    StorageLocation,
)
from shoumi.materials.services.common import (
    clean_note,
    clean_text,
    record_event,
    require_active_staff,
    today,
)

logger = structlog.get_logger(__name__)

# CCTV recordings of the archive room must be kept at least 3 months,
# counted here as 90 days.
MIN_CCTV_RETENTION_DAYS = 90

# Limits of the archive room's climate: 18–22 °C and 50–60 % relative humidity.
TEMPERATURE_MIN = Decimal("18")
TEMPERATURE_MAX = Decimal("22")
HUMIDITY_MIN = Decimal("50")
HUMIDITY_MAX = Decimal("60")

# Plausible ranges of a reading. A value outside them comes from a faulty sensor or a
# forged request.
TEMPERATURE_RANGE = (Decimal("-40"), Decimal("85"))
HUMIDITY_RANGE = (Decimal("0"), Decimal("100"))
# A sensor clock may run ahead a little; a reading further in the future is refused.
MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_READING_AGE = timedelta(days=7)

TOKEN_BYTES = 32


@dataclass(frozen=True)
class FindingInput:
    """A problem found in an inspection and who fixes it by when."""

    check_name: str
    description: str
    follow_up: str
    assignee: User | None
    due_on: date | None


def _require_archive_room(room: StorageLocation) -> None:
    if not room.is_archive_room:
        raise MaterialsInputInvalidError(_("Choose an archive room."), field="room")


@transaction.atomic
def inspection_record(
    *,
    actor: User,
    room: StorageLocation,
    month: date,
    locks_ok: bool,
    fire_equipment_ok: bool,
    cctv_ok: bool,
    cctv_retention_days: int,
    windows_ok: bool,
    findings: Sequence[FindingInput] = (),
    notes: str = "",
    request: HttpRequest | None = None,
) -> Inspection:
    """Record the monthly inspection of an archive room with a finding for each failed check.

    CCTV that keeps fewer than 90 days of recording fails its check even
    when the camera works. Raises MaterialsInputInvalidError when a failed
    check has no finding, or when the room was already inspected that month.
    """
    permissions.require_role(
        actor, permissions.INSPECTION_ROLES, _("Only an archivist or a manager can inspect.")
    )
    _require_archive_room(room)
    first_day = month.replace(day=1)
    if first_day > today():
        raise MaterialsInputInvalidError(_("The month cannot be in the future."), field="month")
    if Inspection.objects.filter(room=room, month=first_day).exists():
        raise MaterialsInputInvalidError(
            _("This room has already been inspected for that month."), field="month"
        )
    results = {
        InspectionCheck.LOCKS: locks_ok,
        InspectionCheck.FIRE_EQUIPMENT: fire_equipment_ok,
        InspectionCheck.CCTV: cctv_ok and cctv_retention_days >= MIN_CCTV_RETENTION_DAYS,
        InspectionCheck.WINDOWS: windows_ok,
    }
    checked_findings = [_check_finding(finding) for finding in findings]
    covered = {finding.check_name for finding in checked_findings}
    missing = [check for check, passed in results.items() if not passed and check not in covered]
    if missing:
        labels = "、".join(str(InspectionCheck(check).label) for check in missing)
        raise MaterialsInputInvalidError(
            _("Enter a finding and its follow-up for every failed check: %(checks)s.")
            % {"checks": labels},
            field="findings",
        )

    inspection = Inspection(
        room=room,
        month=first_day,
        inspector=actor,
        inspected_at=clock.now(),
        locks_ok=results[InspectionCheck.LOCKS],
        fire_equipment_ok=results[InspectionCheck.FIRE_EQUIPMENT],
        cctv_ok=results[InspectionCheck.CCTV],
        cctv_retention_days=cctv_retention_days,
        windows_ok=results[InspectionCheck.WINDOWS],
        notes=clean_note(notes, field="notes", maximum=500),
    )
    inspection.full_clean()
    inspection.save()
    for finding in checked_findings:
        InspectionFinding.objects.create(
            inspection=inspection,
            check_name=finding.check_name,
            description=finding.description,
            follow_up=finding.follow_up,
            assignee=finding.assignee,
            due_on=finding.due_on,
        )
    record_event(
        action=Action.INSPECTION_RECORDED,
        actor=actor,
        record=inspection,
        request=request,
        details={
            "room": str(room.pk),
            "month": first_day.isoformat(),
            "failed": sorted(check for check, passed in results.items() if not passed),
            "findings": len(checked_findings),
        },
    )
    return inspection


@dataclass(frozen=True)
class _CheckedFinding:
    check_name: str
    description: str
    follow_up: str
    assignee: User
    due_on: date


def _check_finding(finding: FindingInput) -> _CheckedFinding:
    if finding.check_name not in InspectionCheck.values:
        raise MaterialsInputInvalidError(
            _("Choose which check a finding belongs to."), field="findings"
        )
    description = clean_text(
        finding.description,
        field="findings",
        minimum=2,
        maximum=300,
        message=_("Describe each finding (2 to 300 characters)."),
    )
    follow_up = clean_text(
        finding.follow_up,
        field="findings",
        minimum=2,
        maximum=300,
        message=_("State the follow-up of each finding (2 to 300 characters)."),
    )
    assignee = require_active_staff(finding.assignee, field="findings")
    if finding.due_on is None or finding.due_on < today():
        raise MaterialsInputInvalidError(
            _("Each follow-up needs a due date from today on."), field="findings"
        )
    return _CheckedFinding(finding.check_name, description, follow_up, assignee, finding.due_on)


@transaction.atomic
def finding_resolve(
    *,
    actor: User,
    finding: InspectionFinding,
    resolution: str,
    request: HttpRequest | None = None,
) -> InspectionFinding:
    """Close a finding's follow-up; its assignee, an archivist or a manager does it."""
    finding = InspectionFinding.objects.select_for_update().get(pk=finding.pk)
    if finding.assignee_id != actor.pk:
        permissions.require_role(
            actor,
            permissions.INSPECTION_ROLES,
            _("Only the assignee, an archivist or a manager can close this follow-up."),
        )
    if finding.resolved_at is not None:
        raise CustodyStateError(_("This follow-up is already closed."))
    finding.resolution = clean_text(
        resolution,
        field="resolution",
        minimum=2,
        maximum=300,
        message=_("Describe what was done (2 to 300 characters)."),
    )
    finding.resolved_at = clock.now()
    finding.resolved_by = actor
    finding.save(update_fields=["resolution", "resolved_at", "resolved_by"])
    record_event(
        action=Action.INSPECTION_FINDING_RESOLVED,
        actor=actor,
        record=finding,
        request=request,
        details={"inspection": str(finding.inspection_id)},
    )
    return finding


# Sensors --------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# Compared against when the sensor id is unknown, so that an unknown id and a
# wrong token take the same path and the same time.
_UNKNOWN_SENSOR_HASH = hash_token(secrets.token_urlsafe(TOKEN_BYTES))


@transaction.atomic
def sensor_create(
    *, actor: User, room: StorageLocation, name: str, request: HttpRequest | None = None
) -> tuple[Sensor, str]:
    """Register a sensor in an archive room; return it with its token, shown this once only."""
    permissions.require_role(
        actor, permissions.SENSOR_ROLES, _("Your role cannot register sensors.")
    )
    _require_archive_room(room)
    cleaned = clean_text(
        name,
        field="name",
        minimum=1,
        maximum=100,
        message=_("Enter a name (at most 100 characters)."),
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    sensor = Sensor.objects.create(
        room=room, name=cleaned, token_hash=hash_token(token), created_at=clock.now()
    )
    record_event(
        action=Action.SENSOR_CREATED,
        actor=actor,
        record=sensor,
        request=request,
        details={"room": str(room.pk)},
    )
    return sensor, token


def sensor_authenticate(*, sensor_id: str, token: str) -> Sensor:
    """Return the active sensor whose token this is; raise SensorAuthenticationError otherwise.

    The stored hash is compared in constant time, and an unknown sensor id
    is compared against a random hash, so neither timing nor the error
    reveals which part was wrong.
    """
    sensor = None
    try:
        sensor = Sensor.objects.filter(pk=uuid.UUID(sensor_id), is_active=True).first()
    except ValueError:
        sensor = None
    expected = sensor.token_hash if sensor is not None else _UNKNOWN_SENSOR_HASH
    matches = hmac.compare_digest(expected.encode("ascii"), hash_token(token).encode("ascii"))
    if sensor is None or not matches:
        raise SensorAuthenticationError("Sensor authentication failed.")
    return sensor


def _decimal(value: object, *, name: str, bounds: tuple[Decimal, Decimal]) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SensorReadingInvalidError(f"{name} must be a number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise SensorReadingInvalidError(f"{name} must be a finite number.")
    number = Decimal(str(value)).quantize(Decimal("0.01"))
    if not bounds[0] <= number <= bounds[1]:
        raise SensorReadingInvalidError(
            f"{name} must be between {bounds[0]} and {bounds[1]}, got {number}."
        )
    return number


def _alert_kinds(temperature: Decimal, humidity: Decimal) -> set[str]:
    kinds: set[str] = set()
    if temperature < TEMPERATURE_MIN:
        kinds.add(AlertKind.TEMPERATURE_LOW)
    if temperature > TEMPERATURE_MAX:
        kinds.add(AlertKind.TEMPERATURE_HIGH)
    if humidity < HUMIDITY_MIN:
        kinds.add(AlertKind.HUMIDITY_LOW)
    if humidity > HUMIDITY_MAX:
        kinds.add(AlertKind.HUMIDITY_HIGH)
    return kinds


@transaction.atomic
def sensor_reading_record(
    *,
    sensor: Sensor,
    temperature: object,
    humidity: object,
    measured_at: datetime | None = None,
) -> tuple[SensorReading, list[EnvironmentAlert]]:
    """Store a reading; open an alert for each limit it breaks and close those it no longer breaks.

    Returns the reading and the alerts opened by it. Archivists get an
    e-mail for each opened alert once the transaction commits. Raises
    SensorReadingInvalidError (English message for the sensor's operator)
    for missing, non-numeric or implausible values.
    """
    temperature_value = _decimal(temperature, name="temperature", bounds=TEMPERATURE_RANGE)
    humidity_value = _decimal(humidity, name="humidity", bounds=HUMIDITY_RANGE)
    now = clock.now()
    measured = measured_at or now
    if measured > now + MAX_CLOCK_SKEW or measured < now - MAX_READING_AGE:
        raise SensorReadingInvalidError(
            "measured_at must lie within the last 7 days and at most 5 minutes ahead."
        )

    reading = SensorReading.objects.create(
        sensor=sensor,
        measured_at=measured,
        received_at=now,
        temperature=temperature_value,
        humidity=humidity_value,
    )
    Sensor.objects.filter(pk=sensor.pk).update(last_reading_at=now)
    breaking = _alert_kinds(temperature_value, humidity_value)
    open_alerts = {
        alert.kind: alert
        for alert in EnvironmentAlert.objects.select_for_update().filter(
            sensor=sensor, closed_at__isnull=True
        )
    }
    opened = []
    for kind in sorted(breaking - set(open_alerts)):
        value = temperature_value if kind.startswith("temperature") else humidity_value
        alert = EnvironmentAlert.objects.create(
            sensor=sensor, kind=kind, opened_at=now, first_value=value
        )
        record_event(
            action=Action.ENVIRONMENT_ALERT_OPENED,
            actor=None,
            record=alert,
            details={"sensor": str(sensor.pk), "room": str(sensor.room_id), "value": str(value)},
        )
        opened.append(alert)
    for kind, alert in open_alerts.items():
        if kind not in breaking:
            alert.closed_at = now
            alert.save(update_fields=["closed_at"])
            record_event(
                action=Action.ENVIRONMENT_ALERT_CLOSED,
                actor=None,
                record=alert,
                details={"sensor": str(sensor.pk), "room": str(sensor.room_id)},
            )
    if opened:
        logger.warning(
            "archive_room_alert_opened",
            sensor_id=str(sensor.pk),
            kinds=[alert.kind for alert in opened],
        )
        alert_ids = [alert.pk for alert in opened]
        transaction.on_commit(lambda: _notify_alerts(alert_ids))
    return reading, opened


def _notify_alerts(alert_ids: list[uuid.UUID]) -> None:
    alerts = list(EnvironmentAlert.objects.filter(pk__in=alert_ids).select_related("sensor__room"))
    recipients = selectors.archivist_emails()
    if not recipients:
        logger.warning("archive_room_alert_has_no_recipient", count=len(alerts))
        return
    try:
        notifications.send_alert_notice(alerts=alerts, recipients=recipients)
    except OSError as error:
        logger.error("archive_room_alert_mail_failed", error_type=type(error).__name__)


def require_sensor_manager(actor: User) -> None:
    if not permissions.has_any_role(actor, permissions.SENSOR_ROLES):
        raise MaterialsPermissionError(_("Your role cannot register sensors."))
