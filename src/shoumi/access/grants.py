"""Temporary access grants (临时权限申请): request, approve, reject, revoke.

A staff member asks for named clients, fields and actions, with a purpose
and a duration of at most 24 hours. A manager who is not the requester
decides. The clock starts at approval, not at the request, and the grant
stops working at ``expires_at`` because every use compares it with the
current time; no background job is needed. Decided and revoked grants stay
in the table for review.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shoumi.access import notifications, policy
from shoumi.access.errors import GrantError
from shoumi.access.matrix import Action
from shoumi.access.models import MAX_GRANT_MINUTES, AccessGrant, GrantStatus
from shoumi.accounts.models import User
from shoumi.accounts.roles import Role
from shoumi.audit import services as audit
from shoumi.audit.actions import Action as AuditAction
from shoumi.clients.models import Client
from shoumi.config import clock
from shoumi.vault.free_text import reject_identifiers
from shoumi.vault.sensitivity import registry

GRANTABLE = {Action.REVEAL.value, Action.EDIT.value, Action.EXPORT.value}


def _details(grant: AccessGrant) -> dict[str, object]:
    return {
        "grant": str(grant.pk),
        "clients": [str(pk) for pk in grant.clients.values_list("pk", flat=True)],
        "fields": list(grant.fields),
        "actions": list(grant.actions),
        "minutes": grant.duration_minutes,
    }


@transaction.atomic
def grant_request(
    *,
    actor: User,
    clients: Sequence[Client],
    fields: Sequence[str],
    actions: Sequence[str],
    purpose: str,
    duration_minutes: int,
    request: HttpRequest | None = None,
) -> AccessGrant:
    """Ask for a temporary grant; raises GrantError with a Chinese message on invalid input.

    ``clients`` may include clients the requester cannot see, and an approved
    grant then opens them. The request page offers only the visible ones
    (``client_choice_list``).
    """
    purpose = " ".join(purpose.split())
    if len(purpose) < 2:
        raise GrantError(_("State the purpose of the request."), code="purpose_missing")
    reject_identifiers(GrantError, purpose=purpose)
    if not 1 <= duration_minutes <= MAX_GRANT_MINUTES:
        raise GrantError(_("A temporary grant lasts at most 24 hours."), code="duration_invalid")
    if not clients:
        raise GrantError(_("Choose at least one client."), code="clients_missing")
    unknown_actions = set(actions) - GRANTABLE
    if not actions or unknown_actions:
        raise GrantError(
            _("Choose what the grant allows: reveal, edit or export."), code="actions_invalid"
        )
    for field_key in fields:
        model_label, _separator, field_name = field_key.rpartition(".")
        try:
            registry.level_of(model_label, field_name)
        except KeyError:
            raise GrantError(_("Unknown field in the request."), code="field_unknown") from None
    if not fields:
        raise GrantError(_("Choose at least one field."), code="fields_missing")
    if actor.is_separated_admin:
        raise GrantError(
            _("System, security and audit administrators do not see client data."),
            code="separated_admin",
        )
    departments = {client.department_id for client in clients}
    if len(departments) > 1:
        # Each department's manager decides for its own clients only, so a request
        # spanning two departments could never be decided.
        raise GrantError(
            _(
                "The chosen clients belong to different departments. Request each "
                "department's clients separately; its manager decides."
            ),
            code="clients_span_departments",
        )

    grant = AccessGrant.objects.create(
        requester=actor,
        fields=sorted(set(fields)),
        actions=sorted(set(actions)),
        purpose=purpose,
        duration_minutes=duration_minutes,
        requested_at=clock.now(),
    )
    grant.clients.set(clients)
    audit.append(
        action=AuditAction.GRANT_REQUESTED,
        actor=actor,
        object_type="access.grant",
        object_id=grant.pk,
        purpose=purpose,
        request=request,
        details=_details(grant),
    )
    (department_id,) = departments
    deciders = (
        [
            manager
            for manager in notifications.users_with_role(Role.MANAGER, department_id=department_id)
            if manager.pk != actor.pk
        ]
        if department_id is not None
        else []
    ) or notifications.managers_for(actor)
    transaction.on_commit(
        lambda: notifications.notify(
            deciders,
            _("Temporary access request waiting for you"),
            _("%(name)s requests temporary access: %(purpose)s")
            % {"name": actor.full_name, "purpose": purpose},
        )
    )
    return grant


def _check_approver(actor: User, grant: AccessGrant) -> None:
    if actor.pk == grant.requester_id:
        raise GrantError(_("You cannot approve your own request."), code="self_approval")
    if not actor.has_role(Role.MANAGER):
        raise GrantError(
            _("Only a manager can decide temporary access requests."), code="not_manager"
        )
    if grant.clients.exclude(pk__in=policy.own_clients(actor, Client.objects.all())).exists():
        # A manager is responsible for their own department's clients only. Otherwise
        # a clerk could have any manager open another department's client.
        raise GrantError(
            _(
                "This request names clients outside your department. The manager responsible "
                "for those clients must decide it."
            ),
            code="client_out_of_scope",
        )


@transaction.atomic
def grant_approve(
    *, actor: User, grant: AccessGrant, note: str = "", request: HttpRequest | None = None
) -> AccessGrant:
    """Approve a pending grant; its clock starts now. Two managers at once give one approval."""
    _check_approver(actor, grant)
    reject_identifiers(GrantError, note=note)
    now = clock.now()
    # The conditional update is the race guard: only one decision can move
    # the row out of "pending", whatever the database's locking does.
    updated = AccessGrant.objects.filter(pk=grant.pk, status=GrantStatus.PENDING).update(
        status=GrantStatus.APPROVED,
        decided_by=actor,
        decided_at=now,
        decision_note=note[:200],
        starts_at=now,
        expires_at=now + timedelta(minutes=grant.duration_minutes),
    )
    if updated != 1:
        raise GrantError(_("This request has already been decided."), code="already_decided")
    grant.refresh_from_db()
    audit.append(
        action=AuditAction.GRANT_APPROVED,
        actor=actor,
        object_type="access.grant",
        object_id=grant.pk,
        request=request,
        details={
            **_details(grant),
            "expires_at": grant.expires_at.isoformat() if grant.expires_at else "",
        },
    )
    requester = grant.requester
    transaction.on_commit(
        lambda: notifications.notify(
            [requester],
            _("Temporary access approved"),
            _("Your temporary access request was approved."),
        )
    )
    return grant


@transaction.atomic
def grant_reject(
    *, actor: User, grant: AccessGrant, note: str = "", request: HttpRequest | None = None
) -> AccessGrant:
    _check_approver(actor, grant)
    reject_identifiers(GrantError, note=note)
    updated = AccessGrant.objects.filter(pk=grant.pk, status=GrantStatus.PENDING).update(
        status=GrantStatus.REJECTED,
        decided_by=actor,
        decided_at=clock.now(),
        decision_note=note[:200],
    )
    if updated != 1:
        raise GrantError(_("This request has already been decided."), code="already_decided")
    grant.refresh_from_db()
    audit.append(
        action=AuditAction.GRANT_REJECTED,
        actor=actor,
        object_type="access.grant",
        object_id=grant.pk,
        request=request,
        details=_details(grant),
    )
    return grant


@transaction.atomic
def grant_revoke(
    *, actor: User, grant: AccessGrant, request: HttpRequest | None = None
) -> AccessGrant:
    """Revoke an approved grant; it stops working at once. The requester or a manager may revoke."""
    if actor.pk != grant.requester_id and not actor.has_role(Role.MANAGER, Role.SECURITY_ADMIN):
        raise GrantError(
            _("Only the requester or a manager can revoke a grant."), code="not_allowed"
        )
    updated = AccessGrant.objects.filter(pk=grant.pk, status=GrantStatus.APPROVED).update(
        status=GrantStatus.REVOKED, revoked_by=actor, revoked_at=clock.now()
    )
    if updated != 1:
        raise GrantError(_("Only an approved grant can be revoked."), code="not_active")
    grant.refresh_from_db()
    audit.append(
        action=AuditAction.GRANT_REVOKED,
        actor=actor,
        object_type="access.grant",
        object_id=grant.pk,
        request=request,
        details=_details(grant),
    )
    return grant
