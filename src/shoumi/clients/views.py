"""Client pages: list and search, detail, create and edit forms."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shoumi.access import approvals, exports, policy
from shoumi.access.errors import ApprovalError, ExportError, PurposeInvalidError
from shoumi.access.forms import ExportForm
from shoumi.access.models import ApprovalKind
from shoumi.accounts.http import AuthenticatedRequest
from shoumi.accounts.models import User
from shoumi.clients import search_tokens, selectors, services
from shoumi.clients.errors import ClientsError, WarningsNeedConfirmationError
from shoumi.clients.forms import (
    BankAccountForm,
    ClientFilterForm,
    ClientForm,
    PersonForm,
    TaxLoginForm,
    ValueConfirmForm,
)
from shoumi.clients.models import BankAccount, Client

PAGE_SIZE = 50


def _confirmation(form: Any) -> services.Confirmation | None:
    reason = (form.cleaned_data.get("confirm_reason") or "").strip()
    return services.Confirmation(reason=reason) if reason else None


def _apply_error(form: Any, error: ClientsError | ValidationError) -> None:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                for item in errors:
                    form.add_error(field if field in form.fields else None, item)
        else:
            form.add_error(None, error)
        return
    target = error.field if error.field in form.fields else None
    form.add_error(target, error.message)
    if isinstance(error, WarningsNeedConfirmationError):
        form.needs_confirmation = True


def _client_or_404(request: AuthenticatedRequest, client_id: Any) -> Client:
    client = selectors.client_get(user=request.user, client_id=client_id)
    if client is None:
        raise Http404
    return client


def _search_params(request: AuthenticatedRequest) -> QueryDict:
    """Return the list's filters from the address, with the search text opened from its token.

    A plain ``q`` in the address is ignored. The form posts the search, so an ID
    number does not appear in a URL or, through it, in an access log.
    """
    params = request.GET.copy()
    params.pop("q", None)
    tokens = params.pop(search_tokens.TOKEN_PARAMETER, None)
    if tokens:
        query = search_tokens.open_query(tokens[-1], user_id=request.user.pk)
        if query is not None:
            params["q"] = query
    return params


def _search_redirect(request: AuthenticatedRequest) -> HttpResponse:
    """Turn a posted search into the list's address, with the search text as a token."""
    form = ClientFilterForm(request.POST, user=request.user)
    params = QueryDict(mutable=True)
    if form.is_valid():
        query = str(form.cleaned_data["q"] or "")
        if query:
            token = search_tokens.seal_query(query, user_id=request.user.pk)
            params[search_tokens.TOKEN_PARAMETER] = token
        for name in ("staff", "department", "status"):
            if request.POST.get(name):
                params[name] = request.POST[name]
    else:
        messages.error(request, _("The search could not be read. Check the fields and try again."))
    url = reverse("clients:list") + (f"?{params.urlencode()}" if params else "")
    if request.htmx:  # type: ignore[attr-defined]
        response = HttpResponse(status=204)
        response["HX-Location"] = json.dumps({"path": url, "target": "#client-table"})
        return response
    return redirect(url)


@require_http_methods(["GET", "POST"])
def client_list_view(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":
        return _search_redirect(request)
    params = _search_params(request)
    form = ClientFilterForm(params or None, user=request.user)
    filters = selectors.ClientFilters()
    if form.is_valid():
        filters = selectors.ClientFilters(
            query=str(form.cleaned_data["q"] or ""),
            staff_id=form.cleaned_data["staff"].pk if form.cleaned_data["staff"] else None,
            department_id=form.cleaned_data["department"].pk
            if form.cleaned_data["department"]
            else None,
            status=form.cleaned_data["status"] or "",
        )
    result = services.client_search(actor=request.user, filters=filters, request=request)
    page = Paginator(result.clients, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "result": result,
        "querystring": _querystring(request),
        "can_create": policy.can_create_clients(request.user),
        "can_import": policy.can_import(request.user),
    }
    template = "clients/partials/client_table.html" if request.htmx else "clients/client_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _querystring(request: AuthenticatedRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("q", None)
    return params.urlencode()


@require_http_methods(["GET", "POST"])
def client_create_view(request: AuthenticatedRequest) -> HttpResponse:
    if not policy.can_create_clients(request.user):
        raise PermissionDenied
    form = ClientForm(request.POST or None, initial={"department": request.user.department_id})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            client = services.client_create(
                actor=request.user,
                name=data["name"],
                uscc=data["uscc"],
                registered_address=data["registered_address"],
                status=data["status"],
                department=data["department"],
                assigned_staff=list(data["assigned_staff"]) or [request.user],
                confirmation=_confirmation(form),
                request=request,
            )
        except (ClientsError, ValidationError) as error:
            _apply_error(form, error)
        else:
            return redirect("clients:detail", client_id=client.pk)
    return render(request, "clients/form.html", {"form": form, "title": _("New client")})


def client_detail_view(request: AuthenticatedRequest, client_id: Any) -> HttpResponse:
    client = _client_or_404(request, client_id)
    context = {
        "client": client,
        "can_view_history": policy.can_view_history(request.user, client),
        "can_edit": policy.can_edit_client(request.user, client).allowed,
    }
    return render(request, "clients/client_detail.html", context)


@require_http_methods(["GET", "POST"])
def client_edit_view(request: AuthenticatedRequest, client_id: Any) -> HttpResponse:
    client = _client_or_404(request, client_id)
    initial = {
        "name": client.name,
        "uscc": client.uscc,
        "registered_address": client.registered_address,
        "status": client.status,
        "department": client.department_id,
        "assigned_staff": list(client.assigned_staff.all()),
    }
    form = ClientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.client_update(
                actor=request.user,
                client=client,
                confirmation=_confirmation(form),
                request=request,
                name=data["name"],
                uscc=data["uscc"],
                registered_address=data["registered_address"],
                status=data["status"],
                department=data["department"],
                assigned_staff=list(data["assigned_staff"]),
            )
        except (ClientsError, ValidationError) as error:
            _apply_error(form, error)
        else:
            return redirect("clients:detail", client_id=client.pk)
    return render(
        request, "clients/form.html", {"form": form, "title": _("Edit client"), "client": client}
    )


@require_http_methods(["GET", "POST"])
def person_form_view(
    request: AuthenticatedRequest, client_id: Any, person_id: Any = None
) -> HttpResponse:
    client = _client_or_404(request, client_id)
    person = None
    if person_id is not None:
        person = next((p for p in client.people.all() if str(p.pk) == str(person_id)), None)
        if person is None:
            raise Http404
    form = PersonForm(
        request.POST or None,
        is_edit=person is not None,
        initial={"role": person.role if person else None},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.person_save(
                actor=request.user,
                client=client,
                person=person,
                role=data["role"],
                name=data["name"] if (data["name"] or person is None) else None,
                resident_id=data["resident_id"]
                if (data["resident_id"] or person is None)
                else None,
                mobile=data["mobile"] if (data["mobile"] or person is None) else None,
                confirmation=_confirmation(form),
                request=request,
            )
        except (ClientsError, ValidationError) as error:
            _apply_error(form, error)
        else:
            return redirect("clients:detail", client_id=client.pk)
    title = _("Edit person") if person else _("Add a person")
    return render(
        request,
        "clients/form.html",
        {"form": form, "title": title, "client": client, "record": person},
    )


@require_http_methods(["GET", "POST"])
def bank_account_form_view(
    request: AuthenticatedRequest, client_id: Any, account_id: Any = None
) -> HttpResponse:
    client = _client_or_404(request, client_id)
    account: BankAccount | None = None
    if account_id is not None:
        account = next(
            (a for a in client.bank_accounts.all() if str(a.pk) == str(account_id)), None
        )
        if account is None:
            raise Http404
    initial = (
        {"bank_name": account.bank_name, "account_kind": account.account_kind} if account else {}
    )
    form = BankAccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.bank_account_save(
                actor=request.user,
                client=client,
                account=account,
                bank_name=data["bank_name"],
                account_kind=data["account_kind"],
                account_number=data["account_number"],
                confirmation=_confirmation(form),
                request=request,
            )
        except (ClientsError, ValidationError) as error:
            _apply_error(form, error)
        else:
            return redirect("clients:detail", client_id=client.pk)
    title = _("Edit bank account") if account else _("Add a bank account")
    return render(request, "clients/form.html", {"form": form, "title": title, "client": client})


@require_http_methods(["GET", "POST"])
def tax_login_form_view(request: AuthenticatedRequest, client_id: Any) -> HttpResponse:
    client = _client_or_404(request, client_id)
    form = TaxLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.tax_login_save(
                actor=request.user,
                client=client,
                method=data["method"],
                delegated_staff=data["delegated_staff"],
                username=data["username"],
                password=data["password"],
                rotation_due_on=data["rotation_due_on"],
                request=request,
            )
        except (ClientsError, ValidationError) as error:
            _apply_error(form, error)
        else:
            return redirect("clients:detail", client_id=client.pk)
    return render(
        request,
        "clients/form.html",
        {"form": form, "title": _("Add a tax-bureau login"), "client": client},
    )


def _filters_from(params: Any, user: User) -> tuple[selectors.ClientFilters, str]:
    form = ClientFilterForm(params, user=user)
    filters = selectors.ClientFilters()
    if form.is_valid():
        filters = selectors.ClientFilters(
            query=str(form.cleaned_data["q"] or ""),
            staff_id=form.cleaned_data["staff"].pk if form.cleaned_data["staff"] else None,
            department_id=form.cleaned_data["department"].pk
            if form.cleaned_data["department"]
            else None,
            status=form.cleaned_data["status"] or "",
        )
    # The key names the filters in approvals and export records, so the search
    # text goes in as a keyed fingerprint, not as typed.
    named = {**vars(filters), "query": search_tokens.query_fingerprint(filters.query)}
    key = "&".join(f"{name}={value}" for name, value in sorted(named.items()))
    return filters, key


@require_http_methods(["GET", "POST"])
def client_export_view(request: AuthenticatedRequest) -> HttpResponse:
    filters, filters_key = _filters_from(_search_params(request), request.user)
    form = ExportForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "querystring": _querystring(request)}
    if request.method == "POST" and form.is_valid():
        clients = exports.clients_for_export(
            user=request.user,
            clients_queryset=selectors.client_list(user=request.user, filters=filters).clients,
        )
        try:
            export = exports.export_clients(
                user=request.user,
                clients=clients,
                filters_key=filters_key,
                file_format=form.cleaned_data["file_format"],
                purpose=form.cleaned_data["purpose"],
                request=request,
            )
        except (ExportError, PurposeInvalidError) as error:
            form.add_error(None, error.message)
            context["needs_approval"] = getattr(error, "code", "") == "needs_approval"
        else:
            response = HttpResponse(export.content, content_type=export.content_type)
            response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "clients/export.html", context)


@require_POST
def client_export_approval_view(request: AuthenticatedRequest) -> HttpResponse:
    _filters, filters_key = _filters_from(_search_params(request), request.user)
    form = ExportForm(request.POST)
    if form.is_valid():
        try:
            approvals.approval_request(
                actor=request.user,
                kind=ApprovalKind.BULK_EXPORT,
                subject={"filters": filters_key},
                subject_key=exports.export_subject_key(request.user, filters_key),
                summary=_("Bulk export of the client list"),
                reason=form.cleaned_data["purpose"],
                request=request,
            )
        except ApprovalError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("The approval was requested. Export again once it is approved.")
            )
    else:
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, str(message))
    return redirect(reverse("clients:export") + "?" + _querystring(request))


def client_history_view(request: AuthenticatedRequest, client_id: Any) -> HttpResponse:
    client = _client_or_404(request, client_id)
    if not policy.can_view_history(request.user, client):
        raise PermissionDenied
    events = selectors.client_history(user=request.user, client=client)
    return render(request, "clients/history.html", {"client": client, "events": events})


def value_warning_list_view(request: AuthenticatedRequest) -> HttpResponse:
    """List the stored values whose warnings wait for a reviewer."""
    warnings = selectors.value_warning_list(user=request.user)
    page = Paginator(warnings, PAGE_SIZE).get_page(request.GET.get("page"))
    can_confirm = bool(request.user.role_set & policy.CONFIRM_VALUE_ROLES)
    return render(
        request,
        "clients/value_warnings.html",
        {"page": page, "can_confirm": can_confirm, "form": ValueConfirmForm()},
    )


@require_http_methods(["POST"])
def value_warning_confirm_view(request: AuthenticatedRequest, warning_id: Any) -> HttpResponse:
    value_warning = selectors.value_warning_get(user=request.user, warning_id=warning_id)
    if value_warning is None:
        raise Http404
    form = ValueConfirmForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.value_warning_confirm(
                actor=request.user,
                value_warning=value_warning,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ClientsError as failure:
            error = failure.message
        else:
            return render(
                request, "clients/partials/value_warning_confirmed.html", {"item": value_warning}
            )
    else:
        error = str(form.errors.get("reason", [""])[0])
    return render(
        request,
        "clients/partials/value_warning_row.html",
        {"item": value_warning, "form": form, "error": error, "can_confirm": True},
    )
