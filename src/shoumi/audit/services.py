"""Append audit events.

``append`` is the one way into the audit trail. It runs inside the caller's
transaction, so if the event cannot be written the caller's action rolls
back with it (fail closed). Values in ``details`` pass through the same
identifier-shape redaction as the logs; callers must still pass ids and
masks only, never plaintext.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from django.db import DatabaseError, transaction
from django.http import HttpRequest

from shoumi.audit.actions import Action, Result
from shoumi.audit.errors import AuditError
from shoumi.audit.models import AuditEvent
from shoumi.config import clock
from shoumi.config.logging import redact_text

logger = structlog.get_logger(__name__)

DetailValue = str | int | bool | None


def client_ip_of(request: HttpRequest | None) -> str | None:
    """Return the client address Django saw (REMOTE_ADDR), or None."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _clean_details(details: Mapping[str, Any] | None) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in (details or {}).items():
        if isinstance(value, (list, tuple)):
            cleaned[key] = [_clean_scalar(key, item) for item in value]
        else:
            cleaned[key] = _clean_scalar(key, value)
    return cleaned


def _clean_scalar(key: str, value: Any) -> DetailValue:
    if value is None or isinstance(value, (bool, int)):
        return value
    if not isinstance(value, str):
        raise AuditError(
            f"Audit detail {key!r} has type {type(value).__name__}; use str, int, bool or None."
        )
    redacted = redact_text(value)
    if redacted != value:
        logger.warning("audit_detail_redacted", detail_key=key)
    return redacted


def append(
    *,
    action: str,
    actor: Any = None,
    result: str = Result.SUCCESS,
    object_type: str = "",
    object_id: object = "",
    field: str = "",
    purpose: str = "",
    request: HttpRequest | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event and return it.

    Raises AuditError for an unknown action or result, or when the event
    cannot be stored; the caller's transaction must then roll back.
    """
    if action not in Action.values:
        raise AuditError(f"Unknown audit action {action!r}; add it to shoumi.audit.actions.Action.")
    if result not in Result.values:
        raise AuditError(f"Unknown audit result {result!r}.")

    is_known_actor = actor is not None and getattr(actor, "pk", None) is not None
    event = AuditEvent(
        occurred_at=clock.now(),
        actor_id=actor.pk if is_known_actor else None,
        actor_employee_number=actor.employee_number if is_known_actor else "",
        actor_roles=",".join(sorted(actor.role_set)) if is_known_actor else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        field=field,
        purpose=redact_text(purpose),
        result=result,
        client_ip=client_ip_of(request),
        request_id=getattr(request, "request_id", "") if request is not None else "",
        details=_clean_details(details),
    )
    try:
        with transaction.atomic():
            event.save()
    except DatabaseError as error:
        logger.critical("audit_append_failed", action=action, error_type=type(error).__name__)
        raise AuditError("The audit event could not be stored.") from error
    return event
