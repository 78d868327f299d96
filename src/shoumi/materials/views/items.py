"""Item list and detail, and the custody steps on one item: move, loan, return, retain."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shoumi.accounts.decorators import role_required
from shoumi.accounts.http import AuthenticatedRequest
from shoumi.materials import permissions, selectors, services
from shoumi.materials.errors import MaterialsError
from shoumi.materials.forms import (
    ItemFilterForm,
    LoanRequestForm,
    MoveForm,
    ReasonForm,
    ReturnForm,
)
from shoumi.materials.views.common import found, report_error

BUSINESS = tuple(permissions.BUSINESS_ROLES)
PAGE_SIZE = 50


@role_required(*BUSINESS)
def item_list_view(request: AuthenticatedRequest) -> HttpResponse:
    form = ItemFilterForm(request.GET or None)
    query, status = "", ""
    if form.is_valid():
        query, status = form.cleaned_data["q"] or "", form.cleaned_data["status"] or ""
    items = selectors.item_list(user=request.user, status=status, query=query)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "materials/partials/item_table.html" if request.htmx else "materials/item_list.html"  # type: ignore[attr-defined]
    return render(request, template, {"form": form, "page": page})


@role_required(*BUSINESS)
def item_detail_view(request: AuthenticatedRequest, item_id: Any) -> HttpResponse:
    item = found(selectors.item_get(user=request.user, item_id=item_id))
    locations = selectors.location_list(user=request.user)
    context = {
        "item": item,
        "move_form": MoveForm(locations=locations),
        "loan_form": LoanRequestForm(),
        "return_form": ReturnForm(locations=locations),
        "reason_form": ReasonForm(),
        "can_retain": permissions.has_any_role(request.user, permissions.RETAIN_ROLES),
        "can_hand_out": permissions.has_any_role(request.user, permissions.HAND_OUT_ROLES),
    }
    return render(request, "materials/item_detail.html", context)


@role_required(*BUSINESS)
@require_POST
def item_move_view(request: AuthenticatedRequest, item_id: Any) -> HttpResponse:
    item = found(selectors.item_get(user=request.user, item_id=item_id))
    form = MoveForm(request.POST, locations=selectors.location_list(user=request.user))
    if form.is_valid():
        try:
            services.item_move(
                actor=request.user,
                item=item,
                location=form.cleaned_data["location"],
                holder=form.cleaned_data["holder"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except MaterialsError as error:
            report_error(request, error)
        else:
            messages.success(request, _("The move was recorded."))
    return redirect("materials:item_detail", item_id=item.pk)


@role_required(*BUSINESS)
@require_POST
def loan_request_view(request: AuthenticatedRequest, item_id: Any) -> HttpResponse:
    item = found(selectors.item_get(user=request.user, item_id=item_id))
    form = LoanRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the purpose and the due date."))
        return redirect("materials:item_detail", item_id=item.pk)
    try:
        services.loan_request(
            actor=request.user,
            item=item,
            purpose=form.cleaned_data["purpose"],
            due_on=form.cleaned_data["due_on"],
            request=request,
        )
    except MaterialsError as error:
        report_error(request, error)
    else:
        messages.success(request, _("The loan request was sent to the managers."))
    return redirect("materials:item_detail", item_id=item.pk)


@role_required(*BUSINESS)
@require_POST
def item_return_view(request: AuthenticatedRequest, item_id: Any) -> HttpResponse:
    item = found(selectors.item_get(user=request.user, item_id=item_id))
    form = ReturnForm(request.POST, locations=selectors.location_list(user=request.user))
    location = form.cleaned_data["location"] if form.is_valid() else None
    try:
        services.loan_return(actor=request.user, item=item, location=location, request=request)
    except MaterialsError as error:
        report_error(request, error)
    else:
        messages.success(request, _("The return was recorded."))
    return redirect("materials:item_detail", item_id=item.pk)


@role_required(*BUSINESS)
@require_POST
def item_retain_view(request: AuthenticatedRequest, item_id: Any) -> HttpResponse:
    item = found(selectors.item_get(user=request.user, item_id=item_id))
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    release = request.POST.get("release") == "1"
    try:
        if release:
            services.item_retain_release(
                actor=request.user, item=item, reason=reason, request=request
            )
        else:
            services.item_retain(actor=request.user, item=item, reason=reason, request=request)
    except MaterialsError as error:
        report_error(request, error)
    destruction_list = selectors.destruction_list_get(
        user=request.user, list_id=request.POST.get("next_list", "")
    )
    if destruction_list is not None:
        return redirect("materials:destruction_list_detail", list_id=destruction_list.pk)
    return redirect("materials:item_detail", item_id=item.pk)
