"""Queries about staff accounts."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from shoumi.accounts.models import RoleAssignment, User
from shoumi.accounts.roles import Role


def active_user_get(*, user_id: int) -> User | None:
    """Return the active user with this id, or None."""
    return User.objects.filter(pk=user_id, is_active=True).first()


def staff_list(*, requester: User) -> QuerySet[User]:
    """Return all staff accounts with department and roles loaded; system administrators only."""
    if not requester.has_role(Role.SYSTEM_ADMIN):
        return User.objects.none()
    return User.objects.select_related("department").prefetch_related(
        Prefetch("role_assignments", queryset=RoleAssignment.objects.order_by("role"))
    )


def staff_get(*, requester: User, user_id: int) -> User | None:
    """Return one staff account if the requester may manage it, else None."""
    return staff_list(requester=requester).filter(pk=user_id).first()
