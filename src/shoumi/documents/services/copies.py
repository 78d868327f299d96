"""Marked copies, thumbnails, two-person approvals and the export of an unmarked original.

Every look at a scan produces a new marked copy: the visible watermark states
the purpose, "再复印无效", the recipient, the date and the trace code, and the
invisible watermark carries the trace code again. Before the scan is
decrypted, the copy is registered (``IssuedCopy``) and its audit event is
committed, so a failed audit write means nothing is decrypted. If the copy
then cannot be made (missing file, missing font), a failure event follows,
and the registered trace code appears on no file.

Viewing and thumbnails are reveals for the policy, and downloading and
printing are exports (see ``shoumi.documents.sensitivity``). A thumbnail never
uses up a two-person approval; such an approval is kept for the full view.
No function here returns the unmarked scan except ``original_export``, which
always needs a two-person approval of its own kind.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shoumi.access import alerts, approvals, policy
from shoumi.access.matrix import Action, Outcome, outcome_for_roles
from shoumi.access.models import ApprovalKind, ApprovalRequest
from shoumi.accounts.models import User
from shoumi.audit.actions import Action as AuditAction
from shoumi.audit.actions import Result
from shoumi.config import clock
from shoumi.documents.errors import (
    DocumentAccessDeniedError,
    DocumentInputInvalidError,
    DocumentsError,
    DocumentUnavailableError,
    WatermarkUnavailableError,
)
from shoumi.documents.imaging import (
    FileKind,
    TraceCode,
    VisibleMark,
    find_cjk_font,
    make_thumbnail,
    mark_document,
)
from shoumi.documents.imaging.copies import COPY_JPEG_QUALITY, COPY_PDF_DPI
from shoumi.documents.imaging.errors import FontConfigurationError, ImagingError
from shoumi.documents.imaging.intake import encode_image
from shoumi.documents.imaging.pdf import render_pages
from shoumi.documents.models import (
    ORIGINAL_FIELD,
    SCAN_FIELD,
    CopyChannel,
    Document,
    IssuedCopy,
    RecipientKind,
)
from shoumi.documents.services.common import (
    authorise,
    deny,
    intake_limits,
    open_scan,
    record_event,
    today_local,
)
from shoumi.vault.free_text import reject_identifiers
from shoumi.vault.sensitivity import Sensitivity

logger = structlog.get_logger(__name__)

PURPOSE_MIN_LENGTH = 2
PURPOSE_MAX_LENGTH = 30
RECIPIENT_MIN_LENGTH = 2
RECIPIENT_MAX_LENGTH = 40
# Printed as "仅供在系统内预览使用，再复印无效" on every thumbnail.
THUMBNAIL_PURPOSE = "在系统内预览"

# For the policy, viewing, downloading and printing are all reveals: each
# gives one marked, registered copy to one person, so a reviewer who may see
# the scan may also take a copy of it. Bulk exports are what the EXPORT row
# of the matrix guards. In the audit trail downloads and prints are exports,
# so the export alerts count them.
CHANNEL_ACTIONS: dict[str, str] = {
    CopyChannel.VIEW: Action.REVEAL,
    CopyChannel.DOWNLOAD: Action.REVEAL,
    CopyChannel.PRINT: Action.REVEAL,
    CopyChannel.THUMBNAIL: Action.REVEAL,
}
CHANNEL_AUDIT_ACTIONS: dict[str, str] = {
    CopyChannel.VIEW: AuditAction.REVEAL,
    CopyChannel.DOWNLOAD: AuditAction.EXPORT,
    CopyChannel.PRINT: AuditAction.EXPORT,
    CopyChannel.THUMBNAIL: AuditAction.DOCUMENT_PREVIEWED,
}
CHANNEL_APPROVAL_KINDS: dict[str, str] = {
    CopyChannel.VIEW: ApprovalKind.BREAK_GLASS_REVEAL,
    CopyChannel.DOWNLOAD: ApprovalKind.COPY_EXPORT,
    CopyChannel.PRINT: ApprovalKind.COPY_EXPORT,
}
FILE_EXTENSIONS = {FileKind.PDF.media_type: "pdf", FileKind.JPEG.media_type: "jpg"}
ORIGINAL_EXTENSIONS = {**FILE_EXTENSIONS, FileKind.PNG.media_type: "png"}


@dataclass(frozen=True)
class Recipient:
    """The recipient of a copy and the name printed for them in the watermark."""

    kind: str
    name: str
    staff: User | None = None

    @classmethod
    def for_staff(cls, user: User) -> Recipient:
        return cls(RecipientKind.STAFF, f"{user.full_name}（{user.employee_number}）", user)

    @classmethod
    def for_vendor(cls, name: str) -> Recipient:
        return cls(RecipientKind.VENDOR, " ".join(name.split()))


@dataclass(frozen=True)
class IssuedFile:
    """A marked copy as issued: its register entry, bytes, media type and file name."""

    copy: IssuedCopy
    content: bytes
    media_type: str
    filename: str


@dataclass(frozen=True)
class OriginalFile:
    """The unmarked original of a document, after a two-person approval."""

    content: bytes
    media_type: str
    filename: str


# Input -----------------------------------------------------------------------------


def clean_purpose(text: str) -> str:
    """Return the purpose as printed after "仅供", without a "仅供" or "使用" the user typed.

    Raises DocumentInputInvalidError (field ``purpose``) unless 2 to 30
    characters remain, or when the purpose contains a personal identifier,
    which would be stored in clear and printed on the copy.
    """
    purpose = " ".join(text.split())
    purpose = purpose.removeprefix("仅供").removesuffix("，再复印无效").removesuffix("使用")
    purpose = purpose.strip()
    if not PURPOSE_MIN_LENGTH <= len(purpose) <= PURPOSE_MAX_LENGTH:
        raise DocumentInputInvalidError(
            _("State the purpose in 2 to 30 characters, for example: 办理税务登记."),
            field="purpose",
            code="purpose_invalid",
        )
    reject_identifiers(DocumentInputInvalidError, purpose=purpose)
    return purpose


def _check_recipient(recipient: Recipient) -> None:
    field = "vendor_name" if recipient.kind == RecipientKind.VENDOR else "recipient_staff"
    if recipient.kind == RecipientKind.STAFF:
        if recipient.staff is None or not recipient.staff.is_active:
            raise DocumentInputInvalidError(
                _("Choose an active staff member as the recipient."),
                field=field,
                code="recipient_invalid",
            )
    elif recipient.kind != RecipientKind.VENDOR:
        raise DocumentInputInvalidError(
            _("Choose who receives the copy."), field="recipient_kind", code="recipient_invalid"
        )
    is_vendor = recipient.kind == RecipientKind.VENDOR
    if is_vendor and not RECIPIENT_MIN_LENGTH <= len(recipient.name) <= RECIPIENT_MAX_LENGTH:
        raise DocumentInputInvalidError(
            _("Enter the recipient's name in 2 to 40 characters."),
            field=field,
            code="recipient_invalid",
        )
    if is_vendor:
        reject_identifiers(DocumentInputInvalidError, vendor_name=recipient.name)


def _check_glyphs(purpose: str, recipient: Recipient) -> None:
    """Raise unless the watermark font can draw the purpose and the recipient's name."""
    try:
        font = find_cjk_font()
    except FontConfigurationError as error:
        logger.error("watermark_font_missing", error=error.message)
        raise _watermark_unavailable() from error
    if font.missing_characters(purpose):
        raise DocumentInputInvalidError(
            _("The purpose contains characters that the watermark cannot print. Reword it."),
            field="purpose",
            code="purpose_unprintable",
        )
    if font.missing_characters(recipient.name):
        field = "vendor_name" if recipient.kind == RecipientKind.VENDOR else "recipient_staff"
        raise DocumentInputInvalidError(
            _("The recipient's name contains characters that the watermark cannot print."),
            field=field,
            code="recipient_unprintable",
        )


def _watermark_unavailable() -> WatermarkUnavailableError:
    return WatermarkUnavailableError(
        _("The watermark font is not installed, so no copy can be made. Tell the administrator.")
    )


# Copies ----------------------------------------------------------------------------


def copy_issue(
    *,
    actor: User,
    document: Document,
    channel: str,
    purpose: str,
    recipient: Recipient,
    request: HttpRequest | None = None,
) -> IssuedFile:
    """Register, audit and make a marked copy of ``document`` for ``recipient``.

    ``channel`` is view, download or print. Images become JPEG and PDFs
    stay PDF, with the marks burned into every page. Raises
    DocumentInputInvalidError for invalid input, DocumentAccessDeniedError
    when a gate or the policy refuses (audited, and ``needs_approval`` is
    true when an approval would help), ApprovalError when the approval was
    used up in the meantime, and DocumentUnavailableError or
    WatermarkUnavailableError when the copy cannot be made.
    """
    if channel not in CHANNEL_APPROVAL_KINDS:
        raise DocumentInputInvalidError(
            _("Choose view, download or print."), field="channel", code="channel_invalid"
        )
    purpose = clean_purpose(purpose)
    _check_recipient(recipient)
    _check_glyphs(purpose, recipient)
    decision = authorise(
        user=actor,
        document=document,
        action=CHANNEL_ACTIONS[channel],
        field=SCAN_FIELD,
        audit_action=CHANNEL_AUDIT_ACTIONS[channel],
        approval_kind=CHANNEL_APPROVAL_KINDS[channel],
        purpose=purpose,
        request=request,
    )

    copy = _register(actor, document, channel, purpose, recipient, decision, request)
    mark = VisibleMark(
        purpose=purpose,
        recipient=recipient.name,
        issued_on=copy.issued_on,
        trace_code=TraceCode.parse(copy.trace_code),
    )
    plaintext = _open_for_copy(actor, document, copy, request)
    try:
        marked = mark_document(plaintext, mark, limits=intake_limits())
    except ImagingError as error:
        raise _copy_failed(actor, document, copy, request, error) from error

    extension = FILE_EXTENSIONS.get(marked.media_type, "bin")
    filename = f"shoumi-{document.document_type}-{copy.trace_code}.{extension}"
    logger.info(
        "document_copy_issued", document_id=str(document.pk), copy_id=str(copy.pk), channel=channel
    )
    return IssuedFile(copy, marked.content, marked.media_type, filename)


def thumbnail_issue(
    *, actor: User, document: Document, request: HttpRequest | None = None
) -> bytes:
    """Register, audit and return a marked JPEG thumbnail of the first page for ``actor``.

    Allowed where viewing is allowed without a two-person approval. Raises
    like ``copy_issue``.
    """
    recipient = Recipient.for_staff(actor)
    decision = authorise(
        user=actor,
        document=document,
        action=Action.REVEAL,
        field=SCAN_FIELD,
        audit_action=AuditAction.DOCUMENT_PREVIEWED,
        purpose=THUMBNAIL_PURPOSE,
        request=request,
    )
    if decision.approval_id:
        # An approval is for one full view; a thumbnail must not use it up.
        deny(
            user=actor,
            document=document,
            audit_action=AuditAction.DOCUMENT_PREVIEWED,
            field=SCAN_FIELD,
            purpose=THUMBNAIL_PURPOSE,
            request=request,
            code="needs_second_person",
            message=_("Thumbnails are not shown on a two-person approval. Open the document."),
        )

    copy = _register(
        actor, document, CopyChannel.THUMBNAIL, THUMBNAIL_PURPOSE, recipient, decision, request
    )
    mark = VisibleMark(
        purpose=THUMBNAIL_PURPOSE,
        recipient=recipient.name,
        issued_on=copy.issued_on,
        trace_code=TraceCode.parse(copy.trace_code),
    )
    plaintext = _open_for_copy(actor, document, copy, request)
    try:
        return make_thumbnail(plaintext, mark, limits=intake_limits())
    except ImagingError as error:
        raise _copy_failed(actor, document, copy, request, error) from error


def page_images(issued: IssuedFile) -> list[bytes]:
    """Return each page of an issued copy as JPEG bytes, for showing it in a web page.

    An image copy is already one JPEG page. A PDF copy is rendered page by
    page from the issued file, so the pages shown are the copy registered.
    """
    if issued.media_type != FileKind.PDF.media_type:
        return [issued.content]
    pages = render_pages(issued.content, dpi=COPY_PDF_DPI, limits=intake_limits())
    return [encode_image(page, "JPEG", quality=COPY_JPEG_QUALITY) for page in pages]


def _register(
    actor: User,
    document: Document,
    channel: str,
    purpose: str,
    recipient: Recipient,
    decision: policy.Decision,
    request: HttpRequest | None,
) -> IssuedCopy:
    """Use up the approval, register the copy under a new trace code and audit it, atomically."""
    audit_action = CHANNEL_AUDIT_ACTIONS[channel]
    with transaction.atomic():
        if decision.approval_id:
            approvals.approval_consume(approval_id=decision.approval_id, actor=actor)
        copy = IssuedCopy.objects.create(
            document=document,
            trace_code=_new_trace_code(),
            channel=channel,
            issued_by=actor,
            recipient_kind=recipient.kind,
            recipient_staff=recipient.staff,
            recipient_name=recipient.name,
            purpose=purpose,
            issued_on=today_local(),
            issued_at=clock.now(),
            media_type=_copy_media_type(document, channel),
            page_count=1 if channel == CopyChannel.THUMBNAIL else document.page_count,
            approval_id=decision.approval_id or None,
        )
        record_event(
            action=audit_action,
            actor=actor,
            document=document,
            request=request,
            field=SCAN_FIELD,
            purpose=purpose,
            details={
                "copy": str(copy.pk),
                "trace_code": copy.trace_code,
                "channel": channel,
                "recipient_kind": recipient.kind,
                "recipient_staff": recipient.staff.pk if recipient.staff else None,
                "recipient": recipient.name,
                "grant": decision.grant_id,
                "approval": decision.approval_id,
            },
        )
    alerts.evaluate(user=actor, action=audit_action, result=Result.SUCCESS)
    return copy


def _new_trace_code() -> str:
    """Return a printed trace code that no issued copy has yet."""
    while True:
        code = str(TraceCode.generate())
        if not IssuedCopy.objects.filter(trace_code=code).exists():
            return code


def _copy_media_type(document: Document, channel: str) -> str:
    if channel != CopyChannel.THUMBNAIL and document.media_type == FileKind.PDF.media_type:
        return FileKind.PDF.media_type
    return FileKind.JPEG.media_type


def _open_for_copy(
    actor: User, document: Document, copy: IssuedCopy, request: HttpRequest | None
) -> bytes:
    try:
        return open_scan(document)
    except DocumentUnavailableError as error:
        raise _copy_failed(actor, document, copy, request, error) from error


def _copy_failed(
    actor: User,
    document: Document,
    copy: IssuedCopy,
    request: HttpRequest | None,
    error: Exception,
) -> DocumentsError:
    """Audit that a registered copy was not made, and return the error to raise."""
    code = getattr(error, "code", type(error).__name__)
    record_event(
        action=CHANNEL_AUDIT_ACTIONS[copy.channel],
        actor=actor,
        document=document,
        request=request,
        result=Result.FAILURE,
        field=SCAN_FIELD,
        purpose=copy.purpose,
        details={"copy": str(copy.pk), "trace_code": copy.trace_code, "reason": code},
    )
    logger.error("document_copy_failed", copy_id=str(copy.pk), reason=code)
    if isinstance(error, DocumentsError):
        return error
    if isinstance(error, FontConfigurationError):
        return _watermark_unavailable()
    return DocumentUnavailableError(
        _("The stored scan could not be processed. Tell the system administrator."),
        code="copy_failed",
    )


# Two-person approvals ----------------------------------------------------------------


def copy_approval_request(
    *,
    actor: User,
    document: Document,
    channel: str,
    reason: str,
    request: HttpRequest | None = None,
) -> ApprovalRequest:
    """Ask a second person to approve one view, download or print of ``document`` by ``actor``.

    Raises DocumentAccessDeniedError when the client is not the actor's own
    or the actor's role cannot do this even with an approval, and
    ApprovalError for a missing reason.
    """
    if channel not in CHANNEL_APPROVAL_KINDS:
        raise DocumentInputInvalidError(
            _("Choose view, download or print."), field="channel", code="channel_invalid"
        )
    action = CHANNEL_ACTIONS[channel]
    summary = (
        _("View a marked copy of %(document_type)s of %(client)s")
        if channel == CopyChannel.VIEW
        else _("Download or print a marked copy of %(document_type)s of %(client)s")
    )
    return _approval_request(
        actor=actor,
        document=document,
        action=action,
        field=SCAN_FIELD,
        kind=CHANNEL_APPROVAL_KINDS[channel],
        summary=summary,
        reason=reason,
        request=request,
    )


def original_export_request(
    *, actor: User, document: Document, reason: str, request: HttpRequest | None = None
) -> ApprovalRequest:
    """Ask a manager or the security administrator to approve one export of the original."""
    return _approval_request(
        actor=actor,
        document=document,
        action=Action.EXPORT,
        field=ORIGINAL_FIELD,
        kind=ApprovalKind.ORIGINAL_EXPORT,
        summary=_("Export the unmarked original of %(document_type)s of %(client)s"),
        reason=reason,
        request=request,
    )


def _approval_request(
    *,
    actor: User,
    document: Document,
    action: str,
    field: str,
    kind: str,
    summary: str,
    reason: str,
    request: HttpRequest | None,
) -> ApprovalRequest:
    if not policy.is_own_client(actor, document.client):
        raise DocumentAccessDeniedError(
            _("This client is not assigned to you or your department."),
            code="client_not_assigned",
        )
    level = policy.sensitivity_of("documents.document", field) or Sensitivity.HIGHLY_SENSITIVE
    if outcome_for_roles(actor.role_set, level, action) != Outcome.TWO_PERSON:
        raise DocumentAccessDeniedError(
            _("Your role cannot do this, not even with a two-person approval."),
            code="approval_not_applicable",
        )
    return approvals.approval_request(
        actor=actor,
        kind=kind,
        subject={"model": "documents.document", "id": str(document.pk), "field": field},
        subject_key=policy.subject_key("documents.document", str(document.pk), field),
        summary=summary
        % {"document_type": document.get_document_type_display(), "client": document.client.name},
        reason=reason,
        request=request,
    )


# Original export -----------------------------------------------------------------------


def original_export(
    *, actor: User, document: Document, request: HttpRequest | None = None
) -> OriginalFile:
    """Return the unmarked original, once, on an approved two-person request of its own kind.

    The policy decides who may ask at all (the ``original`` field is highly
    sensitive, so only administrators), and a temporary grant is never
    enough. Raises DocumentAccessDeniedError (audited) without such an
    approval, and DocumentUnavailableError when the scan cannot be opened.
    """
    audit_action = AuditAction.DOCUMENT_ORIGINAL_EXPORTED
    decision = authorise(
        user=actor,
        document=document,
        action=Action.EXPORT,
        field=ORIGINAL_FIELD,
        audit_action=audit_action,
        approval_kind=ApprovalKind.ORIGINAL_EXPORT,
        request=request,
    )
    if not decision.approval_id:
        deny(
            user=actor,
            document=document,
            audit_action=audit_action,
            field=ORIGINAL_FIELD,
            purpose="",
            request=request,
            code="needs_second_person",
            message=_("Exporting the original always needs a two-person approval."),
            needs_approval=True,
        )

    with transaction.atomic():
        approvals.approval_consume(approval_id=decision.approval_id, actor=actor)
        record_event(
            action=audit_action,
            actor=actor,
            document=document,
            request=request,
            field=ORIGINAL_FIELD,
            details={"approval": decision.approval_id},
        )
    alerts.evaluate(user=actor, action=AuditAction.EXPORT, result=Result.SUCCESS)
    try:
        content = open_scan(document)
    except DocumentUnavailableError as error:
        record_event(
            action=audit_action,
            actor=actor,
            document=document,
            request=request,
            result=Result.FAILURE,
            field=ORIGINAL_FIELD,
            details={"approval": decision.approval_id, "reason": error.code},
        )
        raise
    extension = ORIGINAL_EXTENSIONS.get(document.media_type, "bin")
    logger.info("document_original_exported", document_id=str(document.pk))
    return OriginalFile(
        content, document.media_type, f"shoumi-{document.document_type}-original.{extension}"
    )
