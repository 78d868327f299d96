"""Helpers shared by the materials services: the clock, text checks and audit events."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumi.accounts.models import User
from shoumi.audit import services as audit
from shoumi.config import clock
from shoumi.materials.errors import MaterialsInputInvalidError
from shoumi.vault.free_text import reject_identifiers


def today() -> date:
    """Return today's date in the configured time zone (Asia/Shanghai by default)."""
    return timezone.localdate(clock.now())


def clean_text(text: str, *, field: str, minimum: int, maximum: int, message: str) -> str:
    """Collapse whitespace in ``text`` and check its length, else raise with ``message``.

    Also raises MaterialsInputInvalidError when the text contains a personal
    identifier, because every text this cleans is stored unencrypted.
    """
    cleaned = " ".join((text or "").split())
    if not minimum <= len(cleaned) <= maximum:
        raise MaterialsInputInvalidError(message, field=field)
    reject_identifiers(MaterialsInputInvalidError, **{field: cleaned})
    return cleaned


def clean_note(text: str, *, field: str, maximum: int) -> str:
    """Collapse whitespace in an optional note and cut it to ``maximum`` characters.

    Raises MaterialsInputInvalidError when the note contains a personal identifier.
    """
    cleaned = " ".join((text or "").split())[:maximum]
    reject_identifiers(MaterialsInputInvalidError, **{field: cleaned})
    return cleaned


def require_active_staff(user: User | None, *, field: str) -> User:
    if user is None or not user.is_active:
        raise MaterialsInputInvalidError(_("Choose an active staff member."), field=field)
    return user


def record_event(
    *,
    action: str,
    actor: User | None,
    record: Model,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
    purpose: str = "",
) -> None:
    """Append the audit event of a change to ``record``, in the caller's transaction."""
    audit.append(
        action=action,
        actor=actor,
        object_type=record._meta.label_lower,
        object_id=record.pk,
        purpose=purpose,
        request=request,
        details=details or {},
    )
