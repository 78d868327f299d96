"""The audit log viewer, for the audit administrator only."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from shoumi.accounts.decorators import role_required
from shoumi.accounts.http import AuthenticatedRequest
from shoumi.accounts.roles import Role
from shoumi.audit import exports, selectors
from shoumi.audit.errors import AuditError
from shoumi.audit.forms import AuditExportForm, EventSearchForm

PAGE_SIZE = 50


def _querystring(request: AuthenticatedRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _search(request: AuthenticatedRequest) -> tuple[EventSearchForm, selectors.EventFilters]:
    form = EventSearchForm(request.GET or None)
    filters = form.filters() if form.is_valid() else selectors.EventFilters()
    return form, filters


def _list_context(
    request: AuthenticatedRequest, form: EventSearchForm, filters: selectors.EventFilters
) -> dict[str, Any]:
    events = selectors.event_list(user=request.user, filters=filters)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    overview = selectors.log_overview(user=request.user)
    statuses = selectors.proof_statuses(user=request.user, events=list(page), overview=overview)
    rows = [
        (event, statuses[event.seq], selectors.PROOF_STATUS_LABELS[statuses[event.seq]])
        for event in page
    ]
    return {
        "form": form,
        "page": page,
        "rows": rows,
        "overview": overview,
        "querystring": _querystring(request),
    }


@require_GET
@role_required(Role.AUDIT_ADMIN)
def event_list_view(request: AuthenticatedRequest) -> HttpResponse:
    form, filters = _search(request)
    context = _list_context(request, form, filters)
    context["export_form"] = AuditExportForm()
    template = "audit/partials/event_table.html" if request.htmx else "audit/event_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_POST
@role_required(Role.AUDIT_ADMIN)
def event_export_view(request: AuthenticatedRequest) -> HttpResponse:
    form, filters = _search(request)
    export_form = AuditExportForm(request.POST)
    if export_form.is_valid():
        try:
            export = exports.audit_log_export(
                actor=request.user,
                filters=filters,
                purpose=export_form.cleaned_data["purpose"],
                request=request,
            )
        except AuditError as error:
            export_form.add_error(None, error.message)
        else:
            response = HttpResponse(export.content, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
            response["Cache-Control"] = "no-store"
            return response
    context = _list_context(request, form, filters)
    context["export_form"] = export_form
    return render(request, "audit/event_list.html", context, status=400)
