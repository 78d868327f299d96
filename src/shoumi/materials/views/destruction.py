"""Destruction lists: create, retain marks, overrides, confirmations, and the record PDF."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shoumi.accounts.decorators import role_required
from shoumi.accounts.http import AuthenticatedRequest
from shoumi.materials import permissions, selectors, services
from shoumi.materials.errors import MaterialsError
from shoumi.materials.forms import DestructionListForm, ReasonForm
from shoumi.materials.views.common import apply_error, found, pdf_response, report_error

BUSINESS = tuple(permissions.BUSINESS_ROLES)


@role_required(*BUSINESS)
def destruction_list_list_view(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "lists": selectors.destruction_list_list(user=request.user)[:200],
        "records": selectors.destruction_record_list(user=request.user)[:200],
        "can_create": permissions.has_any_role(
            request.user, permissions.DESTRUCTION_OPERATOR_ROLES
        ),
    }
    return render(request, "materials/destruction_list_list.html", context)


@role_required(*permissions.DESTRUCTION_OPERATOR_ROLES)
@require_http_methods(["GET", "POST"])
def destruction_list_create_view(request: AuthenticatedRequest) -> HttpResponse:
    items = selectors.destroyable_items(user=request.user)
    form = DestructionListForm(request.POST or None, items=items)
    if request.method == "POST" and form.is_valid():
        try:
            destruction_list = services.destruction_list_create(
                actor=request.user,
                supervisor=form.cleaned_data["supervisor"],
                method=form.cleaned_data["method"],
                items=list(form.cleaned_data["items"]),
                request=request,
            )
        except MaterialsError as error:
            apply_error(form, error)
        else:
            return redirect("materials:destruction_list_detail", list_id=destruction_list.pk)
    return render(request, "materials/destruction_list_form.html", {"form": form})


@role_required(*BUSINESS)
def destruction_list_detail_view(request: AuthenticatedRequest, list_id: Any) -> HttpResponse:
    destruction_list = found(selectors.destruction_list_get(user=request.user, list_id=list_id))
    user = request.user
    context = {
        "destruction_list": destruction_list,
        "reason_form": ReasonForm(),
        "can_retain": permissions.has_any_role(user, permissions.RETAIN_ROLES),
        "can_approve_override": permissions.has_any_role(
            user, permissions.DESTRUCTION_SUPERVISOR_ROLES
        ),
        "is_party": user.pk in (destruction_list.operator_id, destruction_list.supervisor_id),
    }
    return render(request, "materials/destruction_list_detail.html", context)


@role_required(*BUSINESS)
@require_POST
def destruction_confirm_view(request: AuthenticatedRequest, list_id: Any) -> HttpResponse:
    destruction_list = found(selectors.destruction_list_get(user=request.user, list_id=list_id))
    try:
        services.destruction_confirm(
            actor=request.user, destruction_list=destruction_list, request=request
        )
    except MaterialsError as error:
        report_error(request, error)
    else:
        messages.success(request, _("Your confirmation was recorded."))
    return redirect("materials:destruction_list_detail", list_id=destruction_list.pk)


@role_required(*BUSINESS)
@require_POST
def destruction_override_request_view(request: AuthenticatedRequest, list_id: Any) -> HttpResponse:
    destruction_list = found(selectors.destruction_list_get(user=request.user, list_id=list_id))
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.destruction_override_request(
            actor=request.user, destruction_list=destruction_list, reason=reason, request=request
        )
    except MaterialsError as error:
        report_error(request, error)
    else:
        messages.success(request, _("The override request was recorded; it is valid for one hour."))
    return redirect("materials:destruction_list_detail", list_id=destruction_list.pk)


@role_required(*permissions.DESTRUCTION_SUPERVISOR_ROLES)
@require_POST
def destruction_override_approve_view(
    request: AuthenticatedRequest, list_id: Any, override_id: Any
) -> HttpResponse:
    destruction_list = found(selectors.destruction_list_get(user=request.user, list_id=list_id))
    override = found(
        next((o for o in destruction_list.overrides.all() if str(o.pk) == str(override_id)), None)
    )
    try:
        services.destruction_override_approve(
            actor=request.user, override=override, request=request
        )
    except MaterialsError as error:
        report_error(request, error)
    else:
        messages.success(request, _("The override was approved."))
    return redirect("materials:destruction_list_detail", list_id=destruction_list.pk)


@role_required(*BUSINESS)
def destruction_record_view(request: AuthenticatedRequest, record_id: Any) -> HttpResponse:
    record = found(selectors.destruction_record_get(user=request.user, record_id=record_id))
    pdf = services.destruction_record_pdf(actor=request.user, record=record, request=request)
    return pdf_response(pdf, f"destruction-record-{record.number}.pdf")
