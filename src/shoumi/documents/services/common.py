"""Helpers shared by the document services: authorisation, audit events and opening a scan."""

from __future__ import annotations

from typing import Any, NoReturn

import structlog
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumi import crypto
from shoumi.access import alerts, gates, policy
from shoumi.accounts.models import User
from shoumi.audit import services as audit
from shoumi.audit.actions import Result
from shoumi.config import clock
from shoumi.documents.errors import DocumentAccessDeniedError, DocumentUnavailableError
from shoumi.documents.imaging import IntakeLimits
from shoumi.documents.imaging.intake import MEBIBYTE
from shoumi.documents.models import SCAN_FIELD, Document
from shoumi.documents.storage import get_document_storage
from shoumi.vault import services as vault

logger = structlog.get_logger(__name__)

DOCUMENT_LABEL = "documents.document"


def intake_limits() -> IntakeLimits:
    """Return the intake limits, with the upload size from ``settings.DOCUMENT_MAX_UPLOAD_MB``."""
    return IntakeLimits(max_file_bytes=settings.DOCUMENT_MAX_UPLOAD_MB * MEBIBYTE)


def today_local() -> Any:
    """Return today's date in the configured time zone, for the date printed on a copy."""
    return timezone.localdate(clock.now())


def record_event(
    *,
    action: str,
    actor: User | None,
    document: Document,
    request: HttpRequest | None,
    result: str = Result.SUCCESS,
    field: str = "",
    purpose: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Append an audit event about ``document``, in the caller's transaction if there is one."""
    audit.append(
        action=action,
        actor=actor,
        result=result,
        object_type=DOCUMENT_LABEL,
        object_id=document.pk,
        field=field,
        purpose=purpose,
        request=request,
        details={"client": str(document.client_id), **(details or {})},
    )


def authorise(
    *,
    user: User,
    document: Document,
    action: str,
    field: str,
    audit_action: str,
    approval_kind: str = "",
    purpose: str = "",
    request: HttpRequest | None = None,
) -> policy.Decision:
    """Check the gates and the policy for ``action`` on ``document``; audit and raise on refusal.

    Returns the allowing decision, which names the grant or the approval
    it rests on. Raises DocumentAccessDeniedError, with ``needs_approval``
    set when a two-person approval would allow the action.
    """
    failures = gates.failed_gates(user, request=request)
    if failures:
        deny(
            user=user,
            document=document,
            audit_action=audit_action,
            field=field,
            purpose=purpose,
            request=request,
            code=failures[0].code,
            message=failures[0].message,
        )

    decision = policy.decide(
        user,
        action,
        document.client,
        DOCUMENT_LABEL,
        field,
        subject_id=str(document.pk),
        approval_kind=approval_kind,
    )
    if not decision.allowed:
        deny(
            user=user,
            document=document,
            audit_action=audit_action,
            field=field,
            purpose=purpose,
            request=request,
            code=decision.code,
            message=decision.message,
            needs_approval=decision.needs_approval,
        )
    return decision


def deny(
    *,
    user: User,
    document: Document,
    audit_action: str,
    field: str,
    purpose: str,
    request: HttpRequest | None,
    code: str,
    message: str,
    needs_approval: bool = False,
) -> NoReturn:
    """Audit a refused access to ``document``, run the alert rules, and raise the refusal."""
    record_event(
        action=audit_action,
        actor=user,
        document=document,
        request=request,
        result=Result.DENIED,
        field=field,
        purpose=purpose,
        details={"reason": code},
    )
    logger.warning(
        "document_access_denied", user_id=user.pk, document_id=str(document.pk), reason=code
    )
    alerts.evaluate(user=user, action=audit_action, result=Result.DENIED, reason_code=code)
    raise DocumentAccessDeniedError(message, code=code, needs_approval=needs_approval)


def open_scan(document: Document) -> bytes:
    """Read and decrypt the stored scan; the caller has authorised and audited the access.

    Raises DocumentUnavailableError when the file is missing, altered, moved
    from another record, or its data key is gone.
    """
    storage = get_document_storage()
    try:
        sealed = storage.read(document.storage_name)
        return vault.open_bytes(record=document, field_name=SCAN_FIELD, sealed=sealed)
    except FileNotFoundError as error:
        logger.error("document_file_missing", document_id=str(document.pk))
        raise DocumentUnavailableError(
            _("The stored scan is missing. Tell the system administrator."), code="file_missing"
        ) from error
    except crypto.DecryptionError as error:
        logger.error("document_decrypt_failed", document_id=str(document.pk))
        raise DocumentUnavailableError(
            _("The stored scan could not be decrypted. Tell the security administrator."),
            code="decrypt_failed",
        ) from error
