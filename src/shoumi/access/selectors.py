"""Queries for grant, approval, alert and matrix pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from shoumi.access.approvals import APPROVER_ROLES
from shoumi.access.models import AccessGrant, Alert, ApprovalRequest, ApprovalStatus, GrantStatus
from shoumi.accounts.models import User
from shoumi.accounts.roles import Role
from shoumi.config import clock


def grants_for(*, user: User) -> QuerySet[AccessGrant]:
    """The user's own grants; for managers also those for their clients; all for security."""
    grants = AccessGrant.objects.select_related(
        "requester", "decided_by", "revoked_by"
    ).prefetch_related("clients")
    if user.has_role(Role.SECURITY_ADMIN):
        return grants
    if user.has_role(Role.MANAGER):
        return grants.filter(Q(requester=user) | ~Q(pk__in=_grants_beyond(user)))
    return grants.filter(requester=user)


def _grants_beyond(user: User) -> QuerySet[AccessGrant, Any]:
    """Grants that name at least one client outside what ``user`` may see."""
    from shoumi.access import policy
    from shoumi.clients.models import Client

    hidden = Client.objects.exclude(pk__in=policy.own_clients(user, Client.objects.all()))
    return AccessGrant.objects.filter(clients__in=hidden).values("pk")


def grants_waiting_for(*, user: User) -> QuerySet[AccessGrant]:
    """Pending requests ``user`` may decide: a manager's, for clients they answer for."""
    if not user.has_role(Role.MANAGER):
        return AccessGrant.objects.none()
    return (
        grants_for(user=user)
        .filter(status=GrantStatus.PENDING)
        .exclude(requester=user)
        .exclude(pk__in=_grants_beyond(user))
    )


def grant_get(*, user: User, grant_id: object) -> AccessGrant | None:
    return grants_for(user=user).filter(pk=str(grant_id)).first()


def approvals_for(*, user: User) -> QuerySet[ApprovalRequest]:
    """The user's own requests and those the user's roles may decide."""
    kinds = [kind for kind, roles in APPROVER_ROLES.items() if user.role_set & roles]
    return ApprovalRequest.objects.select_related("requester", "decided_by").filter(
        Q(requester=user) | Q(kind__in=kinds)
    )


def approvals_waiting_for(*, user: User) -> QuerySet[ApprovalRequest]:
    kinds = [kind for kind, roles in APPROVER_ROLES.items() if user.role_set & roles]
    return ApprovalRequest.objects.filter(
        kind__in=kinds, status=ApprovalStatus.PENDING, expires_at__gt=clock.now()
    ).exclude(requester=user)


def approval_get(*, user: User, approval_id: object) -> ApprovalRequest | None:
    return approvals_for(user=user).filter(pk=str(approval_id)).first()


def alerts_for(*, user: User) -> QuerySet[Alert]:
    if not user.has_role(Role.SECURITY_ADMIN):
        return Alert.objects.none()
    return Alert.objects.select_related("user", "acknowledged_by")
