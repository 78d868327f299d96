"""Actions on staff accounts: creation, enrolment, two-factor login, roles.

Every action writes its audit event in the same transaction. Login is two
steps: the password step authenticates through django-axes (which refuses
locked-out accounts before any password is compared), and only the TOTP
step logs the user in, so a session is never authenticated with one factor.
A failed TOTP code counts as a failed login towards the lockout.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from shoumi.accounts.errors import (
    CredentialsInvalidError,
    EnrolmentInvalidError,
    LockedOutError,
    NotEnrolledError,
    TokenInvalidError,
)
from shoumi.accounts.models import (
    Department,
    Enrolment,
    RoleAssignment,
    User,
    normalise_employee_number,
    raise_for_role_set,
)
from shoumi.accounts.roles import Role
from shoumi.audit import services as audit
from shoumi.audit.actions import Action, Result
from shoumi.config import clock

logger = structlog.get_logger(__name__)

BOOTSTRAP_EMPLOYEE_NUMBER = "SYSADMIN"
ENROLMENT_DEVICE_NAME = "enrolment"
# Letters and digits that cannot be confused when read off a terminal.
_ONE_TIME_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class EnrolmentTicket:
    """What a new staff member needs once: the one-time password and the enrolment link."""

    user: User
    one_time_password: str = field(repr=False)
    url: str = field(repr=False)
    expires_at: datetime


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_one_time_password() -> str:
    groups = ["".join(secrets.choice(_ONE_TIME_ALPHABET) for _ in range(4)) for _ in range(4)]
    return "-".join(groups)


@transaction.atomic
def enrolment_issue(
    *, actor: User | None, user: User, request: HttpRequest | None = None
) -> EnrolmentTicket:
    """Give ``user`` a new one-time password and enrolment link; earlier links stop working.

    The user's current password and TOTP device stay valid until the new
    enrolment is completed, so issuing a link cannot lock anyone out.
    """
    now = clock.now()
    Enrolment.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )

    one_time_password = _new_one_time_password()
    user.set_password(one_time_password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])

    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=settings.ENROLMENT_VALID_HOURS)
    Enrolment.objects.create(
        user=user,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=expires_at,
        created_by=actor,
    )
    audit.append(
        action=Action.ENROLMENT_ISSUED,
        actor=actor,
        object_type="user",
        object_id=user.pk,
        request=request,
    )
    url = settings.BASE_URL + reverse("accounts:enrol", kwargs={"token": token})
    return EnrolmentTicket(
        user=user, one_time_password=one_time_password, url=url, expires_at=expires_at
    )


def department_ensure(*, actor: User | None, name: str) -> Department:
    """Return the department called ``name``, creating it if it does not exist."""
    department = Department(name=name.strip())
    existing = Department.objects.filter(name=department.name).first()
    if existing is not None:
        return existing
    department.full_clean()
    department.save()
    return department


@transaction.atomic
def staff_create(
    *,
    actor: User | None,
    employee_number: str,
    full_name: str,
    roles: list[str],
    department: Department | None = None,
    mobile: str = "",
    email: str = "",
    request: HttpRequest | None = None,
) -> EnrolmentTicket:
    """Create a staff account with its roles and issue its first enrolment link.

    Raises ValidationError for invalid fields or a role set that breaks
    separation of duties; nothing is saved then.
    """
    raise_for_role_set(set(roles))
    user = User(
        employee_number=normalise_employee_number(employee_number),
        full_name=full_name.strip(),
        department=department,
        mobile=mobile,
        email=email,
    )
    user.set_unusable_password()
    user.full_clean()
    user.save()
    for role in sorted(set(roles)):
        assignment = RoleAssignment(user=user, role=role, assigned_by=actor)
        assignment.full_clean()
        assignment.save()
    user.forget_roles()

    audit.append(
        action=Action.STAFF_CREATED,
        actor=actor,
        object_type="user",
        object_id=user.pk,
        request=request,
        details={"roles": sorted(set(roles))},
    )
    return enrolment_issue(actor=actor, user=user, request=request)


def bootstrap_system_admin() -> EnrolmentTicket | None:
    """Create the first system administrator when no staff account exists yet.

    Returns None when any account already exists, so the one-time password
    is produced exactly once per installation.
    """
    with transaction.atomic():
        if User.objects.exists():
            return None
        return staff_create(
            actor=None,
            employee_number=BOOTSTRAP_EMPLOYEE_NUMBER,
            full_name="系统管理员",
            roles=[Role.SYSTEM_ADMIN],
        )


@transaction.atomic
def role_assign(
    *, actor: User, user: User, role: str, request: HttpRequest | None = None
) -> RoleAssignment:
    """Give ``user`` one more role; raises ValidationError if separation of duties forbids it."""
    assignment = RoleAssignment(user=user, role=role, assigned_by=actor)
    assignment.full_clean()
    assignment.save()
    user.forget_roles()
    audit.append(
        action=Action.ROLE_ASSIGNED,
        actor=actor,
        object_type="user",
        object_id=user.pk,
        request=request,
        details={"role": role},
    )
    return assignment


@transaction.atomic
def role_revoke(*, actor: User, user: User, role: str, request: HttpRequest | None = None) -> None:
    """Take one role away from ``user``."""
    deleted, _ = RoleAssignment.objects.filter(user=user, role=role).delete()
    user.forget_roles()
    if deleted:
        audit.append(
            action=Action.ROLE_REVOKED,
            actor=actor,
            object_type="user",
            object_id=user.pk,
            request=request,
            details={"role": role},
        )


@transaction.atomic
def staff_deactivate(*, actor: User, user: User, request: HttpRequest | None = None) -> User:
    """Disable an account: it can no longer log in, and its open enrolment links stop working."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    Enrolment.objects.filter(user=user, used_at__isnull=True).update(expires_at=clock.now())
    audit.append(
        action=Action.STAFF_DEACTIVATED,
        actor=actor,
        object_type="user",
        object_id=user.pk,
        request=request,
    )
    return user


# Enrolment -------------------------------------------------------------------


def enrolment_for_token(token: str) -> Enrolment:
    """Return the open enrolment for a link token; raises EnrolmentInvalidError otherwise."""
    enrolment = (
        Enrolment.objects.select_related("user")
        .filter(token_hash=hash_token(token), used_at__isnull=True, expires_at__gt=clock.now())
        .first()
    )
    if enrolment is None or not enrolment.user.is_active:
        raise EnrolmentInvalidError("Enrolment link is unknown, used or expired.")
    return enrolment


def enrolment_check_password(*, request: HttpRequest, enrolment: Enrolment, password: str) -> User:
    """Check the one-time password of an enrolment through the lockout-aware login path."""
    return _authenticate_password(
        request=request, employee_number=enrolment.user.employee_number, password=password
    )


@transaction.atomic
def enrolment_start_device(*, enrolment: Enrolment) -> TOTPDevice:
    """Create the unconfirmed TOTP device that the enrolment page shows as a QR code."""
    TOTPDevice.objects.filter(user=enrolment.user, confirmed=False).delete()
    return TOTPDevice.objects.create(
        user=enrolment.user, name=ENROLMENT_DEVICE_NAME, confirmed=False
    )


def totp_provisioning_uri(device: TOTPDevice) -> str:
    """Return the otpauth:// URI of a device (it contains the secret: show it, never log it)."""
    return str(device.config_url)


def totp_manual_key(device: TOTPDevice) -> str:
    """Return the device secret in base32, in groups of four, for typing into an app by hand."""
    key = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[index : index + 4] for index in range(0, len(key), 4))


@transaction.atomic
def enrolment_complete(
    *,
    request: HttpRequest,
    enrolment: Enrolment,
    device: TOTPDevice,
    otp_token: str,
    new_password: str,
) -> User:
    """Confirm the TOTP device, set the user's own password and log them in.

    Raises TokenInvalidError for a wrong code, ValidationError for a password
    that breaks the rules, EnrolmentInvalidError if the link was used or
    expired meanwhile. Nothing changes on failure.
    """
    locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if locked.used_at is not None or locked.expires_at <= clock.now():
        raise EnrolmentInvalidError("Enrolment link is unknown, used or expired.")
    user = locked.user
    if device.user_id != user.pk or device.confirmed:
        raise EnrolmentInvalidError("Enrolment device does not belong to this enrolment.")
    if not device.verify_token(_clean_token(otp_token)):
        raise TokenInvalidError("TOTP code did not verify.")
    validate_password(new_password, user)

    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    locked.used_at = clock.now()
    locked.save(update_fields=["used_at"])

    audit.append(
        action=Action.ENROLMENT_COMPLETED,
        actor=user,
        object_type="user",
        object_id=user.pk,
        request=request,
    )
    audit.append(
        action=Action.PASSWORD_CHANGED,
        actor=user,
        object_type="user",
        object_id=user.pk,
        request=request,
    )
    _log_in(request, user, device)
    return user


# Login -------------------------------------------------------------------------


def _clean_token(otp_token: str) -> str:
    return "".join(character for character in otp_token if character.isdigit())


def _authenticate_password(*, request: HttpRequest, employee_number: str, password: str) -> User:
    normalised = normalise_employee_number(employee_number)
    user = auth.authenticate(request, username=normalised, password=password)
    if getattr(request, "axes_locked_out", False):
        _record_failure(request, normalised, Action.LOCKOUT)
        raise LockedOutError("Account is locked out.")
    if user is None:
        _record_failure(request, normalised, Action.LOGIN_FAILED)
        raise CredentialsInvalidError("Employee number or password is wrong.")
    return user


def _record_failure(request: HttpRequest, employee_number: str, action: str) -> None:
    # Only an existing account's number is recorded: people sometimes type
    # their password into the employee-number field.
    known = User.objects.filter(employee_number=employee_number).first()
    audit.append(
        action=action,
        actor=known,
        result=Result.DENIED if action == Action.LOCKOUT else Result.FAILURE,
        object_type="user",
        object_id=known.pk if known else "",
        request=request,
        details={"employee_number": employee_number if known else "(unknown)"},
    )


def login_check_password(*, request: HttpRequest, employee_number: str, password: str) -> User:
    """First login step: check the password.

    Raises LockedOutError, CredentialsInvalidError for wrong credentials
    (one message whatever was wrong), or NotEnrolledError when the account has no
    confirmed TOTP device yet.
    """
    user = _authenticate_password(
        request=request, employee_number=employee_number, password=password
    )
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise NotEnrolledError("Account has not completed two-factor enrolment.")
    return user


def is_locked_out(request: HttpRequest, employee_number: str) -> bool:
    return bool(AxesProxyHandler.is_locked(request, {"username": employee_number}))


def login_verify_totp(*, request: HttpRequest, user: User, otp_token: str) -> User:
    """Second login step: verify the TOTP code and log the user in.

    A wrong code is reported to django-axes as a failed login, so guessing
    codes runs into the same lockout as guessing passwords.
    """
    if is_locked_out(request, user.employee_number):
        _record_failure(request, user.employee_number, Action.LOCKOUT)
        raise LockedOutError("Account is locked out.")
    token = _clean_token(otp_token)
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):
            with transaction.atomic():
                _log_in(request, user, device)
            return user
    user_login_failed.send(
        sender=__name__, credentials={"username": user.employee_number}, request=request
    )
    if getattr(request, "axes_locked_out", False) or is_locked_out(request, user.employee_number):
        _record_failure(request, user.employee_number, Action.LOCKOUT)
        raise LockedOutError("Account is locked out.")
    _record_failure(request, user.employee_number, Action.LOGIN_FAILED)
    raise TokenInvalidError("TOTP code did not verify.")


def _log_in(request: HttpRequest, user: Any, device: TOTPDevice) -> None:
    user.backend = "django.contrib.auth.backends.ModelBackend"
    auth.login(request, user)
    otp_login(request, device)
    request.session["last_activity_at"] = clock.now().timestamp()
    audit.append(
        action=Action.LOGIN_SUCCEEDED,
        actor=user,
        object_type="user",
        object_id=user.pk,
        request=request,
    )


def logout(*, request: HttpRequest, reason: str = Action.LOGOUT) -> None:
    """Log the current user out, recording why (logout or idle timeout)."""
    user = request.user if request.user.is_authenticated else None
    if user is not None:
        audit.append(
            action=reason, actor=user, object_type="user", object_id=user.pk, request=request
        )
    auth.logout(request)
