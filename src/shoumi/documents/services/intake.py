"""Upload of a scan: intake by the imaging engine, sealing, storage, audit.

The uploaded bytes are checked and re-encoded in memory (``sanitize``), the
clean content is sealed with the new document's data key, and only the
sealed bytes are written to storage. The plaintext never reaches the disk
here. A rejected upload is audited with the rejection code.
"""

from __future__ import annotations

import uuid

import structlog
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shoumi.access import policy
from shoumi.access.matrix import Action
from shoumi.accounts.models import User
from shoumi.audit import services as audit
from shoumi.audit.actions import Action as AuditAction
from shoumi.audit.actions import Result
from shoumi.clients.models import Client
from shoumi.config import clock
from shoumi.documents.errors import (
    DocumentAccessDeniedError,
    DocumentInputInvalidError,
    UploadRejectedError,
)
from shoumi.documents.imaging import IntakeLimits, sanitize
from shoumi.documents.imaging.errors import IntakeError
from shoumi.documents.imaging.intake import MEBIBYTE
from shoumi.documents.models import SCAN_FIELD, Document, DocumentType
from shoumi.documents.services.common import DOCUMENT_LABEL, intake_limits
from shoumi.documents.storage import get_document_storage
from shoumi.vault import services as vault

logger = structlog.get_logger(__name__)


def intake_error_message(error: IntakeError, limits: IntakeLimits) -> str:
    """Return the translated message for an intake rejection, chosen by its code.

    The engine's own messages are Chinese only; these follow the UI language.
    """
    messages = {
        "unsupported_file_type": _(
            "This file type is not supported. Upload a JPEG, PNG or HEIC image or a PDF. "
            "A file whose name does not match its content is rejected too."
        ),
        "file_too_large": _("The file is larger than %(limit)d MB. Compress or split it.")
        % {"limit": limits.max_file_bytes // MEBIBYTE},
        "image_too_large": _(
            "The image has more than %(limit)d million pixels. Scan at a lower resolution."
        )
        % {"limit": limits.max_pixels // 1_000_000},
        "decompression_bomb": _(
            "The file would expand to an abnormally large image when decoded "
            "(a decompression bomb), so it was rejected. Upload an ordinary scan or photo."
        ),
        "corrupt_file": _(
            "The file is damaged, encrypted or cannot be decoded. Scan or export it again."
        ),
        "too_many_pages": _("The PDF has more than %(limit)d pages. Split it and upload the parts.")
        % {"limit": limits.max_pages},
        "page_too_large": _(
            "A page of the PDF is too large. Check the page size and the scan resolution."
        ),
    }
    return messages.get(error.code, error.message)


def document_upload(
    *,
    actor: User,
    client: Client,
    document_type: str,
    content: bytes,
    request: HttpRequest | None = None,
) -> Document:
    """Check, seal and store an uploaded scan of ``client``'s document.

    ``client`` must come from a selector, so the actor can see it. Uploading
    counts as editing the scan field, so the policy matrix decides who may
    (clerks and administrators, or a temporary edit grant). Raises
    DocumentInputInvalidError for an unknown document type,
    DocumentAccessDeniedError when the policy refuses, and
    UploadRejectedError (``field == "file"``, ``code`` the intake code) when
    intake rejects the file.
    """
    if document_type not in DocumentType.values:
        raise DocumentInputInvalidError(
            _("Choose the document type."), field="document_type", code="document_type_invalid"
        )
    decision = policy.decide(actor, Action.EDIT, client, DOCUMENT_LABEL, SCAN_FIELD)
    if not decision.allowed:
        raise DocumentAccessDeniedError(decision.message, code=decision.code)

    limits = intake_limits()
    try:
        # TODO: intake decodes hostile files in the web process; move it to a
        # worker with memory and time limits once shoumi has a task runner.
        clean = sanitize(content, limits=limits)
    except IntakeError as error:
        _record_rejection(actor, client, document_type, error.code, request)
        raise UploadRejectedError(
            intake_error_message(error, limits), field="file", code=error.code
        ) from error

    document = Document(
        id=uuid.uuid4(),
        client=client,
        document_type=document_type,
        source_kind=clean.kind.value,
        media_type=clean.media_type,
        page_count=clean.page_count,
        width=clean.width,
        height=clean.height,
        stored_bytes=len(clean.content),
        uploaded_by=actor,
        uploaded_at=clock.now(),
    )
    document.storage_name = f"{document.pk}.sealed"
    sealed = vault.seal_bytes(record=document, field_name=SCAN_FIELD, content=clean.content)

    storage = get_document_storage()
    storage.write(document.storage_name, sealed)
    try:
        with transaction.atomic():
            document.full_clean(exclude=["data_key", "storage_name"])
            document.save(force_insert=True)
            audit.append(
                action=AuditAction.DOCUMENT_UPLOADED,
                actor=actor,
                object_type=DOCUMENT_LABEL,
                object_id=document.pk,
                field=SCAN_FIELD,
                request=request,
                details={
                    "client": str(client.pk),
                    "document_type": document_type,
                    "kind": document.source_kind,
                    "pages": document.page_count,
                    "bytes": document.stored_bytes,
                    "grant": decision.grant_id,
                },
            )
    except BaseException:
        # Without its row the file's data key is lost, so nothing could open it.
        storage.delete(document.storage_name)
        raise
    logger.info(
        "document_uploaded",
        document_id=str(document.pk),
        kind=document.source_kind,
        pages=document.page_count,
    )
    return document


def _record_rejection(
    actor: User, client: Client, document_type: str, code: str, request: HttpRequest | None
) -> None:
    audit.append(
        action=AuditAction.DOCUMENT_UPLOADED,
        actor=actor,
        result=Result.FAILURE,
        object_type=DOCUMENT_LABEL,
        field=SCAN_FIELD,
        request=request,
        details={"client": str(client.pk), "document_type": document_type, "reason": code},
    )
    logger.warning("document_upload_rejected", client_id=str(client.pk), reason=code)
