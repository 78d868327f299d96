"""Actions on staff accounts: creation, enrolment, two-factor login, roles.

Every action writes its audit event in the same transaction. The holder of
a new enrolment link can set the account's password and TOTP device. For an
account that has already enrolled, and for any system, security or audit
administrator, a new link is therefore a reset that takes the account over.
The system administrator needs the security administrator's approval for it
(see :func:`enrolment_reissue`). Only the operator at the server
(``shoumi enrolment-reissue``) may do it alone. Login is two
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
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from shoumi.access import approvals
from shoumi.access.errors import ApprovalError
from shoumi.access.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from shoumi.accounts.errors import (
    CredentialsInvalidError,
    EnrolmentInvalidError,
    LockedOutError,
    NotEnrolledError,
    ResetApprovalRequiredError,
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
from shoumi.accounts.roles import SEPARATED_ADMIN_ROLES, Role
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


def enrolment_completed(user: User) -> bool:
    """Return whether ``user`` ever finished enrolment (a confirmed TOTP device or a used link)."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or Enrolment.objects.filter(user=user, used_at__isnull=False).exists()
    )


def reissue_needs_approval(user: User) -> bool:
    """Return whether a new enrolment link for ``user`` is a reset that needs a second person.

    It is for an account that has finished enrolment, because the link would
    replace its holder's password and TOTP device. It is also for every
    system, security or audit administrator, enrolled or not. So the system
    administrator alone cannot take over another separated administrator or
    a reviewer who may reveal plaintext.
    """
    return user.is_separated_admin or enrolment_completed(user)


def _issue(
    *,
    actor: User | None,
    user: User,
    request: HttpRequest | None,
    reset: bool,
    purpose: str = "",
    details: dict[str, Any] | None = None,
) -> EnrolmentTicket:
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
        action=Action.ENROLMENT_RESET_ISSUED if reset else Action.ENROLMENT_ISSUED,
        actor=actor,
        object_type="user",
        object_id=user.pk,
        purpose=purpose,
        request=request,
        details={"target": user.employee_number, **(details or {})},
    )
    url = settings.BASE_URL + reverse("accounts:enrol", kwargs={"token": token})
    return EnrolmentTicket(
        user=user, one_time_password=one_time_password, url=url, expires_at=expires_at
    )


@transaction.atomic
def enrolment_issue(
    *, actor: User | None, user: User, request: HttpRequest | None = None, purpose: str = ""
) -> EnrolmentTicket:
    """Give ``user`` a new one-time password and enrolment link; earlier links stop working.

    ``actor`` None is the operator at the server (``shoumi enrolment-reissue``,
    the recovery path for the first administrator), who may do this for any
    account. A reset of an enrolled or administrator account is recorded as
    such. A staff member may do it only when :func:`reissue_needs_approval`
    is false; otherwise this raises ResetApprovalRequiredError and the
    system administrator goes through :func:`enrolment_reissue`.

    The one-time password replaces the account's password at once; its TOTP
    device stays until the new enrolment is completed.
    """
    reset = reissue_needs_approval(user)
    if reset and actor is not None:
        raise ResetApprovalRequiredError(
            "Resetting this account needs the security administrator's approval."
        )
    details = {"channel": "command_line"} if actor is None else {}
    return _issue(
        actor=actor, user=user, request=request, reset=reset, purpose=purpose, details=details
    )


def _reset_subject(user: User) -> tuple[dict[str, Any], str]:
    subject = {"target_user_id": user.pk, "target_employee_number": user.employee_number}
    return subject, f"user:{user.pk}"


def enrolment_reissue(
    *, actor: User, user: User, request: HttpRequest | None = None
) -> EnrolmentTicket:
    """The system administrator's 重新签发注册链接 on the staff page.

    An account that never finished enrolment (and is no separated
    administrator) gets its new link at once. For any other account the
    actor must hold an approved, unexpired ENROLMENT_RESET request of their
    own for exactly this account. The request is used up, and only then is
    the one-time password shown to the actor. Without one this records a denied
    reset and raises ResetApprovalRequiredError, changing nothing else.
    """
    if not actor.has_role(Role.SYSTEM_ADMIN) or not user.is_active:
        raise PermissionDenied
    if not reissue_needs_approval(user):
        return enrolment_issue(actor=actor, user=user, request=request)

    _, subject_key = _reset_subject(user)
    approval = approvals.approval_for(
        actor=actor, kind=ApprovalKind.ENROLMENT_RESET, subject_key=subject_key
    )
    if approval is None:
        audit.append(
            action=Action.ENROLMENT_RESET_ISSUED,
            actor=actor,
            result=Result.DENIED,
            object_type="user",
            object_id=user.pk,
            request=request,
            details={"target": user.employee_number, "reason": "no_approval"},
        )
        raise ResetApprovalRequiredError(
            "Resetting this account needs the security administrator's approval."
        )
    with transaction.atomic():
        used = approvals.approval_consume(approval_id=str(approval.pk), actor=actor)
        approver = used.decided_by
        return _issue(
            actor=actor,
            user=user,
            request=request,
            reset=True,
            purpose=used.reason[:200],
            details={
                "channel": "web",
                "approval": str(used.pk),
                "approved_by": approver.employee_number if approver else "",
            },
        )


def enrolment_reset_request(
    *, actor: User, user: User, reason: str, request: HttpRequest | None = None
) -> ApprovalRequest:
    """Ask the security administrator to approve a reset of ``user``'s login.

    Raises PermissionDenied unless ``actor`` is a system administrator and
    ``user`` is active, and ApprovalError for a missing reason or when
    ``actor`` already has an open request for this account.
    """
    if not actor.has_role(Role.SYSTEM_ADMIN) or not user.is_active:
        raise PermissionDenied
    subject, subject_key = _reset_subject(user)
    if reset_request_open(actor=actor, user=user) is not None:
        raise ApprovalError(
            gettext("A reset of this account is already waiting for approval or ready."),
            code="reset_already_requested",
        )
    roles = "、".join(user.role_labels) or "—"
    return approvals.approval_request(
        actor=actor,
        kind=ApprovalKind.ENROLMENT_RESET,
        subject=subject,
        subject_key=subject_key,
        summary=gettext(
            "Reset the password and two-factor login of %(number)s %(name)s (%(roles)s)"
        )
        % {"number": user.employee_number, "name": user.full_name, "roles": roles},
        reason=" ".join(reason.split())[: approvals.MAX_REASON_LENGTH],
        request=request,
    )


def reset_request_open(*, actor: User, user: User) -> ApprovalRequest | None:
    """Return the actor's pending or approved, unexpired reset request for ``user``, if any."""
    _, subject_key = _reset_subject(user)
    candidates = ApprovalRequest.objects.filter(
        requester=actor,
        kind=ApprovalKind.ENROLMENT_RESET,
        subject_key=subject_key,
        status__in=[ApprovalStatus.PENDING, ApprovalStatus.APPROVED],
    ).order_by("-requested_at")
    for candidate in candidates:
        if approvals.expire_if_due(candidate).status in (
            ApprovalStatus.PENDING,
            ApprovalStatus.APPROVED,
        ):
            return candidate
    return None


def reset_states(*, actor: User, users: list[User]) -> dict[int, str]:
    """For the staff list: what 重新签发注册链接 does for each active account.

    A missing or empty state issues a link at once. "approval" needs a reset
    request first, and "pending" waits for the security administrator.
    "approved" may be issued once by ``actor``.
    """
    ids = [user.pk for user in users if user.is_active]
    enrolled = set(
        TOTPDevice.objects.filter(user_id__in=ids, confirmed=True).values_list("user_id", flat=True)
    ) | set(
        Enrolment.objects.filter(user_id__in=ids, used_at__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    open_requests: dict[str, str] = {}
    for approval in ApprovalRequest.objects.filter(
        requester=actor,
        kind=ApprovalKind.ENROLMENT_RESET,
        status__in=[ApprovalStatus.PENDING, ApprovalStatus.APPROVED],
    ).order_by("requested_at"):
        status = approvals.expire_if_due(approval).status
        if status in (ApprovalStatus.PENDING, ApprovalStatus.APPROVED):
            open_requests[approval.subject_key] = status
    states: dict[int, str] = {}
    for user in users:
        if not user.is_active or not (user.pk in enrolled or user.is_separated_admin):
            continue
        open_status = open_requests.get(_reset_subject(user)[1])
        states[user.pk] = (
            "approved"
            if open_status == ApprovalStatus.APPROVED
            else "pending"
            if open_status == ApprovalStatus.PENDING
            else "approval"
        )
    return states


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
    separation of duties, and nothing is saved then. A staff ``actor`` may not
    create a system, security or audit administrator. The system administrator
    receives a new account's first one-time password, so one who created a
    security administrator could approve their own account resets. Those accounts
    come from the operator on the server (``actor=None``: ``shoumi staff-create``,
    ``bootstrap``).
    """
    raise_for_role_set(set(roles))
    if actor is not None and set(roles) & SEPARATED_ADMIN_ROLES:
        raise ValidationError(
            {
                "roles": gettext(
                    "System, security and audit administrator accounts are created only on "
                    "the server, with shoumi staff-create."
                )
            }
        )
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
    return _issue(actor=actor, user=user, request=request, reset=False)


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

    issued_by = locked.created_by
    audit.append(
        action=Action.ENROLMENT_COMPLETED,
        actor=user,
        object_type="user",
        object_id=user.pk,
        request=request,
        # Who gave out the link that was used: the operator at the server
        # when empty.
        details={"issued_by": issued_by.employee_number if issued_by else ""},
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
