"""Storage locations, cabinet key holders, and moving items between places and people."""

from __future__ import annotations

import structlog
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shoumi.access import policy
from shoumi.accounts.models import User
from shoumi.audit.actions import Action
from shoumi.config import clock
from shoumi.materials import permissions
from shoumi.materials.errors import (
    CustodyStateError,
    MaterialsInputInvalidError,
    SeparationOfDutiesError,
)
from shoumi.materials.models import (
    CabinetKeyHolder,
    CustodyEvent,
    CustodyEventKind,
    ItemStatus,
    KeySlot,
    LocationKind,
    MaterialItem,
    StorageLocation,
)
from shoumi.materials.services.common import (
    clean_note,
    clean_text,
    record_event,
    require_active_staff,
)
from shoumi.vault.sensitivity import Sensitivity

logger = structlog.get_logger(__name__)


def check_location_for(sensitivity: int, location: StorageLocation, *, field: str) -> None:
    """Raise unless ``location`` may hold paper of this confidentiality level.

    Sensitive and highly sensitive paper (ID-card copies, bank papers) must
    be locked away in a cabinet or a locked bag, never left loose in a room.
    """
    if sensitivity >= Sensitivity.SENSITIVE and not location.is_locked:
        raise MaterialsInputInvalidError(
            _("Sensitive paper must be kept in a cabinet or a locked bag, not loose in a room."),
            field=field,
        )


@transaction.atomic
def location_create(
    *,
    actor: User,
    kind: str,
    name: str,
    parent: StorageLocation | None = None,
    is_archive_room: bool = False,
    request: HttpRequest | None = None,
) -> StorageLocation:
    """Create a room, cabinet or locked bag."""
    permissions.require_role(
        actor, permissions.CUSTODY_ROLES, _("Your role cannot manage storage locations.")
    )
    cleaned = clean_text(
        name,
        field="name",
        minimum=1,
        maximum=100,
        message=_("Enter a name (at most 100 characters)."),
    )
    location = StorageLocation(
        kind=kind, name=cleaned, parent=parent, is_archive_room=is_archive_room and kind == "room"
    )
    location.full_clean()
    location.save()
    record_event(
        action=Action.STORAGE_LOCATION_CREATED,
        actor=actor,
        record=location,
        request=request,
        details={"kind": kind, "parent": str(parent.pk) if parent else None},
    )
    return location


@transaction.atomic
def cabinet_key_assign(
    *,
    actor: User,
    cabinet: StorageLocation,
    slot: str,
    holder: User,
    request: HttpRequest | None = None,
) -> CabinetKeyHolder:
    """Give ``holder`` the cabinet's key or combination; the two go to two different people.

    Raises SeparationOfDutiesError when ``holder`` already holds the other one.
    """
    permissions.require_role(
        actor, permissions.KEY_ASSIGNMENT_ROLES, _("Only a manager can assign cabinet keys.")
    )
    if cabinet.kind != LocationKind.CABINET:
        raise MaterialsInputInvalidError(_("Keys are assigned for cabinets only."), field="cabinet")
    if slot not in KeySlot.values:
        raise MaterialsInputInvalidError(_("Choose the key or the combination."), field="slot")
    require_active_staff(holder, field="holder")
    other = cabinet.key_holders.exclude(slot=slot).filter(holder=holder)
    if other.exists():
        raise SeparationOfDutiesError(
            _(
                "The key and the combination of a cabinet must be held by two different people. "
                "Choose someone else."
            ),
            field="holder",
        )
    try:
        with transaction.atomic():
            assignment, _created = CabinetKeyHolder.objects.update_or_create(
                cabinet=cabinet,
                slot=slot,
                defaults={"holder": holder, "assigned_at": clock.now(), "assigned_by": actor},
            )
    except IntegrityError as error:
        raise SeparationOfDutiesError(
            _(
                "The key and the combination of a cabinet must be held by two different people. "
                "Choose someone else."
            ),
            field="holder",
        ) from error
    record_event(
        action=Action.CABINET_KEY_ASSIGNED,
        actor=actor,
        record=cabinet,
        request=request,
        details={"slot": slot, "holder": holder.pk},
    )
    return assignment


def require_movable(item: MaterialItem) -> None:
    """Raise CustodyStateError for a destroyed item or one that is out on loan."""
    if item.status == ItemStatus.DESTROYED:
        raise CustodyStateError(_("This item has been destroyed; it cannot be moved or lent."))
    if item.status == ItemStatus.ON_LOAN:
        raise CustodyStateError(_("This item is on loan. Record its return before moving it."))


@transaction.atomic
def item_move(
    *,
    actor: User,
    item: MaterialItem,
    location: StorageLocation | None = None,
    holder: User | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> MaterialItem:
    """Move an item to another location, another holder, or both; the change is recorded.

    The current holder or a custodian (archivist, manager, administrator)
    may move it. Raises CustodyStateError for destroyed items or items on
    loan.
    """
    item = MaterialItem.objects.select_for_update().get(pk=item.pk)
    permissions.require_client_visible(actor, item.client)
    if item.holder_id != actor.pk:
        permissions.require_role(
            actor,
            permissions.CUSTODY_ROLES,
            _("Only the current holder or an archivist can move this item."),
        )
    require_movable(item)
    new_location = location if location is not None else item.location
    new_holder = holder if holder is not None else item.holder
    if new_location == item.location and new_holder == item.holder:
        raise MaterialsInputInvalidError(
            _("Choose a new location or a new holder."), field="location"
        )
    if new_location is not None:
        check_location_for(item.sensitivity, new_location, field="location")
    require_active_staff(new_holder, field="holder")
    if new_holder is not None and not policy.can_see_client(new_holder, item.client):
        raise MaterialsInputInvalidError(
            _("The new holder is not allowed to see this client's paper."), field="holder"
        )

    event = CustodyEvent.objects.create(
        item=item,
        kind=CustodyEventKind.MOVED,
        occurred_at=clock.now(),
        actor=actor,
        from_location=item.location,
        to_location=new_location,
        from_holder=item.holder,
        to_holder=new_holder,
        note=clean_note(note, field="note", maximum=200),
    )
    item.location = new_location
    item.holder = new_holder
    item.full_clean()
    item.save(update_fields=["location", "holder"])
    record_event(
        action=Action.MATERIAL_MOVED,
        actor=actor,
        record=item,
        request=request,
        details={
            "client": str(item.client_id),
            "from_location": str(event.from_location_id or ""),
            "to_location": str(event.to_location_id or ""),
            "from_holder": event.from_holder_id,
            "to_holder": event.to_holder_id,
        },
    )
    return item
