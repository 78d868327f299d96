"""Queries for the materials pages; each returns only what the requesting user may see.

An item is visible to a user who may see its client. A loan is visible to
its borrower too. A destruction list or record is visible to its operator
and supervisor, and to anyone who may see every client on it. Storage
locations and the archive room carry no client data and are visible to
staff with a business role or an archive-room duty.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from shoumi.accounts.models import User
from shoumi.accounts.roles import Role
from shoumi.materials import permissions
from shoumi.materials.models import (
    CustodyEvent,
    DestructionEntry,
    DestructionList,
    DestructionListStatus,
    DestructionOverride,
    DestructionRecord,
    DestructionRecordItem,
    EnvironmentAlert,
    Inspection,
    InspectionFinding,
    Intake,
    ItemStatus,
    Loan,
    LoanStatus,
    MaterialItem,
    Sensor,
    StorageLocation,
)
from shoumi.materials.services.common import today


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def visible_items(user: User) -> QuerySet[MaterialItem]:
    if not permissions.has_any_role(user, permissions.BUSINESS_ROLES):
        return MaterialItem.objects.none()
    return MaterialItem.objects.filter(client__in=permissions.visible_clients(user).values("pk"))


def item_list(
    *, user: User, status: str = "", query: str = "", client_id: object = None
) -> QuerySet[MaterialItem]:
    """Return the visible items, newest intake first, filtered by status, name or client."""
    items = visible_items(user)
    if status:
        items = items.filter(status=status)
    if query.strip():
        text = query.strip()
        items = items.filter(
            Q(name__icontains=text) | Q(client__name__icontains=text) | Q(intake__number=text)
        )
    key = _uuid(client_id) if client_id else None
    if key is not None:
        items = items.filter(client_id=key)
    return items.select_related("client", "intake", "location", "holder").order_by(
        "-intake__received_at", "created_at"
    )


def item_get(*, user: User, item_id: object) -> MaterialItem | None:
    """Return one visible item with its custody history and loans loaded, or None."""
    key = _uuid(item_id)
    if key is None:
        return None
    return (
        visible_items(user)
        .filter(pk=key)
        .select_related("client", "intake", "location", "holder", "retained_by")
        .prefetch_related(
            Prefetch(
                "custody_events",
                queryset=CustodyEvent.objects.select_related(
                    "actor", "from_location", "to_location", "from_holder", "to_holder"
                ),
            ),
            Prefetch("loans", queryset=Loan.objects.select_related("borrower", "decided_by")),
        )
        .first()
    )


def _visible_intakes(user: User) -> QuerySet[Intake]:
    if not permissions.has_any_role(user, permissions.BUSINESS_ROLES):
        return Intake.objects.none()
    return Intake.objects.filter(
        client__in=permissions.visible_clients(user).values("pk")
    ).select_related("client", "receiver")


def intake_list(*, user: User) -> QuerySet[Intake]:
    return _visible_intakes(user).prefetch_related("items").order_by("-received_at")


def intake_get(*, user: User, intake_id: object) -> Intake | None:
    """Return one visible intake with its items and their locations, or None."""
    key = _uuid(intake_id)
    if key is None:
        return None
    return (
        _visible_intakes(user)
        .filter(pk=key)
        .prefetch_related(
            Prefetch(
                "items",
                queryset=MaterialItem.objects.select_related("location", "holder").order_by(
                    "created_at"
                ),
            )
        )
        .first()
    )


def location_list(*, user: User) -> QuerySet[StorageLocation]:
    if not permissions.has_any_role(
        user, permissions.BUSINESS_ROLES | permissions.ARCHIVE_ROOM_VIEW_ROLES
    ):
        return StorageLocation.objects.none()
    return StorageLocation.objects.select_related("parent", "parent__parent").prefetch_related(
        "key_holders__holder"
    )


def location_get(*, user: User, location_id: object) -> StorageLocation | None:
    key = _uuid(location_id)
    return location_list(user=user).filter(pk=key).first() if key else None


def loan_list(*, user: User, status: str = "") -> QuerySet[Loan]:
    """Return the loans of visible items and the user's own loans."""
    loans = Loan.objects.filter(Q(item__in=visible_items(user).values("pk")) | Q(borrower=user))
    if status == "overdue":
        loans = loans.filter(status=LoanStatus.LENT, due_on__lt=today())
    elif status:
        loans = loans.filter(status=status)
    return loans.select_related(
        "item", "item__client", "borrower", "decided_by", "handed_out_by", "received_by"
    ).order_by("-requested_at")


def loan_get(*, user: User, loan_id: object) -> Loan | None:
    key = _uuid(loan_id)
    return loan_list(user=user).filter(pk=key).first() if key else None


def loans_overdue_unnotified(*, on: date) -> QuerySet[Loan]:
    """Return loans past due whose borrower was not yet notified on ``on`` (system task)."""
    return (
        Loan.objects.filter(status=LoanStatus.LENT, due_on__lt=on)
        .filter(Q(last_overdue_notice_on__isnull=True) | Q(last_overdue_notice_on__lt=on))
        .select_related("item", "item__client", "borrower")
        .order_by("due_on")
    )


def _archivists() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role_assignments__role=Role.ARCHIVIST).distinct()


def overdue_recipients(loan: Loan) -> list[str]:
    """Return the addresses of the borrower and of the archivists who may see the loan's client."""
    addresses = []
    if loan.borrower.is_active and loan.borrower.email:
        addresses.append(loan.borrower.email)
    for archivist in _archivists().exclude(email=""):
        visible = permissions.visible_clients(archivist).filter(pk=loan.item.client_id)
        if visible.exists() and archivist.email not in addresses:
            addresses.append(archivist.email)
    return addresses


def archivist_emails() -> list[str]:
    return sorted(set(_archivists().exclude(email="").values_list("email", flat=True)))


def _hidden_entry_exists(user: User) -> Exists:
    visible = permissions.visible_clients(user).values("pk")
    return Exists(
        DestructionEntry.objects.filter(destruction_list=OuterRef("pk")).exclude(
            item__client__in=visible
        )
    )


def destruction_list_list(*, user: User) -> QuerySet[DestructionList]:
    """Return lists the user runs or supervises, or whose every client the user may see."""
    if not permissions.has_any_role(user, permissions.BUSINESS_ROLES):
        return DestructionList.objects.none()
    return (
        DestructionList.objects.annotate(has_hidden=_hidden_entry_exists(user))
        .filter(Q(operator=user) | Q(supervisor=user) | Q(has_hidden=False))
        .select_related("operator", "supervisor")
        .order_by("-created_at")
    )


def destruction_list_get(*, user: User, list_id: object) -> DestructionList | None:
    key = _uuid(list_id)
    if key is None:
        return None
    return (
        destruction_list_list(user=user)
        .filter(pk=key)
        .prefetch_related(
            Prefetch(
                "entries",
                queryset=DestructionEntry.objects.select_related(
                    "item", "item__client", "item__intake", "item__retained_by"
                ).order_by("id"),
            ),
            Prefetch(
                "overrides",
                queryset=DestructionOverride.objects.select_related(
                    "requested_by", "approved_by"
                ).prefetch_related("items"),
            ),
        )
        .first()
    )


def destruction_record_list(*, user: User) -> QuerySet[DestructionRecord]:
    if not permissions.has_any_role(user, permissions.BUSINESS_ROLES):
        return DestructionRecord.objects.none()
    visible = permissions.visible_clients(user).values("pk")
    hidden = Exists(
        DestructionRecordItem.objects.filter(record=OuterRef("pk")).exclude(
            item__client__in=visible
        )
    )
    return (
        DestructionRecord.objects.annotate(has_hidden=hidden)
        .filter(Q(operator=user) | Q(supervisor=user) | Q(has_hidden=False))
        .order_by("-destroyed_at")
    )


def destruction_record_get(*, user: User, record_id: object) -> DestructionRecord | None:
    key = _uuid(record_id)
    if key is None:
        return None
    return (
        destruction_record_list(user=user)
        .filter(pk=key)
        .select_related("override", "override__requested_by", "override__approved_by")
        .prefetch_related("items")
        .first()
    )


def destroyable_items(*, user: User) -> QuerySet[MaterialItem]:
    """Return visible copies and drafts in custody that no open destruction list holds."""
    listed = DestructionEntry.objects.filter(
        destruction_list__status=DestructionListStatus.OPEN
    ).values("item_id")
    return (
        item_list(user=user, status=ItemStatus.IN_CUSTODY)
        .filter(kind__in=["copy", "draft"])
        .exclude(retention_period="permanent")
        .exclude(pk__in=listed)
    )


def archive_rooms(*, user: User) -> QuerySet[StorageLocation]:
    return location_list(user=user).filter(is_archive_room=True)


def inspection_list(*, user: User) -> QuerySet[Inspection]:
    if not permissions.has_any_role(user, permissions.ARCHIVE_ROOM_VIEW_ROLES):
        return Inspection.objects.none()
    return (
        Inspection.objects.select_related("room", "inspector")
        .prefetch_related(
            Prefetch("findings", queryset=InspectionFinding.objects.select_related("assignee"))
        )
        .order_by("-month", "room__name")
    )


def open_findings(*, user: User) -> QuerySet[InspectionFinding]:
    """Return the open follow-ups the user is assigned, or all of them for inspectors."""
    findings = InspectionFinding.objects.filter(resolved_at__isnull=True)
    if not permissions.has_any_role(user, permissions.INSPECTION_ROLES):
        findings = findings.filter(assignee=user)
    return findings.select_related("inspection__room", "assignee").order_by("due_on")


def finding_get(*, user: User, finding_id: object) -> InspectionFinding | None:
    key = _uuid(finding_id)
    return open_findings(user=user).filter(pk=key).first() if key else None


def sensor_list(*, user: User) -> QuerySet[Sensor]:
    if not permissions.has_any_role(user, permissions.ARCHIVE_ROOM_VIEW_ROLES):
        return Sensor.objects.none()
    return Sensor.objects.select_related("room").prefetch_related("readings")


def open_alerts(*, user: User) -> QuerySet[EnvironmentAlert]:
    if not permissions.has_any_role(user, permissions.ARCHIVE_ROOM_VIEW_ROLES):
        return EnvironmentAlert.objects.none()
    return EnvironmentAlert.objects.filter(closed_at__isnull=True).select_related("sensor__room")


def rooms_not_inspected_this_month(*, user: User) -> QuerySet[StorageLocation]:
    if not permissions.has_any_role(user, permissions.INSPECTION_ROLES):
        return StorageLocation.objects.none()
    month = today().replace(day=1)
    done = Inspection.objects.filter(month=month).values("room_id")
    return StorageLocation.objects.filter(is_archive_room=True).exclude(pk__in=done)
