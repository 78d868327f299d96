"""E-mail notifications about grants, approvals and alerts.

A notification that cannot be sent is logged and does not undo the action
that caused it: the dashboard shows the same pending items.
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from django.conf import settings
from django.core.mail import send_mass_mail

from shoumi.accounts.models import User
from shoumi.accounts.roles import Role

logger = structlog.get_logger(__name__)


def users_with_role(role: str, *, department_id: int | None = None) -> list[User]:
    users = User.objects.filter(is_active=True, role_assignments__role=role)
    if department_id is not None:
        users = users.filter(department_id=department_id)
    return list(users.distinct())


def notify(recipients: Iterable[User], subject: str, body: str) -> int:
    """Send one e-mail to each recipient that has an address; return how many were sent."""
    addresses = sorted({user.email for user in recipients if user.email})
    if not addresses:
        return 0
    # One message per recipient, so staff do not see each other's addresses.
    messages = tuple(
        (
            f"[守密] {subject}",
            body + "\n\n" + settings.BASE_URL + "/",
            settings.DEFAULT_FROM_EMAIL,
            [address],
        )
        for address in addresses
    )
    try:
        return send_mass_mail(messages)
    except OSError as error:
        logger.error(
            "notification_failed", recipients=len(addresses), error_type=type(error).__name__
        )
        return 0


def managers_for(user: User) -> list[User]:
    """Return the managers who can approve the requests of ``user`` (own department first)."""
    managers = (
        users_with_role(Role.MANAGER, department_id=user.department_id)
        if user.department_id
        else []
    )
    if not managers:
        managers = users_with_role(Role.MANAGER)
    return [manager for manager in managers if manager.pk != user.pk]
