"""Who may see which client, and who may do what with which field.

Decisions combine four things, and anything not allowed is denied:

1. Visibility. Clerks, reviewers and archivists see the clients assigned to
   them or to their department; managers see their department's clients;
   administrators see every client; the system, security and audit
   administrators see none. An active temporary grant adds its named
   clients for its named fields and actions.
2. The policy matrix (``shoumi.access.matrix``): role × sensitivity × action.
3. For TWO_PERSON cells, an approved and unused two-person approval for
   exactly this record, field and action.
4. For reveals and exports, the access gates (``shoumi.access.gates``).

Objects a user may not see are reported as not found by the selectors;
this module only answers yes or no with a reason.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from shoumi.access.matrix import Action, Outcome, outcome_for_roles
from shoumi.accounts.models import User
from shoumi.accounts.roles import Role
from shoumi.config import clock
from shoumi.vault.sensitivity import Sensitivity, registry

ALL_CLIENT_ROLES = frozenset({Role.ADMINISTRATOR})
DEPARTMENT_ROLES = frozenset({Role.MANAGER})
ASSIGNED_ROLES = frozenset({Role.CLERK, Role.REVIEWER, Role.ARCHIVIST})
CONFIRM_VALUE_ROLES = frozenset({Role.REVIEWER})


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str
    message: str = ""
    grant_id: str = ""
    approval_id: str = ""
    needs_approval: bool = False


ALLOW = Decision(allowed=True, code="allowed")


def _visibility(user: User) -> str:
    """Return which clients ``user`` may see without a grant: "all", "own" or "none"."""
    if not user.is_active or user.is_separated_admin:
        return "none"
    roles = user.role_set
    if roles & ALL_CLIENT_ROLES:
        return "all"
    if not roles & (ASSIGNED_ROLES | DEPARTMENT_ROLES):
        return "none"
    return "own"


def visible_clients_filter(user: User) -> Q | None:
    """Return the Q limiting a Client queryset to the user's own clients, or None for nothing."""
    visibility = _visibility(user)
    if visibility == "none":
        return None
    if visibility == "all":
        return Q()
    # A subquery rather than a join, so the result has no duplicate rows and
    # list pages need no DISTINCT over the whole client table.
    from shoumi.clients.models import Client

    assignments = Client.assigned_staff.through.objects.filter(user_id=user.pk).values("client_id")
    condition = Q(pk__in=assignments)
    if user.department_id:
        condition |= Q(department_id=user.department_id)
    return condition


def _granted_client_ids(user: User, moment: datetime) -> QuerySet:
    from shoumi.access.models import AccessGrant, GrantStatus

    active = AccessGrant.objects.filter(
        requester=user, status=GrantStatus.APPROVED, starts_at__lte=moment, expires_at__gt=moment
    )
    return active.values("clients")


def limit_clients(user: User, clients: QuerySet) -> QuerySet:
    """Limit a Client queryset to the clients ``user`` may see (own, department, or granted)."""
    condition = visible_clients_filter(user)
    if user.is_separated_admin or not user.is_active:
        return clients.none()
    granted = Q(pk__in=_granted_client_ids(user, clock.now()))
    if condition is None:
        return clients.filter(granted)
    if not condition:
        return clients
    return clients.filter(condition | granted)


def own_clients(user: User, clients: QuerySet) -> QuerySet:
    """Limit a Client queryset to the user's own clients, leaving out those only granted.

    Own clients are the assigned ones, the department's, or all of them, by role.
    """
    condition = visible_clients_filter(user)
    if condition is None:
        return clients.none()
    return clients.filter(condition) if condition else clients


def _pk_of(client: object) -> str:
    return str(getattr(client, "pk", ""))


@functools.cache
def _own_client_sql(visibility: str, by_department: bool) -> str:
    from shoumi.clients.models import Client

    client_table = Client._meta.db_table
    if visibility == "all":
        return f"EXISTS (SELECT 1 FROM {client_table} WHERE id = %s)"  # noqa: S608
    assigned = Client.assigned_staff.through._meta.db_table
    sql = (
        f"EXISTS (SELECT 1 FROM {client_table} AS client WHERE client.id = %s AND ("  # noqa: S608
        f"EXISTS (SELECT 1 FROM {assigned} AS assigned "
        "WHERE assigned.client_id = client.id AND assigned.user_id = %s)"
    )
    if by_department:
        sql += " OR client.department_id = %s"
    return sql + "))"


def own_client_condition(user: User, client: object) -> tuple[str, list[Any]] | None:
    """Return an SQL condition that holds when ``client`` is ``user``'s own, with its parameters.

    The same rule as :func:`visible_clients_filter`, as raw SQL for the
    reveal path, which runs it in :func:`is_own_client` or as a column of
    the gates' query. None when no client is ``user``'s own.
    """
    from shoumi.clients.models import Client

    visibility = _visibility(user)
    if visibility == "none":
        return None
    pk = getattr(client, "pk", "")
    client_id = Client._meta.pk.get_db_prep_value(
        pk if isinstance(pk, uuid.UUID) else _pk_of(client), connection
    )
    by_department = bool(user.department_id)
    parameters: list[Any] = [client_id]
    if visibility == "own":
        parameters.append(user.pk)
        if by_department:
            parameters.append(user.department_id)
    return _own_client_sql(visibility, by_department), parameters


def is_own_client(user: User, client: object) -> bool:
    """Return whether the client is visible to ``user`` without any grant."""
    condition = own_client_condition(user, client)
    if condition is None:
        return False
    sql, parameters = condition
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", parameters)
        return bool(cursor.fetchone()[0])


def can_see_client(user: User, client: object) -> bool:
    from shoumi.clients.models import Client

    return limit_clients(user, Client.objects.filter(pk=_pk_of(client))).exists()


def active_grant(user: User, client: object, field_key: str, action: str, moment: datetime) -> str:
    """Return the id of an active grant covering (client, field, action), or ""."""
    from shoumi.access.models import AccessGrant, GrantStatus

    candidates = AccessGrant.objects.filter(
        requester=user,
        status=GrantStatus.APPROVED,
        starts_at__lte=moment,
        expires_at__gt=moment,
        clients__pk=_pk_of(client),
    ).order_by("expires_at")
    for grant in candidates:
        if action in grant.actions and field_key in grant.fields:
            return str(grant.pk)
    return ""


# Every field a ledger import writes, as model label and field name.
IMPORTED_FIELDS = (
    ("clients.client", "name"),
    ("clients.client", "uscc"),
    ("clients.client", "registered_address"),
    ("clients.client", "status"),
    ("clients.person", "name"),
    ("clients.person", "resident_id"),
    ("clients.person", "mobile"),
    ("clients.bankaccount", "bank_name"),
    ("clients.bankaccount", "account_number"),
)


def can_import(user: User) -> bool:
    """Whether the matrix lets ``user``'s roles edit every field a ledger import writes."""
    if not user.is_active or user.is_separated_admin:
        return False
    for model_label, field_name in IMPORTED_FIELDS:
        level = sensitivity_of(model_label, field_name)
        if level is None:
            return False
        if outcome_for_roles(user.role_set, level, Action.EDIT) != Outcome.ALLOW:
            return False
    return True


CLIENT_CREATE_FIELDS = ("name", "uscc", "registered_address")


def can_create_clients(user: User) -> bool:
    """Return whether the matrix lets ``user``'s roles fill in every field of a new client."""
    if not user.is_active or user.is_separated_admin:
        return False
    for field_name in CLIENT_CREATE_FIELDS:
        level = sensitivity_of("clients.client", field_name)
        if level is None:
            return False
        if outcome_for_roles(user.role_set, level, Action.EDIT) != Outcome.ALLOW:
            return False
    return True


def editable_client_ids(user: User, client_ids: Iterable[object]) -> set[object]:
    """Return the ids among ``client_ids`` of the clients an import by ``user`` may add to.

    These are the user's own clients (assigned or of their department) when
    ``can_import`` allows the user at all. A temporary grant does not count,
    because grants name single fields and actions, not whole imports.
    """
    from shoumi.clients.models import Client

    if not can_import(user):
        return set()
    condition = visible_clients_filter(user)
    if condition is None:
        return set()
    own = Client.objects.filter(condition, pk__in=list(client_ids))
    return set(own.values_list("pk", flat=True))


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


def sensitivity_of(model_label: str, field_name: str) -> Sensitivity | None:
    try:
        return registry.level_of(model_label, field_name)
    except KeyError:
        return None


def decide(
    user: User,
    action: str,
    client: object,
    model_label: str,
    field_name: str,
    *,
    subject_id: str = "",
    approval_kind: str = "",
    own_client: bool | None = None,
) -> Decision:
    """Decide ``action`` on one field of a record that belongs to ``client``.

    ``subject_id`` is the record's id, which a two-person approval must name.
    ``approval_kind`` names the kind of approval that a TWO_PERSON cell
    accepts, when it is not the usual one for ``action`` (break-glass for
    reveals, bulk export for exports, deletion for deletes). ``own_client``
    is :func:`is_own_client` for a caller that read it already (the reveal
    service, with the gates); without it, it is read here. Gates are not
    checked here; the services check them for reveals and exports.
    """
    moment = clock.now()
    level = sensitivity_of(model_label, field_name)
    if level is None:
        return Decision(False, "field_unknown", _("This field is not open to this action."))
    if user.is_separated_admin:
        return Decision(
            False,
            "separated_admin",
            _("System, security and audit administrators do not see client data."),
        )
    field_key = f"{model_label}.{field_name}"
    outcome = outcome_for_roles(user.role_set, level, action)
    own = is_own_client(user, client) if own_client is None else own_client

    if outcome == Outcome.ALLOW and own:
        return ALLOW
    if outcome == Outcome.TWO_PERSON and own:
        kind = approval_kind or _default_approval_kind(action)
        approval_id = _approved_request(user, kind, model_label, subject_id, field_name, moment)
        if approval_id:
            return Decision(True, "approved", approval_id=approval_id)
        return Decision(
            False,
            "needs_second_person",
            _("This needs the approval of a second person. Request a two-person approval first."),
            needs_approval=True,
        )
    grant_id = active_grant(user, client, field_key, action, moment)
    if grant_id:
        return Decision(True, "granted", grant_id=grant_id)
    if not own:
        return Decision(
            False,
            "client_not_assigned",
            _("This client is not assigned to you or your department."),
        )
    if action == Action.REVEAL:
        return Decision(
            False,
            "role_cannot_reveal",
            _(
                "Your role only sees masked values. Ask a reviewer, or request a temporary "
                "grant from your manager."
            ),
        )
    return Decision(
        False,
        f"role_cannot_{action}",
        _(
            "Your role may not do this. Request a temporary grant from your manager "
            "if your work needs it."
        ),
    )


def _default_approval_kind(action: str) -> str:
    """Return the approval kind that a TWO_PERSON cell accepts for ``action``, or ""."""
    from shoumi.access.models import ApprovalKind

    kinds = {
        Action.REVEAL: ApprovalKind.BREAK_GLASS_REVEAL,
        Action.DELETE: ApprovalKind.DELETE_CLIENT_DATA,
        Action.EXPORT: ApprovalKind.BULK_EXPORT,
    }
    return kinds.get(Action(action), "")


def _approved_request(
    user: User, kind: str, model_label: str, subject_id: str, field_name: str, moment: datetime
) -> str:
    from shoumi.access.models import ApprovalRequest, ApprovalStatus

    if not kind:
        return ""
    approval = (
        ApprovalRequest.objects.filter(
            kind=kind,
            requester=user,
            status=ApprovalStatus.APPROVED,
            expires_at__gt=moment,
            subject_key=subject_key(model_label, subject_id, field_name),
        )
        .order_by("requested_at")
        .first()
    )
    return str(approval.pk) if approval else ""


def subject_key(model_label: str, record_id: str, field_name: str) -> str:
    """Return the canonical key that ties an approval to one record and field."""
    return f"{model_label}:{record_id}:{field_name}"


def can_edit_client(user: User, client: object, fields: tuple[str, ...] = ("name",)) -> Decision:
    """Decide whether ``user`` may edit the given client fields (client model labels)."""
    for field in fields:
        model_label, _separator, field_name = field.rpartition(".")
        decision = decide(user, Action.EDIT, client, model_label or "clients.client", field_name)
        if not decision.allowed:
            return decision
    return ALLOW


def can_view_history(user: User, client: object) -> bool:
    """Whether ``user`` may open the change history of a client (clerks may not)."""
    if not can_see_client(user, client):
        return False
    return (
        outcome_for_roles(user.role_set, Sensitivity.INTERNAL, Action.VIEW_HISTORY) == Outcome.ALLOW
    )
