"""Record an intake with the client's signature, show it, print its receipt."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from shoumi.accounts.decorators import role_required
from shoumi.accounts.http import AuthenticatedRequest
from shoumi.documents.uploads import use_memory_only_uploads
from shoumi.materials import permissions, selectors, services, signatures
from shoumi.materials.errors import MaterialsError, SignatureInvalidError
from shoumi.materials.forms import IntakeForm, ItemFormSet
from shoumi.materials.models import SignatureMethod
from shoumi.materials.views.common import apply_error, found, pdf_response

BUSINESS = tuple(permissions.BUSINESS_ROLES)


def _item_lines(formset: Any) -> list[services.ItemInput]:
    lines = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or not (data.get("name") or "").strip():
            continue
        lines.append(
            services.ItemInput(
                name=data["name"],
                quantity=data["quantity"] or 1,
                kind=data["kind"],
                sensitivity=data["sensitivity"],
                retention_period=data["retention_period"],
                fiscal_year=data.get("fiscal_year"),
                location=data.get("location"),
            )
        )
    return lines


def _signature(form: IntakeForm) -> signatures.SignatureImage:
    if form.cleaned_data["signature_method"] == SignatureMethod.SCANNED:
        upload = form.cleaned_data.get("signature_scan")
        if upload is None:
            raise SignatureInvalidError(
                _("Choose the scan of the paper signature."), field="signature_scan"
            )
        # One byte more than the limit is enough for from_scan to refuse a larger file.
        return signatures.from_scan(upload.read(signatures.MAX_UPLOAD_BYTES + 1))
    return signatures.from_data_url(form.cleaned_data.get("signature_drawn") or "")


@csrf_exempt
@role_required(*BUSINESS)
def intake_create_view(request: AuthenticatedRequest) -> HttpResponse:
    # A scanned signature may be larger than Django's 2.5 MB in-memory limit, and
    # the default handlers would then write its plaintext to a temporary file.
    # The handlers must be replaced before the CSRF check reads the body, so
    # the check runs inside (csrf_protect) instead of in the middleware.
    handler = use_memory_only_uploads(request, max_bytes=signatures.MAX_UPLOAD_BYTES)
    return _intake_create(request, handler.oversized_fields)


@csrf_protect
@require_http_methods(["GET", "POST"])
def _intake_create(request: AuthenticatedRequest, oversized_fields: list[str]) -> HttpResponse:
    clients = permissions.visible_clients(request.user)
    locations = selectors.location_list(user=request.user)
    form = IntakeForm(request.POST or None, request.FILES or None, clients=clients)
    formset = ItemFormSet(
        request.POST or None, prefix="items", form_kwargs={"locations": locations}
    )
    if "signature_scan" in oversized_fields:
        form.add_error("signature_scan", signatures.scan_too_large_message())
    elif request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            with transaction.atomic():
                intake = services.intake_create(
                    actor=request.user,
                    client=form.cleaned_data["client"],
                    items=_item_lines(formset),
                    signature=_signature(form),
                    signature_method=form.cleaned_data["signature_method"],
                    handed_over_by=form.cleaned_data["handed_over_by"],
                    note=form.cleaned_data["note"],
                    request=request,
                )
        except MaterialsError as error:
            apply_error(form, error)
        else:
            return redirect("materials:intake_detail", intake_id=intake.pk)
    return render(request, "materials/intake_form.html", {"form": form, "formset": formset})


@role_required(*BUSINESS)
def intake_detail_view(request: AuthenticatedRequest, intake_id: Any) -> HttpResponse:
    intake = found(selectors.intake_get(user=request.user, intake_id=intake_id))
    return render(request, "materials/intake_detail.html", {"intake": intake})


@role_required(*BUSINESS)
def intake_signature_view(request: AuthenticatedRequest, intake_id: Any) -> HttpResponse:
    intake = found(selectors.intake_get(user=request.user, intake_id=intake_id))
    png = services.signature_open(actor=request.user, intake=intake, request=request)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "no-store"
    return response


@role_required(*BUSINESS)
def intake_receipt_view(request: AuthenticatedRequest, intake_id: Any) -> HttpResponse:
    intake = found(selectors.intake_get(user=request.user, intake_id=intake_id))
    pdf = services.intake_receipt_pdf(actor=request.user, intake=intake, request=request)
    return pdf_response(pdf, f"receipt-{intake.number}.pdf")
