"""Document pages: the list on the client page, upload, viewer, copies, approvals, tracing.

No view returns the unmarked scan, except ``original_export_view`` after a
two-person approval. Every response that carries scan content is marked
``Cache-Control: no-store``.
"""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shoumi.access.errors import ApprovalError
from shoumi.accounts.decorators import role_required
from shoumi.accounts.http import AuthenticatedRequest
from shoumi.accounts.roles import Role
from shoumi.clients.models import Client
from shoumi.documents import selectors, services
from shoumi.documents.errors import DocumentAccessDeniedError, DocumentsError
from shoumi.documents.forms import ApprovalRequestForm, CopyForm, DocumentUploadForm, TraceForm
from shoumi.documents.models import CopyChannel, Document, RecipientKind
from shoumi.documents.services.common import intake_limits
from shoumi.documents.uploads import use_memory_only_uploads


def _client_or_404(request: AuthenticatedRequest, client_id: Any) -> Client:
    client = selectors.client_get(user=request.user, client_id=client_id)
    if client is None:
        raise Http404
    return client


def _document_or_404(request: AuthenticatedRequest, document_id: Any) -> Document:
    document = selectors.document_get(user=request.user, document_id=document_id)
    if document is None:
        raise Http404
    return document


def _apply_error(form: Any, error: DocumentsError) -> None:
    target = error.field if error.field in form.fields else None
    form.add_error(target, error.message)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _file_too_large_message() -> str:
    limit = intake_limits().max_file_bytes // (1024 * 1024)
    return _("The file is larger than %(limit)d MB. Compress or split it.") % {"limit": limit}


# Client page -------------------------------------------------------------------------


@require_GET
def client_documents_view(request: AuthenticatedRequest, client_id: Any) -> HttpResponse:
    client = _client_or_404(request, client_id)
    context = {
        "client": client,
        "documents": selectors.document_list(user=request.user, client=client),
        "can_preview": selectors.can_preview(user=request.user, client=client),
    }
    template = (
        "documents/partials/document_list.html"
        if request.htmx  # type: ignore[attr-defined]
        else "documents/client_documents.html"
    )
    return render(request, template, context)


@csrf_exempt
def document_upload_view(request: AuthenticatedRequest, client_id: Any) -> HttpResponse:
    # The upload handlers must be replaced before the CSRF check reads the
    # body, so the check runs inside (csrf_protect) instead of in the middleware.
    handler = use_memory_only_uploads(request, max_bytes=intake_limits().max_file_bytes)
    return _document_upload(request, client_id, handler.oversized_fields)


@csrf_protect
@require_http_methods(["GET", "POST"])
def _document_upload(
    request: AuthenticatedRequest, client_id: Any, oversized_fields: list[str]
) -> HttpResponse:
    client = _client_or_404(request, client_id)
    form = DocumentUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        is_valid = form.is_valid()
        if "file" in oversized_fields:
            form.add_error("file", _file_too_large_message())
        elif is_valid:
            try:
                document = services.document_upload(
                    actor=request.user,
                    client=client,
                    document_type=form.cleaned_data["document_type"],
                    content=form.cleaned_data["file"].read(),
                    request=request,
                )
            except DocumentsError as error:
                _apply_error(form, error)
            else:
                messages.success(request, _("The scan was encrypted and stored."))
                return redirect("documents:detail", document_id=document.pk)
    return render(request, "documents/upload.html", {"form": form, "client": client})


# Viewer and copies ----------------------------------------------------------------------


def _detail_context(request: AuthenticatedRequest, document: Document) -> dict[str, Any]:
    return {
        "document": document,
        "client": document.client,
        "can_preview": selectors.can_preview(user=request.user, client=document.client),
        "copies": selectors.copy_list(user=request.user, document=document)[:100],
        "can_ask_original_export": selectors.can_ask_original_export(
            user=request.user, document=document
        ),
        "approval_form": ApprovalRequestForm(),
    }


@require_GET
def document_detail_view(request: AuthenticatedRequest, document_id: Any) -> HttpResponse:
    document = _document_or_404(request, document_id)
    form = CopyForm(
        initial={"recipient_kind": RecipientKind.STAFF, "recipient_staff": request.user.pk}
    )
    context = {**_detail_context(request, document), "form": form}
    return render(request, "documents/document_detail.html", context)


@require_POST
def document_copy_view(request: AuthenticatedRequest, document_id: Any) -> HttpResponse:
    document = _document_or_404(request, document_id)
    form = CopyForm(request.POST)
    context = {**_detail_context(request, document), "form": form}
    if form.is_valid():
        data = form.cleaned_data
        if data["recipient_kind"] == RecipientKind.STAFF:
            recipient = services.Recipient.for_staff(data["recipient_staff"])
        else:
            recipient = services.Recipient.for_vendor(data["vendor_name"])
        try:
            issued = services.copy_issue(
                actor=request.user,
                document=document,
                channel=data["channel"],
                purpose=data["purpose"],
                recipient=recipient,
                request=request,
            )
        except DocumentAccessDeniedError as error:
            context["error"] = error.message
            context["needs_approval"] = error.needs_approval
            context["channel"] = data["channel"]
        except (DocumentsError, ApprovalError) as error:
            if isinstance(error, DocumentsError) and error.field in form.fields:
                form.add_error(error.field, error.message)
            else:
                context["error"] = error.message
        else:
            return _issued_response(request, issued)
    return _no_store(render(request, "documents/document_detail.html", context))


def _issued_response(request: AuthenticatedRequest, issued: services.IssuedFile) -> HttpResponse:
    if issued.copy.channel == CopyChannel.VIEW:
        pages = [
            "data:image/jpeg;base64," + base64.b64encode(page).decode("ascii")
            for page in services.page_images(issued)
        ]
        context = {"copy": issued.copy, "document": issued.copy.document, "pages": pages}
        return _no_store(render(request, "documents/copy_view.html", context))
    disposition = "attachment" if issued.copy.channel == CopyChannel.DOWNLOAD else "inline"
    response = HttpResponse(issued.content, content_type=issued.media_type)
    response["Content-Disposition"] = f'{disposition}; filename="{issued.filename}"'
    return _no_store(response)


@require_GET
def thumbnail_view(request: AuthenticatedRequest, document_id: Any) -> HttpResponse:
    document = _document_or_404(request, document_id)
    try:
        thumbnail = services.thumbnail_issue(actor=request.user, document=document, request=request)
    except DocumentAccessDeniedError:
        return _no_store(HttpResponse(status=403))
    except DocumentsError:
        return _no_store(HttpResponse(status=503))
    return _no_store(HttpResponse(thumbnail, content_type="image/jpeg"))


# Two-person approvals and the original --------------------------------------------------


@require_POST
def copy_approval_view(request: AuthenticatedRequest, document_id: Any) -> HttpResponse:
    document = _document_or_404(request, document_id)
    form = ApprovalRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("State the reason for the request."))
        return redirect("documents:detail", document_id=document.pk)
    try:
        if form.cleaned_data["channel"]:
            services.copy_approval_request(
                actor=request.user,
                document=document,
                channel=form.cleaned_data["channel"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        else:
            services.original_export_request(
                actor=request.user,
                document=document,
                reason=form.cleaned_data["reason"],
                request=request,
            )
    except (DocumentsError, ApprovalError) as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("The approval was requested. Try again once a second person approves it.")
        )
    return redirect("documents:detail", document_id=document.pk)


@require_POST
def original_export_view(request: AuthenticatedRequest, document_id: Any) -> HttpResponse:
    document = _document_or_404(request, document_id)
    try:
        original = services.original_export(actor=request.user, document=document, request=request)
    except (DocumentsError, ApprovalError) as error:
        messages.error(request, error.message)
        return redirect("documents:detail", document_id=document.pk)
    response = HttpResponse(original.content, content_type=original.media_type)
    response["Content-Disposition"] = f'attachment; filename="{original.filename}"'
    return _no_store(response)


# Tracing -----------------------------------------------------------------------------------


@csrf_exempt
@role_required(Role.SECURITY_ADMIN)
def trace_view(request: AuthenticatedRequest) -> HttpResponse:
    # As for uploads: memory-only handlers first, then the CSRF check.
    handler = use_memory_only_uploads(request, max_bytes=intake_limits().max_file_bytes)
    return _trace(request, handler.oversized_fields)


@csrf_protect
@require_http_methods(["GET", "POST"])
def _trace(request: AuthenticatedRequest, oversized_fields: list[str]) -> HttpResponse:
    form = TraceForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST":
        is_valid = form.is_valid()
        if "file" in oversized_fields:
            form.add_error("file", _file_too_large_message())
        elif is_valid:
            upload = form.cleaned_data["file"]
            try:
                context["result"] = services.trace_upload(
                    actor=request.user,
                    content=upload.read() if upload else None,
                    typed_code=form.cleaned_data["trace_code"] or "",
                    request=request,
                )
            except DocumentsError as error:
                _apply_error(form, error)
    return _no_store(render(request, "documents/trace.html", context))
