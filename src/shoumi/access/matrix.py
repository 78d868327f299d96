"""The policy matrix: role × field sensitivity × action → allow, deny or two-person.

It follows the three tiers agencies use. Clerks (登记员) enter basic data and
see masks only, and cannot open change history. Reviewers (复核员) see
everything of their clients but cannot edit submitted data. Managers
(部门经理) approve and oversee. Archivists (档案管理员) keep paper and see
only public and internal fields. Administrators (管理员) hold everything,
but their reveals and destructive actions need a second person
(break-glass). The system, security and audit administrators see no client
data at all (separation of duties, MLPS level 3).

Every combination not listed is denied, and so is every unknown role,
sensitivity or action. A temporary grant can lift a DENY to ALLOW for
named clients, fields and actions; it never lifts TWO_PERSON, which always
needs an approval.

The matrix decides only by role and sensitivity. Whether the client is
assigned to the user (or to a grant) is checked on top of it by the
policy module.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from shoumi.accounts.roles import Role
from shoumi.vault.sensitivity import Sensitivity


class Action(StrEnum):
    VIEW_MASKED = "view_masked"
    REVEAL = "reveal"
    EDIT = "edit"
    EXPORT = "export"
    DELETE = "delete"
    APPROVE = "approve"
    VIEW_HISTORY = "view_history"


class Outcome(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    TWO_PERSON = "two_person"


ACTION_LABELS = {
    Action.VIEW_MASKED: _("View masked"),
    Action.REVEAL: _("Reveal"),
    Action.EDIT: _("Edit"),
    Action.EXPORT: _("Export"),
    Action.DELETE: _("Delete"),
    Action.APPROVE: _("Approve"),
    Action.VIEW_HISTORY: _("View change history"),
}

OUTCOME_LABELS = {
    Outcome.ALLOW: _("Allowed"),
    Outcome.DENY: _("Denied"),
    Outcome.TWO_PERSON: _("Needs a second person"),
}

ALLOW, DENY, TWO = Outcome.ALLOW, Outcome.DENY, Outcome.TWO_PERSON


def _row(
    *, public: Outcome, internal: Outcome, sensitive: Outcome, highly: Outcome
) -> dict[Sensitivity, Outcome]:
    return {
        Sensitivity.PUBLIC: public,
        Sensitivity.INTERNAL: internal,
        Sensitivity.SENSITIVE: sensitive,
        Sensitivity.HIGHLY_SENSITIVE: highly,
    }


def _all(outcome: Outcome) -> dict[Sensitivity, Outcome]:
    return _row(public=outcome, internal=outcome, sensitive=outcome, highly=outcome)


MATRIX: dict[str, dict[Action, dict[Sensitivity, Outcome]]] = {
    Role.CLERK: {
        Action.VIEW_MASKED: _all(ALLOW),
        Action.REVEAL: _row(public=ALLOW, internal=DENY, sensitive=DENY, highly=DENY),
        Action.EDIT: _row(public=ALLOW, internal=ALLOW, sensitive=ALLOW, highly=DENY),
        Action.EXPORT: _row(public=ALLOW, internal=ALLOW, sensitive=DENY, highly=DENY),
        Action.DELETE: _all(DENY),
        Action.APPROVE: _all(DENY),
        Action.VIEW_HISTORY: _all(DENY),
    },
    Role.REVIEWER: {
        Action.VIEW_MASKED: _all(ALLOW),
        Action.REVEAL: _all(ALLOW),
        Action.EDIT: _all(DENY),
        Action.EXPORT: _row(public=ALLOW, internal=ALLOW, sensitive=TWO, highly=DENY),
        Action.DELETE: _all(DENY),
        Action.APPROVE: _row(public=ALLOW, internal=ALLOW, sensitive=ALLOW, highly=DENY),
        Action.VIEW_HISTORY: _all(ALLOW),
    },
    Role.MANAGER: {
        Action.VIEW_MASKED: _all(ALLOW),
        Action.REVEAL: _row(public=ALLOW, internal=ALLOW, sensitive=DENY, highly=DENY),
        Action.EDIT: _row(public=ALLOW, internal=ALLOW, sensitive=DENY, highly=DENY),
        Action.EXPORT: _row(public=ALLOW, internal=ALLOW, sensitive=TWO, highly=DENY),
        Action.DELETE: _row(public=TWO, internal=TWO, sensitive=TWO, highly=TWO),
        Action.APPROVE: _all(ALLOW),
        Action.VIEW_HISTORY: _all(ALLOW),
    },
    Role.ARCHIVIST: {
        Action.VIEW_MASKED: _row(public=ALLOW, internal=ALLOW, sensitive=ALLOW, highly=DENY),
        Action.REVEAL: _row(public=ALLOW, internal=DENY, sensitive=DENY, highly=DENY),
        Action.EDIT: _all(DENY),
        Action.EXPORT: _all(DENY),
        Action.DELETE: _all(DENY),
        Action.APPROVE: _all(DENY),
        Action.VIEW_HISTORY: _all(DENY),
    },
    Role.ADMINISTRATOR: {
        Action.VIEW_MASKED: _all(ALLOW),
        Action.REVEAL: _row(public=ALLOW, internal=ALLOW, sensitive=TWO, highly=TWO),
        Action.EDIT: _all(ALLOW),
        Action.EXPORT: _row(public=ALLOW, internal=ALLOW, sensitive=TWO, highly=TWO),
        Action.DELETE: _all(TWO),
        Action.APPROVE: _all(ALLOW),
        Action.VIEW_HISTORY: _all(ALLOW),
    },
    Role.SYSTEM_ADMIN: {},
    Role.SECURITY_ADMIN: {},
    Role.AUDIT_ADMIN: {},
}

# When a user holds several roles, the most permissive outcome wins.
_RANK = {Outcome.DENY: 0, Outcome.TWO_PERSON: 1, Outcome.ALLOW: 2}


def outcome_for_role(role: str, sensitivity: int, action: str) -> Outcome:
    """Return the matrix cell; anything unknown is DENY."""
    try:
        return MATRIX[role][Action(action)][Sensitivity(sensitivity)]
    except (KeyError, ValueError):
        return Outcome.DENY


def outcome_for_roles(roles: frozenset[str] | set[str], sensitivity: int, action: str) -> Outcome:
    """Return the most permissive outcome over ``roles``; a separated admin role always denies."""
    from shoumi.accounts.roles import SEPARATED_ADMIN_ROLES

    if roles & SEPARATED_ADMIN_ROLES:
        return Outcome.DENY
    best = Outcome.DENY
    for role in roles:
        candidate = outcome_for_role(role, sensitivity, action)
        if _RANK[candidate] > _RANK[best]:
            best = candidate
    return best
