"""Tracing a leaked copy: read its trace code and find the issued copy in the register.

The security administrator does this on the trace page, and an operator
with ``shoumi trace FILE`` on the server. Every attempt is audited, whether
a code was read, found in the register, or neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import structlog
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shoumi.accounts.models import User
from shoumi.accounts.roles import Role
from shoumi.audit import services as audit
from shoumi.audit.actions import Action as AuditAction
from shoumi.audit.actions import Result
from shoumi.documents.errors import (
    DocumentAccessDeniedError,
    DocumentInputInvalidError,
    TraceFailedError,
    UploadRejectedError,
)
from shoumi.documents.imaging import TraceCode, read_trace_code
from shoumi.documents.imaging.cli import trace_file
from shoumi.documents.imaging.errors import (
    IntakeError,
    InvalidTraceCodeError,
    TraceCodeNotFoundError,
)
from shoumi.documents.imaging.invisible import TraceReading
from shoumi.documents.models import IssuedCopy
from shoumi.documents.services.common import intake_limits
from shoumi.documents.services.intake import intake_error_message

logger = structlog.get_logger(__name__)

TRACE_ROLES = frozenset({Role.SECURITY_ADMIN})


@dataclass(frozen=True)
class TraceResult:
    """A trace code, how it was found, and the issued copy it belongs to (None if unregistered)."""

    trace_code: TraceCode
    source: str
    issued_copy: IssuedCopy | None
    confidence: str = ""


def trace_upload(
    *,
    actor: User,
    content: bytes | None = None,
    typed_code: str = "",
    request: HttpRequest | None = None,
) -> TraceResult:
    """Trace a leaked copy uploaded by the security administrator, or a code read off it.

    A file wins over a typed code. Raises DocumentAccessDeniedError for
    anyone but the security administrator, UploadRejectedError when intake
    rejects the file, DocumentInputInvalidError for a malformed code, and
    TraceFailedError when the file carries no readable code.
    """
    if not actor.is_active or not actor.role_set & TRACE_ROLES:
        raise DocumentAccessDeniedError(
            _("Only the security administrator traces leaked copies."), code="role_cannot_trace"
        )
    if content:
        limits = intake_limits()
        try:
            reading = read_trace_code(content, limits=limits)
        except TraceCodeNotFoundError as error:
            _record_failure(actor, "upload", error.code, request)
            raise _not_found_error() from error
        except IntakeError as error:
            _record_failure(actor, "upload", error.code, request)
            raise UploadRejectedError(
                intake_error_message(error, limits), field="file", code=error.code
            ) from error
        return _look_up(actor, reading.trace_code, "upload", request, reading)

    try:
        code = TraceCode.parse(typed_code)
    except InvalidTraceCodeError as error:
        raise DocumentInputInvalidError(
            _("Enter the 8 letters and digits of the trace code, for example 7K3M-Q9TX."),
            field="trace_code",
            code=error.code,
        ) from error
    return _look_up(actor, code, "typed", request, None)


def trace_path(*, path: Path) -> TraceResult:
    """Trace the file at ``path`` for ``shoumi trace``; the operator is the actor.

    Raises TraceFailedError when the file carries no readable code, and the
    imaging engine's errors (IntakeError, OSError) when it cannot be read.
    """
    try:
        reading = trace_file(path, limits=intake_limits())
    except TraceCodeNotFoundError as error:
        _record_failure(None, "command_line", error.code, None)
        raise _not_found_error() from error
    except IntakeError as error:
        _record_failure(None, "command_line", error.code, None)
        raise
    return _look_up(None, reading.trace_code, "command_line", None, reading)


def _look_up(
    actor: User | None,
    code: TraceCode,
    source: str,
    request: HttpRequest | None,
    reading: TraceReading | None,
) -> TraceResult:
    copy = (
        IssuedCopy.objects.select_related(
            "document", "document__client", "issued_by", "recipient_staff", "approval"
        )
        .filter(trace_code=str(code))
        .first()
    )
    confidence = reading.confidence if reading else ""
    audit.append(
        action=AuditAction.DOCUMENT_TRACED,
        actor=actor,
        result=Result.SUCCESS if copy else Result.FAILURE,
        object_type="documents.issuedcopy" if copy else "",
        object_id=copy.pk if copy else "",
        request=request,
        details={
            "trace_code": str(code),
            "source": source,
            "confidence": confidence,
            "registered": copy is not None,
            "document": str(copy.document_id) if copy else "",
        },
    )
    logger.info("document_traced", source=source, registered=copy is not None)
    return TraceResult(code, source, copy, confidence)


def _record_failure(
    actor: User | None, source: str, code: str, request: HttpRequest | None
) -> None:
    audit.append(
        action=AuditAction.DOCUMENT_TRACED,
        actor=actor,
        result=Result.FAILURE,
        request=request,
        details={"source": source, "reason": code},
    )
    logger.info("document_trace_failed", source=source, reason=code)


def _not_found_error() -> TraceFailedError:
    return TraceFailedError(
        _(
            "No trace code could be read from this file. It may not be a copy issued by "
            "shoumi, or it was compressed, shrunk or cropped too much. Type the trace code "
            "printed in the visible watermark instead."
        ),
        code="trace_code_not_found",
    )
