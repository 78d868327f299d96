"""Which roles may take which step on paper materials.

A user sees an item when ``shoumi.access.policy`` lets them see its client:
staff see the paper of the clients assigned to them or their department, managers
their department's, administrators all, and the separated system, security
and audit administrators none. On top of that each step names the roles
that may take it; everything else is refused.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from shoumi.access import policy
from shoumi.accounts.models import User
from shoumi.accounts.roles import Role
from shoumi.clients.models import Client
from shoumi.materials.errors import MaterialsNotFoundError, MaterialsPermissionError

BUSINESS_ROLES = frozenset(
    {Role.CLERK, Role.REVIEWER, Role.MANAGER, Role.ARCHIVIST, Role.ADMINISTRATOR}
)
INTAKE_ROLES = BUSINESS_ROLES
CUSTODY_ROLES = frozenset({Role.ARCHIVIST, Role.MANAGER, Role.ADMINISTRATOR})
KEY_ASSIGNMENT_ROLES = frozenset({Role.MANAGER, Role.ADMINISTRATOR})
BORROWER_ROLES = BUSINESS_ROLES
LOAN_APPROVER_ROLES = frozenset({Role.MANAGER})
HAND_OUT_ROLES = frozenset({Role.ARCHIVIST})
DESTRUCTION_OPERATOR_ROLES = frozenset({Role.ARCHIVIST, Role.CLERK})
DESTRUCTION_SUPERVISOR_ROLES = frozenset({Role.MANAGER})
RETAIN_ROLES = frozenset({Role.REVIEWER})
INSPECTION_ROLES = frozenset({Role.ARCHIVIST, Role.MANAGER})
SENSOR_ROLES = frozenset({Role.ARCHIVIST, Role.ADMINISTRATOR, Role.SYSTEM_ADMIN})
ARCHIVE_ROOM_VIEW_ROLES = INSPECTION_ROLES | SENSOR_ROLES


def has_any_role(user: User, roles: Iterable[str]) -> bool:
    return bool(user.is_active and user.role_set & frozenset(roles))


def require_role(user: User, roles: Iterable[str], message: str) -> None:
    """Raise MaterialsPermissionError with ``message`` unless ``user`` has one of ``roles``."""
    if not has_any_role(user, roles):
        raise MaterialsPermissionError(message)


def visible_clients(user: User) -> QuerySet[Client]:
    return policy.limit_clients(user, Client.objects.all())


def require_client_visible(user: User, client: Client) -> None:
    """Raise MaterialsNotFoundError unless ``user`` may see ``client``."""
    if not policy.can_see_client(user, client):
        raise MaterialsNotFoundError(_("The record does not exist or you have no access to it."))
