"""Login, two-factor enrolment, logout and staff administration pages."""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from shoumi.access.errors import ApprovalError
from shoumi.accounts import selectors, services
from shoumi.accounts.decorators import role_required
from shoumi.accounts.errors import (
    CredentialsInvalidError,
    EnrolmentInvalidError,
    LockedOutError,
    NotEnrolledError,
    ResetApprovalRequiredError,
    TokenInvalidError,
)
from shoumi.accounts.forms import (
    EnrolDeviceForm,
    LoginForm,
    OneTimePasswordForm,
    ResetRequestForm,
    StaffCreateForm,
    TokenForm,
)
from shoumi.accounts.http import AuthenticatedRequest
from shoumi.accounts.roles import Role
from shoumi.config import clock

PENDING_LOGIN_KEY = "pending_login"
PENDING_ENROLMENT_KEY = "pending_enrolment"
# How long the gap between the password step and the TOTP step may be.
PENDING_LOGIN_SECONDS = 300


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Render the Chinese lockout page (django-axes calls this; see AXES_LOCKOUT_CALLABLE)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked.html", {"minutes": minutes}, status=429)


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


@login_not_required
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_check_password(
                request=request,
                employee_number=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except LockedOutError:
            return lockout_response(request)
        except CredentialsInvalidError:
            form.add_error(None, _("The employee number or the password is wrong."))
        except NotEnrolledError:
            form.add_error(
                None,
                _(
                    "This account has not set up two-factor login yet. Open the enrolment link "
                    "the system administrator gave you."
                ),
            )
        else:
            request.session.cycle_key()
            request.session[PENDING_LOGIN_KEY] = {
                "user_id": user.pk,
                "at": clock.now().timestamp(),
                "next": _safe_next(request, request.POST.get("next") or request.GET.get("next")),
            }
            return redirect("accounts:login_verify")
    return render(
        request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def login_verify_view(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_LOGIN_KEY)
    if not pending or clock.now().timestamp() - pending["at"] > PENDING_LOGIN_SECONDS:
        request.session.pop(PENDING_LOGIN_KEY, None)
        messages.info(request, _("Please log in again."))
        return redirect("accounts:login")
    user = selectors.active_user_get(user_id=pending["user_id"])
    if user is None:
        request.session.pop(PENDING_LOGIN_KEY, None)
        return redirect("accounts:login")

    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.login_verify_totp(
                request=request, user=user, otp_token=form.cleaned_data["otp_token"]
            )
        except LockedOutError:
            request.session.pop(PENDING_LOGIN_KEY, None)
            return lockout_response(request)
        except TokenInvalidError:
            form.add_error("otp_token", _("The verification code is wrong or has expired."))
        else:
            return HttpResponseRedirect(pending["next"])
    return render(request, "accounts/login_verify.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.logout(request=request)
    messages.info(request, _("You have logged out."))
    return redirect("accounts:login")


@login_not_required
@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest, token: str) -> HttpResponse:
    """Enrolment step 1: prove possession of the one-time password."""
    try:
        enrolment = services.enrolment_for_token(token)
    except EnrolmentInvalidError:
        return render(request, "accounts/enrol_invalid.html", status=404)

    form = OneTimePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enrolment_check_password(
                request=request, enrolment=enrolment, password=form.cleaned_data["password"]
            )
        except LockedOutError:
            return lockout_response(request)
        except CredentialsInvalidError:
            form.add_error("password", _("The one-time password is wrong."))
        else:
            device = services.enrolment_start_device(enrolment=enrolment)
            request.session.cycle_key()
            request.session[PENDING_ENROLMENT_KEY] = {
                "enrolment_id": enrolment.pk,
                "device_id": device.pk,
            }
            return redirect("accounts:enrol_device", token=token)
    return render(request, "accounts/enrol.html", {"form": form, "enrolment": enrolment})


@login_not_required
@require_http_methods(["GET", "POST"])
def enrol_device_view(request: HttpRequest, token: str) -> HttpResponse:
    """Enrolment step 2: scan the QR code, confirm a code, choose a password."""
    try:
        enrolment = services.enrolment_for_token(token)
    except EnrolmentInvalidError:
        return render(request, "accounts/enrol_invalid.html", status=404)
    pending = request.session.get(PENDING_ENROLMENT_KEY) or {}
    if pending.get("enrolment_id") != enrolment.pk:
        return redirect("accounts:enrol", token=token)
    device = TOTPDevice.objects.filter(
        pk=pending.get("device_id"), user=enrolment.user, confirmed=False
    ).first()
    if device is None:
        return redirect("accounts:enrol", token=token)

    form = EnrolDeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enrolment_complete(
                request=request,
                enrolment=enrolment,
                device=device,
                otp_token=form.cleaned_data["otp_token"],
                new_password=form.cleaned_data["new_password1"],
            )
        except TokenInvalidError:
            form.add_error("otp_token", _("The verification code is wrong or has expired."))
        except ValidationError as error:
            form.add_error("new_password1", error)
        except EnrolmentInvalidError:
            return render(request, "accounts/enrol_invalid.html", status=404)
        else:
            request.session.pop(PENDING_ENROLMENT_KEY, None)
            messages.success(request, _("Two-factor login is set up. Welcome to shoumi."))
            return redirect(settings.LOGIN_REDIRECT_URL)

    uri = services.totp_provisioning_uri(device)
    qr_data_uri = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    response = render(
        request,
        "accounts/enrol_device.html",
        {
            "form": form,
            "enrolment": enrolment,
            "qr_data_uri": qr_data_uri,
            "manual_key": services.totp_manual_key(device),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


# Staff administration (system administrator) ------------------------------------


@role_required(Role.SYSTEM_ADMIN)
def staff_list_view(request: AuthenticatedRequest) -> HttpResponse:
    staff = list(selectors.staff_list(requester=request.user))
    states = services.reset_states(actor=request.user, users=staff)
    rows = [(member, states.get(member.pk, "")) for member in staff]
    return render(request, "accounts/staff_list.html", {"rows": rows})


@role_required(Role.SYSTEM_ADMIN)
@require_http_methods(["GET", "POST"])
def staff_create_view(request: AuthenticatedRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                department = data["department"]
                if data["new_department"]:
                    department = services.department_ensure(
                        actor=request.user, name=data["new_department"]
                    )
                ticket = services.staff_create(
                    actor=request.user,
                    employee_number=data["employee_number"],
                    full_name=data["full_name"],
                    roles=data["roles"],
                    department=department,
                    mobile=data["mobile"],
                    email=data["email"],
                    request=request,
                )
        except ValidationError as error:
            _add_validation_errors(form, error)
        else:
            response = render(request, "accounts/enrolment_ticket.html", {"ticket": ticket})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "accounts/staff_create.html", {"form": form})


@role_required(Role.SYSTEM_ADMIN)
@require_POST
def staff_enrolment_reissue_view(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    user = selectors.staff_get(requester=request.user, user_id=user_id)
    if user is None or not user.is_active:
        raise Http404
    try:
        ticket = services.enrolment_reissue(actor=request.user, user=user, request=request)
    except ResetApprovalRequiredError:
        return render(
            request,
            "accounts/enrolment_reset_request.html",
            {"member": user, "form": ResetRequestForm(), "refused": True},
            status=403,
        )
    except ApprovalError as error:
        # Two clicks raced for one single-use approval; the other one issued the link.
        messages.error(request, error.message)
        return redirect("accounts:staff_list")
    response = render(request, "accounts/enrolment_ticket.html", {"ticket": ticket})
    response["Cache-Control"] = "no-store"
    return response


@role_required(Role.SYSTEM_ADMIN)
@require_http_methods(["GET", "POST"])
def staff_enrolment_reset_view(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    """Ask the security administrator to approve a reset of an enrolled or administrator account."""
    user = selectors.staff_get(requester=request.user, user_id=user_id)
    if user is None or not user.is_active:
        raise Http404
    if not services.reissue_needs_approval(user):
        return redirect("accounts:staff_list")
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enrolment_reset_request(
                actor=request.user, user=user, reason=form.cleaned_data["reason"], request=request
            )
        except ApprovalError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _(
                    "The reset was sent to the security administrator. Once it is approved, "
                    "issue the new enrolment link here; it can be issued once."
                ),
            )
            return redirect("accounts:staff_list")
    return render(
        request,
        "accounts/enrolment_reset_request.html",
        {"member": user, "form": form, "refused": False},
    )


@role_required(Role.SYSTEM_ADMIN)
@require_POST
def staff_deactivate_view(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    user = selectors.staff_get(requester=request.user, user_id=user_id)
    if user is None:
        raise Http404
    if user.pk == request.user.pk:
        messages.error(request, _("You cannot deactivate your own account."))
    else:
        services.staff_deactivate(actor=request.user, user=user, request=request)
        messages.success(request, _("The account has been deactivated."))
    return redirect("accounts:staff_list")


def _add_validation_errors(form: StaffCreateForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field_name, errors in error.error_dict.items():
            target = field_name if field_name in form.fields else None
            for item in errors:
                form.add_error(target, item)
    else:
        for message in error.messages:
            form.add_error("roles", message)
