"""Archive room: sensor endpoint, environment alerts, monthly inspections and follow-ups."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.config.navigation import pending_items_for
from shoumi.materials import services
from shoumi.materials.errors import MaterialsInputInvalidError
from shoumi.materials.models import AlertKind, EnvironmentAlert, Sensor, SensorReading
from shoumi.materials.services.common import today
from shoumi.materials.views import sensors as sensor_views
from tests.materials.factories import Office
from tests.materials.smtp_server import Mailbox, smtp_mailbox  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def sensor(office: Office) -> tuple[Sensor, str]:
    return services.sensor_create(actor=office.archivist, room=office.room, name="温湿度计 1")


def _post(sensor_id: object, token: str, body: object) -> object:
    return Client().post(
        reverse("materials:sensor_reading", args=[sensor_id]),
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_reading_in_range_is_stored_without_alert(sensor: tuple[Sensor, str]) -> None:
    device, token = sensor

    response = _post(device.pk, token, {"temperature": 20.0, "humidity": 55})

    assert response.status_code == 201
    assert response.json()["alerts_opened"] == []
    reading = SensorReading.objects.get()
    assert str(reading.temperature) == "20.00"
    assert not EnvironmentAlert.objects.exists()


def test_wrong_token_is_rejected(sensor: tuple[Sensor, str]) -> None:
    device, token = sensor

    response = _post(
        device.pk,
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        {
            "temperature": 20.0,
            "humidity": 55,
        },
    )

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorised"
    assert not SensorReading.objects.exists()


def test_unknown_sensor_gets_the_same_answer(sensor: tuple[Sensor, str]) -> None:
    _device, token = sensor

    response = _post("00000000-0000-4000-8000-000000000000", token, {"temperature": 20})

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorised"


def test_missing_authorization_is_rejected(sensor: tuple[Sensor, str]) -> None:
    device, _token = sensor

    response = Client().post(
        reverse("materials:sensor_reading", args=[device.pk]),
        data=json.dumps({"temperature": 20, "humidity": 55}),
        content_type="application/json",
    )

    assert response.status_code == 401


def test_token_is_stored_hashed(sensor: tuple[Sensor, str]) -> None:
    device, token = sensor

    device.refresh_from_db()
    assert token not in device.token_hash
    assert len(device.token_hash) == 64


def test_out_of_range_reading_alerts_archivists(
    sensor: tuple[Sensor, str],
    smtp_mailbox: Mailbox,  # noqa: F811
    django_capture_on_commit_callbacks,
) -> None:
    device, token = sensor

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(device.pk, token, {"temperature": 25.5, "humidity": 45})

    assert response.status_code == 201
    assert sorted(response.json()["alerts_opened"]) == ["humidity_low", "temperature_high"]
    kinds = set(EnvironmentAlert.objects.filter(closed_at=None).values_list("kind", flat=True))
    assert kinds == {AlertKind.TEMPERATURE_HIGH, AlertKind.HUMIDITY_LOW}
    assert smtp_mailbox.recipients == [["archivist@example.test"]]
    [body] = smtp_mailbox.bodies()
    assert "温度高于22 °C" in body
    assert "相对湿度低于50%" in body
    assert AuditEvent.objects.filter(action=Action.ENVIRONMENT_ALERT_OPENED).count() == 2


def test_alert_stays_one_until_back_in_range(
    sensor: tuple[Sensor, str], office: Office, django_capture_on_commit_callbacks
) -> None:
    device, token = sensor

    with django_capture_on_commit_callbacks(execute=True):
        _post(device.pk, token, {"temperature": 23, "humidity": 55})
        second = _post(device.pk, token, {"temperature": 24, "humidity": 55})
        _post(device.pk, token, {"temperature": 21, "humidity": 55})

    assert second.json()["alerts_opened"] == []
    alert = EnvironmentAlert.objects.get()
    assert alert.closed_at is not None
    assert AuditEvent.objects.filter(action=Action.ENVIRONMENT_ALERT_CLOSED).count() == 1


def test_open_alert_shows_on_the_archivist_dashboard(
    sensor: tuple[Sensor, str], office: Office
) -> None:
    device, token = sensor
    _post(device.pk, token, {"temperature": 17.5, "humidity": 55})

    counts = {str(item.label): item.count for item in pending_items_for(office.archivist)}

    assert counts["档案室温湿度告警"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"temperature": "warm", "humidity": 55},
        {"temperature": 20},
        {"temperature": 20, "humidity": 140},
        {"temperature": True, "humidity": 55},
        {"temperature": 20, "humidity": 55, "measured_at": "yesterday"},
        [20, 55],
    ],
)
def test_invalid_reading_is_rejected(sensor: tuple[Sensor, str], body: object) -> None:
    device, token = sensor

    response = _post(device.pk, token, body)

    assert response.status_code == 400
    assert not SensorReading.objects.exists()


def test_nan_is_rejected(sensor: tuple[Sensor, str]) -> None:
    device, token = sensor

    response = Client().post(
        reverse("materials:sensor_reading", args=[device.pk]),
        data='{"temperature": NaN, "humidity": 55}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 400


def test_requests_beyond_the_rate_limit_get_429(sensor: tuple[Sensor, str]) -> None:
    device, _token = sensor

    statuses = [
        _post(device.pk, "wrong", {"temperature": 20}).status_code
        for _ in range(sensor_views.REQUESTS_PER_MINUTE_PER_SENSOR + 1)
    ]

    assert statuses[:-1] == [401] * sensor_views.REQUESTS_PER_MINUTE_PER_SENSOR
    assert statuses[-1] == 429


def test_endpoint_needs_no_login_but_other_pages_do(sensor: tuple[Sensor, str]) -> None:
    response = Client().get(reverse("materials:archive_room"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_get_on_the_endpoint_is_not_allowed(sensor: tuple[Sensor, str]) -> None:
    device, _token = sensor

    response = Client().get(reverse("materials:sensor_reading", args=[device.pk]))

    assert response.status_code == 405


# Inspections ------------------------------------------------------------------


def _inspect(office: Office, **overrides: object) -> object:
    fields: dict[str, object] = {
        "actor": office.archivist,
        "room": office.room,
        "month": today(),
        "locks_ok": True,
        "fire_equipment_ok": True,
        "cctv_ok": True,
        "cctv_retention_days": 95,
        "windows_ok": True,
    }
    fields.update(overrides)
    return services.inspection_record(**fields)  # type: ignore[arg-type]


def test_inspection_with_all_checks_passed(office: Office) -> None:
    inspection = _inspect(office)

    assert inspection.month == today().replace(day=1)  # type: ignore[attr-defined]
    counts = {str(item.label): item.count for item in pending_items_for(office.archivist)}
    assert "本月尚未检查的档案室" not in counts


def test_short_cctv_retention_fails_the_check(office: Office) -> None:
    with pytest.raises(MaterialsInputInvalidError) as raised:
        _inspect(office, cctv_retention_days=60)

    assert (
        raised.value.message
        == "每个不合格项都要填写发现的问题和整改措施：监控录像保存不少于3个月。"
    )


def test_failed_check_with_finding_creates_follow_up(office: Office) -> None:
    finding = services.FindingInput(
        check_name="windows",
        description="北侧窗户插销损坏",
        follow_up="更换插销",
        assignee=office.second_archivist,
        due_on=today() + timedelta(days=7),
    )

    inspection = _inspect(office, windows_ok=False, findings=[finding])

    [stored] = inspection.findings.all()  # type: ignore[attr-defined]
    counts = {str(item.label): item.count for item in pending_items_for(office.second_archivist)}
    assert counts["待完成的检查整改"] == 1
    services.finding_resolve(actor=office.second_archivist, finding=stored, resolution="已更换插销")
    stored.refresh_from_db()
    assert stored.resolved_at is not None


def test_room_is_inspected_once_a_month(office: Office) -> None:
    _inspect(office)

    with pytest.raises(MaterialsInputInvalidError):
        _inspect(office, month=today().replace(day=15) if today().day != 15 else today())


def test_future_month_is_rejected(office: Office) -> None:
    next_month = (today().replace(day=1) + timedelta(days=32)).replace(day=1)

    with pytest.raises(MaterialsInputInvalidError):
        _inspect(office, month=next_month)


def test_inspection_needs_an_archive_room(office: Office) -> None:
    with pytest.raises(MaterialsInputInvalidError):
        _inspect(office, room=office.cabinet)


def test_first_day_of_month_is_stored(office: Office) -> None:
    inspection = _inspect(office, month=date(2024, 3, 17))

    assert inspection.month == date(2024, 3, 1)  # type: ignore[attr-defined]
