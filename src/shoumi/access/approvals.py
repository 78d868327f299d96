"""Two-person approval (双人审批) for dangerous actions.

Covers bulk export, an administrator's reveal (break-glass), deletion of
client data, master-key rotation, restore from backup, role changes, the
download of document copies and export of unmarked originals, and the reset
of a staff account's login (a new enrolment link for an account that has
already enrolled, or for a system, security or audit administrator).
The requester cannot approve; when the request concerns a staff account
(``target_user_id`` in its subject), that account's holder cannot approve
it either. An approval expires (one hour by default,
``SHOUMI_APPROVAL_MINUTES``) and is used once. Two approvers clicking at the
same moment give one approval: the decision is a conditional UPDATE on the
pending row, so only one of them changes it. A rejected or expired request
leaves its audit events.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shoumi.access import notifications
from shoumi.access.errors import ApprovalError
from shoumi.access.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from shoumi.accounts.models import User
from shoumi.accounts.roles import Role
from shoumi.audit import services as audit
from shoumi.audit.actions import Action as AuditAction
from shoumi.config import clock
from shoumi.vault.free_text import reject_identifiers

# Who may approve each kind. Key rotation, restore and role changes concern
# the system itself, so the security administrator approves them. An
# unmarked original leaves no trace code behind, so either a manager or the
# security administrator may approve its export. A login reset hands the
# requester (the system administrator) the means to log in as someone else,
# so the security administrator approves it, never the system administrator
# alone.
APPROVER_ROLES: dict[str, frozenset[str]] = {
    ApprovalKind.BULK_EXPORT: frozenset({Role.MANAGER, Role.ADMINISTRATOR}),
    ApprovalKind.BREAK_GLASS_REVEAL: frozenset({Role.MANAGER, Role.ADMINISTRATOR}),
    ApprovalKind.DELETE_CLIENT_DATA: frozenset({Role.MANAGER, Role.ADMINISTRATOR}),
    ApprovalKind.KEY_ROTATION: frozenset({Role.SECURITY_ADMIN}),
    ApprovalKind.RESTORE_BACKUP: frozenset({Role.SECURITY_ADMIN}),
    ApprovalKind.ROLE_CHANGE: frozenset({Role.SECURITY_ADMIN}),
    ApprovalKind.COPY_EXPORT: frozenset({Role.MANAGER, Role.ADMINISTRATOR}),
    ApprovalKind.ORIGINAL_EXPORT: frozenset({Role.MANAGER, Role.SECURITY_ADMIN}),
    ApprovalKind.ENROLMENT_RESET: frozenset({Role.SECURITY_ADMIN}),
}

# Requests about a staff account also write an event on that account, named
# for what happens to it, so a search of the log for the account shows who
# asked for, approved or rejected a reset of its login.
TARGET_EVENTS: dict[str, dict[str, str]] = {
    ApprovalKind.ENROLMENT_RESET: {
        AuditAction.APPROVAL_REQUESTED: AuditAction.ENROLMENT_RESET_REQUESTED,
        AuditAction.APPROVAL_GRANTED: AuditAction.ENROLMENT_RESET_APPROVED,
        AuditAction.APPROVAL_REJECTED: AuditAction.ENROLMENT_RESET_REJECTED,
    },
}

# The reason becomes the purpose of the approval's audit events, which hold 200.
MAX_REASON_LENGTH = 200


def approval_minutes() -> int:
    return int(getattr(settings, "APPROVAL_MINUTES", 60))


def _event(
    action: str, actor: User | None, approval: ApprovalRequest, request: HttpRequest | None
) -> None:
    audit.append(
        action=action,
        actor=actor,
        object_type="access.approval",
        object_id=approval.pk,
        purpose=approval.reason,
        request=request,
        details={"kind": approval.kind, "subject": approval.subject_key},
    )
    target_action = TARGET_EVENTS.get(approval.kind, {}).get(action)
    target_id = target_user_id(approval)
    if target_action is not None and target_id is not None:
        audit.append(
            action=target_action,
            actor=actor,
            object_type="user",
            object_id=target_id,
            purpose=approval.reason[:200],
            request=request,
            details={
                "target": str(approval.subject.get("target_employee_number", "")),
                "approval": str(approval.pk),
                "requested_by": approval.requester.employee_number,
            },
        )


def target_user_id(approval: ApprovalRequest) -> int | None:
    """Return the id of the staff account the request is about, if it is about one."""
    value = approval.subject.get("target_user_id") if isinstance(approval.subject, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@transaction.atomic
def approval_request(
    *,
    actor: User,
    kind: str,
    subject: dict[str, Any],
    subject_key: str,
    summary: str,
    reason: str,
    request: HttpRequest | None = None,
) -> ApprovalRequest:
    """Ask a second person to approve ``kind`` on exactly ``subject``."""
    if kind not in ApprovalKind.values:
        raise ApprovalError(_("Unknown kind of approval."), code="kind_unknown")
    reason = " ".join(reason.split())
    if len(reason) < 2:
        raise ApprovalError(_("State the reason for the request."), code="reason_missing")
    if len(reason) > MAX_REASON_LENGTH:
        raise ApprovalError(
            _("The reason is longer than %(limit)d characters. Shorten it.")
            % {"limit": MAX_REASON_LENGTH},
            code="reason_too_long",
        )
    reject_identifiers(ApprovalError, reason=reason)
    now = clock.now()
    approval = ApprovalRequest.objects.create(
        kind=kind,
        subject=subject,
        subject_key=subject_key,
        summary=summary[:300],
        reason=reason,
        requester=actor,
        requested_at=now,
        expires_at=now + timedelta(minutes=approval_minutes()),
    )
    _event(AuditAction.APPROVAL_REQUESTED, actor, approval, request)
    approvers = [
        user
        for role in APPROVER_ROLES[kind]
        for user in notifications.users_with_role(role)
        if user.pk not in (actor.pk, target_user_id(approval))
    ]
    transaction.on_commit(
        lambda: notifications.notify(
            approvers,
            _("Two-person approval waiting for you"),
            _("%(name)s asks for approval: %(summary)s")
            % {"name": actor.full_name, "summary": approval.summary},
        )
    )
    return approval


def expire_if_due(approval: ApprovalRequest) -> ApprovalRequest:
    """Mark a pending or approved request expired once its time is up, and audit that once."""
    now = clock.now()
    if (
        approval.status in (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)
        and approval.expires_at <= now
    ):
        with transaction.atomic():
            changed = ApprovalRequest.objects.filter(
                pk=approval.pk, status__in=[ApprovalStatus.PENDING, ApprovalStatus.APPROVED]
            ).update(status=ApprovalStatus.EXPIRED)
            if changed:
                approval.refresh_from_db()
                _event(AuditAction.APPROVAL_EXPIRED, None, approval, None)
    return approval


def _decide(
    actor: User, approval: ApprovalRequest, status: str, request: HttpRequest | None
) -> ApprovalRequest:
    expire_if_due(approval)
    if actor.pk == approval.requester_id:
        raise ApprovalError(_("You cannot approve your own request."), code="self_approval")
    if actor.pk == target_user_id(approval):
        raise ApprovalError(
            _("You cannot decide a request about your own account."), code="target_approval"
        )
    if not actor.role_set & APPROVER_ROLES[approval.kind]:
        raise ApprovalError(_("Your role cannot decide this kind of request."), code="not_approver")
    with transaction.atomic():
        updated = ApprovalRequest.objects.filter(
            pk=approval.pk, status=ApprovalStatus.PENDING, expires_at__gt=clock.now()
        ).update(status=status, decided_by=actor, decided_at=clock.now())
        if updated != 1:
            approval.refresh_from_db()
            if approval.status == ApprovalStatus.EXPIRED:
                raise ApprovalError(_("This request has expired."), code="expired")
            raise ApprovalError(_("This request has already been decided."), code="already_decided")
        approval.refresh_from_db()
        action = (
            AuditAction.APPROVAL_GRANTED
            if status == ApprovalStatus.APPROVED
            else AuditAction.APPROVAL_REJECTED
        )
        _event(action, actor, approval, request)
    return approval


def approval_approve(
    *, actor: User, approval: ApprovalRequest, request: HttpRequest | None = None
) -> ApprovalRequest:
    return _decide(actor, approval, ApprovalStatus.APPROVED, request)


def approval_reject(
    *, actor: User, approval: ApprovalRequest, request: HttpRequest | None = None
) -> ApprovalRequest:
    return _decide(actor, approval, ApprovalStatus.REJECTED, request)


def approval_consume(*, approval_id: str, actor: User) -> ApprovalRequest:
    """Mark an approval used, inside the caller's transaction; raise if it is no longer usable."""
    updated = ApprovalRequest.objects.filter(
        pk=approval_id, requester=actor, status=ApprovalStatus.APPROVED, expires_at__gt=clock.now()
    ).update(status=ApprovalStatus.USED, used_at=clock.now())
    if updated != 1:
        raise ApprovalError(
            _("The approval is no longer valid. Request a new one."), code="approval_unusable"
        )
    return ApprovalRequest.objects.get(pk=approval_id)


def approval_for(*, actor: User, kind: str, subject_key: str) -> ApprovalRequest | None:
    """Return the actor's approved, unexpired request for exactly this subject, if any."""
    candidate = (
        ApprovalRequest.objects.filter(
            requester=actor, kind=kind, subject_key=subject_key, status=ApprovalStatus.APPROVED
        )
        .order_by("requested_at")
        .first()
    )
    if candidate is None:
        return None
    candidate = expire_if_due(candidate)
    return candidate if candidate.status == ApprovalStatus.APPROVED else None
