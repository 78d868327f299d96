"""Reveal, temporary grants, two-person approvals, the policy matrix and alerts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shoumi.access import approvals, grants, selectors, services
from shoumi.access.errors import (
    ApprovalError,
    GrantError,
    PurposeInvalidError,
    RevealDeniedError,
    RevealFailedError,
)
from shoumi.access.forms import BreakGlassForm, DecisionForm, GrantRequestForm
from shoumi.access.matrix import ACTION_LABELS, MATRIX, OUTCOME_LABELS, Action, outcome_for_role
from shoumi.accounts.decorators import role_required
from shoumi.accounts.http import AuthenticatedRequest
from shoumi.accounts.roles import Role
from shoumi.clients import selectors as client_selectors
from shoumi.clients.forms import RevealForm
from shoumi.config import clock
from shoumi.vault.fields import SealedField
from shoumi.vault.free_text import CODE as FREE_TEXT_CODE
from shoumi.vault.free_text import MESSAGE as FREE_TEXT_MESSAGE
from shoumi.vault.sensitivity import Sensitivity

# How long a revealed value stays on screen before the page hides it again.
REVEAL_SECONDS = 30


def _sealed_record(
    request: AuthenticatedRequest, model_name: str, record_id: Any, field: str
) -> Any:
    record: Any = client_selectors.record_get(
        user=request.user, model_name=model_name, record_id=record_id
    )
    if record is None:
        # The response is 404 whether the record is missing or hidden. The attempt
        # is audited and counted, so probing ids by URL shows in the audit log.
        services.record_out_of_reach(
            user=request.user,
            object_type=f"clients.{model_name}"[:64],
            object_id=record_id,
            field=field[:64],
            request=request,
        )
        raise Http404
    model_field = next((f for f in record._meta.get_fields() if f.name == field), None)
    if not isinstance(model_field, SealedField):
        raise Http404
    return record


@require_http_methods(["GET", "POST"])
def reveal_view(
    request: AuthenticatedRequest, model_name: str, record_id: Any, field: str
) -> HttpResponse:
    record = _sealed_record(request, model_name, record_id, field)
    context: dict[str, Any] = {
        "model_name": model_name,
        "record_id": record.pk,
        "field": field,
        "masked": str(getattr(record, field)),
    }
    form = RevealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plaintext = services.reveal(
                user=request.user,
                record=record,
                field=field,
                purpose=form.cleaned_data["purpose"],
                request=request,
            )
        except (RevealDeniedError, PurposeInvalidError, RevealFailedError) as error:
            context["error"] = error.message
            context["needs_approval"] = getattr(error, "needs_approval", False)
        except ApprovalError as error:
            # Two clicks raced for one single-use approval, and this one lost the race.
            context["error"] = error.message
        else:
            context.update({"plaintext": plaintext or "", "seconds": REVEAL_SECONDS})
            response = render(request, "access/partials/revealed.html", context)
            response["Cache-Control"] = "no-store"
            return response
    elif request.method == "POST":
        # The partial shows one message; a purpose the form refused names its reason.
        context["error"] = next(iter(form.errors.values()))[0]
    context["form"] = form
    response = render(request, "access/partials/reveal_form.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def break_glass_view(
    request: AuthenticatedRequest, model_name: str, record_id: Any, field: str
) -> HttpResponse:
    record = _sealed_record(request, model_name, record_id, field)
    form = BreakGlassForm(request.POST)
    context: dict[str, Any] = {
        "model_name": model_name,
        "record_id": record.pk,
        "field": field,
        "masked": str(getattr(record, field)),
    }
    if form.is_valid():
        try:
            services.break_glass_request(
                user=request.user,
                record=record,
                field=field,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except (ApprovalError, RevealDeniedError) as error:
            context["error"] = error.message
        else:
            context["error"] = _(
                "The approval was requested. Reveal again once a second person has approved it."
            )
    elif form.has_error("reason", FREE_TEXT_CODE):
        context["error"] = FREE_TEXT_MESSAGE
    else:
        context["error"] = _("State the reason for the request.")
    context["form"] = RevealForm()
    return render(request, "access/partials/reveal_form.html", context)


# Temporary grants -------------------------------------------------------------------


def grant_list_view(request: AuthenticatedRequest) -> HttpResponse:
    now = clock.now()
    rows = [
        (grant, grant.display_status(now))
        for grant in selectors.grants_for(user=request.user)[:200]
    ]
    waiting = selectors.grants_waiting_for(user=request.user)
    return render(request, "access/grant_list.html", {"rows": rows, "waiting": waiting})


@require_http_methods(["GET", "POST"])
def grant_request_view(request: AuthenticatedRequest) -> HttpResponse:
    # ``?client=<id>`` (repeatable) preselects clients, as the client page's link does.
    form = GrantRequestForm(
        request.POST or None,
        clients=client_selectors.client_choice_list(user=request.user),
        initial={"clients": request.GET.getlist("client")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grants.grant_request(
                actor=request.user,
                clients=list(data["clients"]),
                fields=data["field_keys"],
                actions=data["actions"],
                purpose=data["purpose"],
                duration_minutes=data["duration_minutes"],
                request=request,
            )
        except GrantError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your request was sent to the managers."))
            return redirect("access:grants")
    return render(request, "access/grant_request.html", {"form": form})


@require_POST
def grant_decide_view(request: AuthenticatedRequest, grant_id: Any, decision: str) -> HttpResponse:
    grant = selectors.grant_get(user=request.user, grant_id=grant_id)
    if grant is None:
        raise Http404
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for message in form.errors.get("note", []):
            messages.error(request, str(message))
        return redirect("access:grants")
    note = form.cleaned_data["note"]
    try:
        if decision == "approve":
            grants.grant_approve(actor=request.user, grant=grant, note=note, request=request)
            messages.success(request, _("The grant was approved. Its time runs from now."))
        elif decision == "reject":
            grants.grant_reject(actor=request.user, grant=grant, note=note, request=request)
            messages.success(request, _("The request was rejected."))
        elif decision == "revoke":
            grants.grant_revoke(actor=request.user, grant=grant, request=request)
            messages.success(request, _("The grant was revoked and stops working at once."))
        else:
            raise Http404
    except GrantError as error:
        messages.error(request, error.message)
    return redirect("access:grants")


# Two-person approvals -----------------------------------------------------------------


def approval_list_view(request: AuthenticatedRequest) -> HttpResponse:
    rows = list(selectors.approvals_for(user=request.user)[:200])
    for approval in rows:
        approvals.expire_if_due(approval)
    return render(request, "access/approval_list.html", {"rows": rows})


@require_POST
def approval_decide_view(
    request: AuthenticatedRequest, approval_id: Any, decision: str
) -> HttpResponse:
    approval = selectors.approval_get(user=request.user, approval_id=approval_id)
    if approval is None:
        raise Http404
    try:
        if decision == "approve":
            approvals.approval_approve(actor=request.user, approval=approval, request=request)
            messages.success(request, _("Approved. The requester can now carry it out once."))
        elif decision == "reject":
            approvals.approval_reject(actor=request.user, approval=approval, request=request)
            messages.success(request, _("The request was rejected."))
        else:
            raise Http404
    except ApprovalError as error:
        messages.error(request, error.message)
    return redirect("access:approvals")


# Matrix and alerts (security administrator) ----------------------------------------------


@role_required(Role.SECURITY_ADMIN)
def matrix_view(request: AuthenticatedRequest) -> HttpResponse:
    levels = list(Sensitivity)
    tables = []
    for role in MATRIX:
        rows = [
            (
                ACTION_LABELS[action],
                [
                    (outcome, OUTCOME_LABELS[outcome])
                    for outcome in (outcome_for_role(role, level, action) for level in levels)
                ],
            )
            for action in Action
        ]
        tables.append((Role(role).label, rows))
    return render(request, "access/matrix.html", {"levels": levels, "tables": tables})


@role_required(Role.SECURITY_ADMIN)
def alert_list_view(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request, "access/alert_list.html", {"alerts": selectors.alerts_for(user=request.user)[:200]}
    )
