"""Who may see which client, and who may reveal which field.

This is the interim policy: it is one replaceable module so that the full
policy matrix (temporary grants, two-person approval, gates) can take its
place without touching the callers. Everything not allowed here is denied.

Visibility: clerks, reviewers and archivists see the clients assigned to
them or to their department; managers see their department's clients;
administrators see every client; the system, security and audit
administrators see no client data at all.

Reveal: reviewers and administrators may reveal fields of clients assigned
to them or to their department; everyone else is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from shoumi.accounts.models import User
from shoumi.accounts.roles import Role
from shoumi.vault.sensitivity import Sensitivity, registry

ALL_CLIENT_ROLES = frozenset({Role.ADMINISTRATOR})
DEPARTMENT_ROLES = frozenset({Role.MANAGER})
ASSIGNED_ROLES = frozenset({Role.CLERK, Role.REVIEWER, Role.ARCHIVIST})
REVEAL_ROLES = frozenset({Role.REVIEWER, Role.ADMINISTRATOR})
EDIT_ROLES = frozenset({Role.CLERK, Role.REVIEWER, Role.MANAGER, Role.ADMINISTRATOR})
CONFIRM_VALUE_ROLES = frozenset({Role.REVIEWER})


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str
    message: str = ""


ALLOW = Decision(allowed=True, code="allowed")


def visible_clients_filter(user: User) -> Q | None:
    """Return the Q that limits a Client queryset to what ``user`` may see, or None for nothing."""
    if not user.is_active or user.is_separated_admin:
        return None
    roles = user.role_set
    if roles & ALL_CLIENT_ROLES:
        return Q()
    condition = Q(assigned_staff=user)
    if user.department_id and roles & (ASSIGNED_ROLES | DEPARTMENT_ROLES):
        condition |= Q(department_id=user.department_id)
    if roles & (ASSIGNED_ROLES | DEPARTMENT_ROLES):
        return condition
    return None


def limit_clients(user: User, clients: QuerySet) -> QuerySet:
    """Limit a Client queryset to the clients ``user`` may see."""
    condition = visible_clients_filter(user)
    if condition is None:
        return clients.none()
    return clients.filter(condition).distinct() if condition else clients


def _pk_of(client: object) -> str:
    return str(getattr(client, "pk", ""))


def can_see_client(user: User, client: object) -> bool:
    from shoumi.clients.models import Client

    return limit_clients(user, Client.objects.filter(pk=_pk_of(client))).exists()


def can_edit_client(user: User, client: object) -> Decision:
    if not (user.role_set & EDIT_ROLES):
        return Decision(False, "role_cannot_edit", str(_("Your role cannot change client data.")))
    if not can_see_client(user, client):
        return Decision(
            False,
            "client_not_visible",
            str(_("The client does not exist or is not assigned to you.")),
        )
    return ALLOW


def editable_client_ids(user: User, client_ids: Iterable[object]) -> set[object]:
    """Return the ids among ``client_ids`` of the clients ``user`` may change."""
    from shoumi.clients.models import Client

    if not (user.role_set & EDIT_ROLES):
        return set()
    visible = limit_clients(user, Client.objects.filter(pk__in=list(client_ids)))
    return set(visible.values_list("pk", flat=True))


def can_confirm_value(user: User, client: object, *, stored_by_id: int | None) -> Decision:
    """Decide whether ``user`` may confirm a warned value that ``stored_by_id`` stored.

    Only reviewers confirm, and never a value they stored themselves, so a
    second person checks every value that failed a check.
    """
    if not (user.role_set & CONFIRM_VALUE_ROLES):
        return Decision(
            False, "role_cannot_confirm", str(_("Only a reviewer can confirm a value."))
        )
    if not can_see_client(user, client):
        return Decision(
            False,
            "client_not_visible",
            str(_("The client does not exist or is not assigned to you.")),
        )
    if stored_by_id is not None and stored_by_id == user.pk:
        return Decision(
            False,
            "own_value",
            str(_("You stored this value yourself; another reviewer must confirm it.")),
        )
    return ALLOW


def reveal_decision(user: User, client: object, model_label: str, field_name: str) -> Decision:
    """Decide whether ``user`` may reveal ``field_name`` of a record belonging to ``client``."""
    try:
        level = registry.level_of(model_label, field_name)
    except KeyError:
        return Decision(False, "field_unknown", str(_("This field cannot be revealed.")))
    if level == Sensitivity.PUBLIC:
        return ALLOW
    if user.is_separated_admin:
        return Decision(
            False,
            "separated_admin",
            str(_("System, security and audit administrators do not see client data.")),
        )
    if not (user.role_set & REVEAL_ROLES):
        return Decision(
            False,
            "role_cannot_reveal",
            str(
                _(
                    "Your role only sees masked values. Ask a reviewer, or request a temporary "
                    "grant from your manager."
                )
            ),
        )
    from shoumi.clients.models import Client

    assigned = Client.objects.filter(pk=_pk_of(client)).filter(
        Q(assigned_staff=user)
        | (Q(department_id=user.department_id) if user.department_id else Q(pk=None))
    )
    if not assigned.exists():
        return Decision(
            False,
            "client_not_assigned",
            str(_("This client is not assigned to you or your department.")),
        )
    return ALLOW
