"""The loan list with its approval and hand-out steps, and the lending register PDF."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shoumi.accounts.decorators import role_required
from shoumi.accounts.http import AuthenticatedRequest
from shoumi.materials import permissions, selectors, services
from shoumi.materials.errors import MaterialsError
from shoumi.materials.forms import LoanFilterForm, ReasonForm
from shoumi.materials.views.common import found, pdf_response, report_error

BUSINESS = tuple(permissions.BUSINESS_ROLES)
PAGE_SIZE = 50
# The register prints at most this many loans; filter by status for older ones.
REGISTER_LIMIT = 500
DECISIONS = frozenset({"approve", "reject", "hand-out"})


def _status(request: AuthenticatedRequest) -> tuple[LoanFilterForm, str]:
    form = LoanFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    return form, status or ""


@role_required(*BUSINESS)
def loan_list_view(request: AuthenticatedRequest) -> HttpResponse:
    form, status = _status(request)
    loans = selectors.loan_list(user=request.user, status=status)
    page = Paginator(loans, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "status": status,
        "reason_form": ReasonForm(),
        "can_approve": permissions.has_any_role(request.user, permissions.LOAN_APPROVER_ROLES),
        "can_hand_out": permissions.has_any_role(request.user, permissions.HAND_OUT_ROLES),
    }
    return render(request, "materials/loan_list.html", context)


@role_required(*BUSINESS)
@require_POST
def loan_decide_view(request: AuthenticatedRequest, loan_id: Any, decision: str) -> HttpResponse:
    if decision not in DECISIONS:
        raise Http404
    loan = found(selectors.loan_get(user=request.user, loan_id=loan_id))
    form = ReasonForm(request.POST)
    note = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        if decision == "approve":
            services.loan_approve(actor=request.user, loan=loan, note=note, request=request)
            messages.success(request, _("The loan was approved."))
        elif decision == "reject":
            services.loan_reject(actor=request.user, loan=loan, note=note, request=request)
            messages.success(request, _("The loan was rejected."))
        else:  # hand-out
            services.loan_hand_out(actor=request.user, loan=loan, request=request)
            messages.success(request, _("The hand-out was recorded."))
    except MaterialsError as error:
        report_error(request, error)
    return redirect("materials:loan_list")


@role_required(*BUSINESS)
def lending_register_view(request: AuthenticatedRequest) -> HttpResponse:
    _form, status = _status(request)
    loans = list(selectors.loan_list(user=request.user, status=status)[:REGISTER_LIMIT])
    pdf = services.lending_register_pdf(actor=request.user, loans=loans, request=request)
    return pdf_response(pdf, "lending-register.pdf")
