"""Queries for document pages; each returns only what the requesting user may see.

A document is visible to every user who may see its client (``shoumi.access.policy``).
Seeing a document means its type, date and uploader; its content is only
ever shown as a marked copy, which the services authorise separately.
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from shoumi.access import policy
from shoumi.access.matrix import Action, Outcome, outcome_for_roles
from shoumi.accounts.models import User
from shoumi.clients.models import Client
from shoumi.documents.models import ORIGINAL_FIELD, SCAN_FIELD, Document, IssuedCopy


def _visible_clients(user: User) -> QuerySet[Client]:
    return policy.limit_clients(user, Client.objects.all())


def client_get(*, user: User, client_id: uuid.UUID | str) -> Client | None:
    """Return the client if ``user`` may see it, else None (shown as not found)."""
    try:
        key = uuid.UUID(str(client_id))
    except ValueError:
        return None
    return _visible_clients(user).filter(pk=key).first()


def document_list(*, user: User, client: Client) -> QuerySet[Document]:
    """Return the documents of a client ``user`` may see, newest first within each type."""
    return (
        Document.objects.filter(client=client, client__in=_visible_clients(user).values("pk"))
        .select_related("uploaded_by")
        .order_by("document_type", "-uploaded_at")
    )


def document_get(*, user: User, document_id: uuid.UUID | str) -> Document | None:
    """Return one document of a client ``user`` may see, or None (shown as not found)."""
    try:
        key = uuid.UUID(str(document_id))
    except ValueError:
        return None
    return (
        Document.objects.filter(pk=key, client__in=_visible_clients(user).values("pk"))
        .select_related("client", "uploaded_by")
        .first()
    )


def can_preview(*, user: User, client: Client) -> bool:
    """Return whether thumbnails of ``client``'s documents can be shown to ``user``.

    True where viewing is allowed without a two-person approval (own
    client and role, or a temporary grant). The thumbnail service checks
    the gates and the policy again for each thumbnail.
    """
    decision = policy.decide(user, Action.REVEAL, client, "documents.document", SCAN_FIELD)
    return decision.allowed


def can_ask_original_export(*, user: User, document: Document) -> bool:
    """Return whether ``user`` may request an approval to export ``document``'s original."""
    level = policy.sensitivity_of("documents.document", ORIGINAL_FIELD)
    if level is None or not policy.is_own_client(user, document.client):
        return False
    return outcome_for_roles(user.role_set, level, Action.EXPORT) == Outcome.TWO_PERSON


def copy_list(*, user: User, document: Document) -> QuerySet[IssuedCopy]:
    """Return the register of copies issued from ``document``, newest first.

    Only for users who may read the client's change history (not clerks),
    because the register shows who looked at the scan and when.
    """
    if not policy.can_view_history(user, document.client):
        return IssuedCopy.objects.none()
    return (
        IssuedCopy.objects.filter(document=document)
        .select_related("issued_by", "recipient_staff")
        .order_by("-issued_at")
    )


def recipient_staff_list() -> QuerySet[User]:
    """Return the active staff who can receive a copy: everyone but the separated admins."""
    from shoumi.accounts.models import RoleAssignment
    from shoumi.accounts.roles import SEPARATED_ADMIN_ROLES

    separated = RoleAssignment.objects.filter(role__in=SEPARATED_ADMIN_ROLES).values("user_id")
    return User.objects.filter(is_active=True).exclude(pk__in=separated).order_by("employee_number")
