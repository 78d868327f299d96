"""The sensor endpoint: the one page of shoumi that needs no staff login.

A sensor posts JSON to ``/materials/sensors/<sensor id>/readings/`` with
``Authorization: Bearer <token>``:

    {"temperature": 20.5, "humidity": 55.0, "measured_at": "2026-12-04T08:00:00+08:00"}

``measured_at`` is optional. Status codes: 201 with the opened alerts, 400 for an
invalid body, 401 for a wrong sensor id or token (one answer for both), 413
for a body over 4 KiB, 429 when the rate limit is hit.

What this protects against: forged readings (per-sensor token, stored as a
SHA-256 hash and compared in constant time), guessing tokens (rate limit per
client address and per sensor), CSRF (none needed: no cookie is read, the
token travels in a header). What it does not: the rate limit lives in
Django's cache, which is per process with the default local-memory cache,
so several worker processes multiply the limit unless the cache is shared
(Redis or the database cache).
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shoumi.audit.services import client_ip_of
from shoumi.materials import services
from shoumi.materials.errors import SensorAuthenticationError, SensorReadingInvalidError

logger = structlog.get_logger(__name__)

MAX_BODY_BYTES = 4096
# Requests per minute: a sensor normally posts once a minute or less often.
REQUESTS_PER_MINUTE_PER_ADDRESS = 60
REQUESTS_PER_MINUTE_PER_SENSOR = 12
RATE_WINDOW_SECONDS = 60


def _over_limit(key: str, limit: int) -> bool:
    """Count a request against ``key`` in this minute; return whether it passes ``limit``."""
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:
        # The key expired between add and incr: this is the first request of a new window.
        cache.set(key, 1, timeout=RATE_WINDOW_SECONDS)
        count = 1
    return count > limit


def _bearer_token(request: HttpRequest) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _separator, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


@login_not_required
@csrf_exempt
@require_POST
def sensor_reading_view(request: HttpRequest, sensor_id: Any) -> JsonResponse:
    address = client_ip_of(request) or "unknown"
    if _over_limit(f"materials:sensor-address:{address}", REQUESTS_PER_MINUTE_PER_ADDRESS) or (
        _over_limit(f"materials:sensor:{sensor_id}", REQUESTS_PER_MINUTE_PER_SENSOR)
    ):
        logger.warning("sensor_rate_limited", sensor_id=str(sensor_id))
        return _error(429, "rate_limited", "Too many requests; post at most once a minute.")
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
        return _error(413, "body_too_large", "The body is larger than 4096 bytes.")

    try:
        sensor = services.sensor_authenticate(
            sensor_id=str(sensor_id), token=_bearer_token(request)
        )
    except SensorAuthenticationError:
        logger.warning("sensor_authentication_failed", sensor_id=str(sensor_id))
        return _error(401, "unauthorised", "Unknown sensor or wrong token.")

    try:
        body = json.loads(request.body[: MAX_BODY_BYTES + 1] or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _error(400, "invalid_json", "The body must be a JSON object.")
    if not isinstance(body, dict):
        return _error(400, "invalid_json", "The body must be a JSON object.")
    measured_at = None
    if body.get("measured_at") is not None:
        measured_at = parse_datetime(str(body["measured_at"]))
        if measured_at is None or measured_at.tzinfo is None:
            return _error(400, "invalid_reading", "measured_at must be ISO 8601 with a time zone.")
    try:
        reading, opened = services.sensor_reading_record(
            sensor=sensor,
            temperature=body.get("temperature"),
            humidity=body.get("humidity"),
            measured_at=measured_at,
        )
    except SensorReadingInvalidError as error:
        return _error(400, "invalid_reading", error.message)
    return JsonResponse(
        {"reading": reading.pk, "alerts_opened": [alert.kind for alert in opened]}, status=201
    )
