"""Destruction lists: two-person confirmation, retain marks, early-destruction overrides.

An operator lists copies and drafts and names a supervising manager (监销人).
Both confirm. The second confirmation carries the list out, so the items are
marked destroyed, their custody ends and a permanent destruction record is
written. An item a reviewer marked "retain" is never destroyed by a
confirmation of the whole list; it stays in custody. An item whose retention
period is still running is destroyed only under an override that a second
manager approved within the hour.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shoumi.access import policy
from shoumi.accounts.models import User
from shoumi.audit.actions import Action
from shoumi.config import clock
from shoumi.materials import permissions
from shoumi.materials.errors import (
    CustodyStateError,
    MaterialsInputInvalidError,
    MaterialsPermissionError,
    RetentionPeriodError,
    SeparationOfDutiesError,
)
from shoumi.materials.models import (
    CustodyEvent,
    CustodyEventKind,
    DestructionEntry,
    DestructionList,
    DestructionListStatus,
    DestructionMethod,
    DestructionOverride,
    DestructionRecord,
    DestructionRecordItem,
    EntryOutcome,
    ItemStatus,
    MaterialItem,
)
from shoumi.materials.models.items import DESTROYABLE_KINDS
from shoumi.materials.retention import RetentionPeriod, is_retention_running
from shoumi.materials.services.common import clean_text, record_event, today

logger = structlog.get_logger(__name__)

OVERRIDE_VALIDITY = timedelta(hours=1)
MAX_ITEMS_PER_LIST = 500


def _require_destroyable(item: MaterialItem) -> None:
    if item.status == ItemStatus.DESTROYED:
        raise CustodyStateError(_("This item has already been destroyed."))
    if item.status == ItemStatus.ON_LOAN:
        raise CustodyStateError(_("An item on loan cannot be destroyed. Record its return first."))
    if item.kind not in DESTROYABLE_KINDS:
        raise CustodyStateError(
            _("Originals belong to the client and are returned, not destroyed.")
        )
    if item.retention_period == RetentionPeriod.PERMANENT:
        raise CustodyStateError(_("Records kept permanently cannot be destroyed."))


@transaction.atomic
def destruction_list_create(
    *,
    actor: User,
    supervisor: User | None,
    method: str,
    items: Sequence[MaterialItem],
    request: HttpRequest | None = None,
) -> DestructionList:
    """List copies and drafts for destruction; ``actor`` is the operator.

    Raises MaterialsInputInvalidError without a supervisor,
    SeparationOfDutiesError when the supervisor is the operator, and
    CustodyStateError for an item that may not be destroyed.
    """
    permissions.require_role(
        actor,
        permissions.DESTRUCTION_OPERATOR_ROLES,
        _("Only an archivist or a clerk can list paper for destruction."),
    )
    if supervisor is None:
        raise MaterialsInputInvalidError(
            _("Destruction needs a supervising manager. Choose one."), field="supervisor"
        )
    if supervisor.pk == actor.pk:
        raise SeparationOfDutiesError(
            _("The operator and the supervisor of a destruction must be two different people."),
            field="supervisor",
        )
    if not permissions.has_any_role(supervisor, permissions.DESTRUCTION_SUPERVISOR_ROLES):
        raise MaterialsInputInvalidError(
            _("The supervisor of a destruction must be an active manager."), field="supervisor"
        )
    if method not in DestructionMethod.values:
        raise MaterialsInputInvalidError(_("Choose how the paper is destroyed."), field="method")
    unique_ids = list(dict.fromkeys(item.pk for item in items))
    if not unique_ids:
        raise MaterialsInputInvalidError(_("Choose at least one item to destroy."), field="items")
    if len(unique_ids) > MAX_ITEMS_PER_LIST:
        raise MaterialsInputInvalidError(
            _("One destruction list holds at most 500 items."), field="items"
        )
    locked = list(
        MaterialItem.objects.select_for_update().select_related("client").filter(pk__in=unique_ids)
    )
    already_listed = set(
        DestructionEntry.objects.filter(
            item_id__in=unique_ids, destruction_list__status=DestructionListStatus.OPEN
        ).values_list("item_id", flat=True)
    )
    for item in locked:
        permissions.require_client_visible(actor, item.client)
        _require_destroyable(item)
        if item.pk in already_listed:
            raise CustodyStateError(_("An item is already on another open destruction list."))
        if not policy.can_see_client(supervisor, item.client):
            raise MaterialsInputInvalidError(
                _("The supervisor is not allowed to see all listed clients' paper."),
                field="supervisor",
            )

    destruction_list = DestructionList(
        operator=actor, supervisor=supervisor, method=method, created_at=clock.now()
    )
    destruction_list.full_clean()
    destruction_list.save()
    DestructionEntry.objects.bulk_create(
        DestructionEntry(destruction_list=destruction_list, item=item) for item in locked
    )
    record_event(
        action=Action.DESTRUCTION_LIST_CREATED,
        actor=actor,
        record=destruction_list,
        request=request,
        details={
            "supervisor": supervisor.pk,
            "method": method,
            "items": [str(item.pk) for item in locked],
        },
    )
    return destruction_list


@transaction.atomic
def item_retain(
    *, actor: User, item: MaterialItem, reason: str, request: HttpRequest | None = None
) -> MaterialItem:
    """Mark an item "retain" (留存); no destruction list destroys it while the mark is set."""
    permissions.require_role(
        actor, permissions.RETAIN_ROLES, _("Only a reviewer can mark paper to be retained.")
    )
    item = MaterialItem.objects.select_for_update().select_related("client").get(pk=item.pk)
    permissions.require_client_visible(actor, item.client)
    if item.status == ItemStatus.DESTROYED:
        raise CustodyStateError(_("This item has already been destroyed."))
    cleaned = clean_text(
        reason,
        field="reason",
        minimum=2,
        maximum=200,
        message=_("State why the item must be retained (2 to 200 characters)."),
    )
    item.retained_at = clock.now()
    item.retained_by = actor
    item.retain_reason = cleaned
    item.save(update_fields=["retained_at", "retained_by", "retain_reason"])
    record_event(
        action=Action.DESTRUCTION_RETAIN_MARKED,
        actor=actor,
        record=item,
        request=request,
        details={"client": str(item.client_id)},
        purpose=cleaned,
    )
    return item


@transaction.atomic
def item_retain_release(
    *, actor: User, item: MaterialItem, reason: str, request: HttpRequest | None = None
) -> MaterialItem:
    """Lift a retain mark, one item at a time and only by a reviewer, with a reason."""
    permissions.require_role(
        actor, permissions.RETAIN_ROLES, _("Only a reviewer can lift a retain mark.")
    )
    item = MaterialItem.objects.select_for_update().select_related("client").get(pk=item.pk)
    permissions.require_client_visible(actor, item.client)
    if not item.is_retained:
        raise CustodyStateError(_("This item is not marked to be retained."))
    cleaned = clean_text(
        reason,
        field="reason",
        minimum=2,
        maximum=200,
        message=_("State why the retain mark is lifted (2 to 200 characters)."),
    )
    item.retained_at = None
    item.retained_by = None
    item.retain_reason = ""
    item.save(update_fields=["retained_at", "retained_by", "retain_reason"])
    record_event(
        action=Action.DESTRUCTION_RETAIN_RELEASED,
        actor=actor,
        record=item,
        request=request,
        details={"client": str(item.client_id)},
        purpose=cleaned,
    )
    return item


def _early_items(destruction_list: DestructionList) -> list[MaterialItem]:
    day = today()
    return [
        entry.item
        for entry in destruction_list.entries.select_related("item")
        if entry.outcome == EntryOutcome.PENDING
        and is_retention_running(entry.item.retention_period, entry.item.fiscal_year, day)
    ]


@transaction.atomic
def destruction_override_request(
    *,
    actor: User,
    destruction_list: DestructionList,
    reason: str,
    request: HttpRequest | None = None,
) -> DestructionOverride:
    """Ask a second manager to allow destroying the list's items whose period still runs.

    The override covers the items that are early at the time of the request
    and expires one hour after it.
    """
    if actor.pk not in (destruction_list.operator_id, destruction_list.supervisor_id):
        raise MaterialsPermissionError(
            _("Only the operator or the supervisor of this list can ask for an override.")
        )
    if destruction_list.status != DestructionListStatus.OPEN:
        raise CustodyStateError(_("This destruction list is already completed."))
    cleaned = clean_text(
        reason,
        field="reason",
        minimum=5,
        maximum=200,
        message=_("State why the paper must be destroyed early (5 to 200 characters)."),
    )
    early = _early_items(destruction_list)
    if not early:
        raise MaterialsInputInvalidError(
            _("No item on this list is still within its retention period."), field="reason"
        )
    now = clock.now()
    override = DestructionOverride.objects.create(
        destruction_list=destruction_list,
        reason=cleaned,
        requested_by=actor,
        requested_at=now,
        expires_at=now + OVERRIDE_VALIDITY,
    )
    override.items.set(early)
    record_event(
        action=Action.DESTRUCTION_OVERRIDE_REQUESTED,
        actor=actor,
        record=override,
        request=request,
        details={
            "destruction_list": str(destruction_list.pk),
            "items": [str(item.pk) for item in early],
        },
        purpose=cleaned,
    )
    return override


@transaction.atomic
def destruction_override_approve(
    *, actor: User, override: DestructionOverride, request: HttpRequest | None = None
) -> DestructionOverride:
    """Approve an early-destruction override; the approver is a manager other than the requester."""
    override = DestructionOverride.objects.select_for_update().get(pk=override.pk)
    permissions.require_role(
        actor,
        permissions.DESTRUCTION_SUPERVISOR_ROLES,
        _("Only a manager can approve early destruction."),
    )
    if actor.pk == override.requested_by_id:
        raise SeparationOfDutiesError(
            _("You cannot approve your own request for early destruction. Ask another manager.")
        )
    if override.approved_at is not None:
        raise CustodyStateError(_("This override has already been approved."))
    now = clock.now()
    if now >= override.expires_at:
        raise RetentionPeriodError(
            _("This override request has expired (valid for one hour). Ask again.")
        )

    override.approved_by = actor
    override.approved_at = now
    override.full_clean()
    override.save()

    record_event(
        action=Action.DESTRUCTION_OVERRIDE_APPROVED,
        actor=actor,
        record=override,
        request=request,
        details={"destruction_list": str(override.destruction_list_id)},
    )
    return override


@transaction.atomic
def destruction_confirm(
    *, actor: User, destruction_list: DestructionList, request: HttpRequest | None = None
) -> DestructionList:
    """Confirm a destruction list as its operator or its supervisor.

    The second of the two confirmations carries the list out. Raises
    MaterialsPermissionError for anyone else, CustodyStateError when the
    actor has confirmed already, and RetentionPeriodError (and confirms
    nothing) when an item's period still runs without a valid override.
    """
    destruction_list = DestructionList.objects.select_for_update().get(pk=destruction_list.pk)
    if destruction_list.status != DestructionListStatus.OPEN:
        raise CustodyStateError(_("This destruction list is already completed."))
    now = clock.now()
    if actor.pk == destruction_list.operator_id:
        if destruction_list.operator_confirmed_at is not None:
            raise CustodyStateError(_("You have already confirmed this destruction."))
        destruction_list.operator_confirmed_at = now
        role = "operator"
    elif actor.pk == destruction_list.supervisor_id:
        permissions.require_role(
            actor,
            permissions.DESTRUCTION_SUPERVISOR_ROLES,
            _("The supervisor of a destruction must be an active manager."),
        )
        if destruction_list.supervisor_confirmed_at is not None:
            raise CustodyStateError(_("You have already confirmed this destruction."))
        destruction_list.supervisor_confirmed_at = now
        role = "supervisor"
    else:
        raise MaterialsPermissionError(
            _("Only the operator and the supervisor named on this list can confirm it.")
        )
    destruction_list.save(update_fields=["operator_confirmed_at", "supervisor_confirmed_at"])
    record_event(
        action=Action.DESTRUCTION_CONFIRMED,
        actor=actor,
        record=destruction_list,
        request=request,
        details={"as": role},
    )
    if destruction_list.operator_confirmed_at and destruction_list.supervisor_confirmed_at:
        _carry_out(destruction_list, actor=actor, request=request)
    return destruction_list


def _valid_override(
    destruction_list: DestructionList, early_ids: set[uuid.UUID]
) -> DestructionOverride | None:
    now = clock.now()
    candidates = destruction_list.overrides.filter(
        approved_at__isnull=False, used_at__isnull=True, expires_at__gt=now
    ).prefetch_related("items")
    for override in candidates:
        if early_ids <= {item.pk for item in override.items.all()}:
            return override
    return None


def _carry_out(
    destruction_list: DestructionList, *, actor: User, request: HttpRequest | None
) -> None:
    entries = list(destruction_list.entries.select_related("item", "item__client", "item__intake"))
    items = {
        item.pk: item
        for item in MaterialItem.objects.select_for_update().filter(
            pk__in=[entry.item_id for entry in entries]
        )
    }
    day = today()
    to_destroy = []
    for entry in entries:
        item = items[entry.item_id]
        if item.is_retained:
            entry.outcome = EntryOutcome.RETAINED
            continue
        _require_destroyable(item)
        to_destroy.append((entry, item))

    early_ids = {
        item.pk
        for _entry, item in to_destroy
        if is_retention_running(item.retention_period, item.fiscal_year, day)
    }
    override = _valid_override(destruction_list, early_ids) if early_ids else None
    if early_ids and override is None:
        raise RetentionPeriodError(
            ngettext(
                "%(count)d item is still within its retention period. Destroying it early needs "
                "an override approved by a second manager within the last hour.",
                "%(count)d items are still within their retention period. Destroying them early "
                "needs an override approved by a second manager within the last hour.",
                len(early_ids),
            )
            % {"count": len(early_ids)}
        )

    now = clock.now()
    record = None
    if to_destroy:
        record = _write_record(destruction_list, override, now)
    for entry, item in to_destroy:
        _destroy_item(
            entry,
            item,
            record,
            was_early=item.pk in early_ids,
            actor=actor,
            now=now,
            request=request,
        )
    for entry in entries:
        if entry.outcome == EntryOutcome.RETAINED:
            entry.save(update_fields=["outcome"])
    if override is not None:
        override.used_at = now
        override.save(update_fields=["used_at"])
    destruction_list.status = DestructionListStatus.COMPLETED
    destruction_list.completed_at = now
    destruction_list.save(update_fields=["status", "completed_at"])
    retained = sum(1 for entry in entries if entry.outcome == EntryOutcome.RETAINED)
    logger.info(
        "destruction_carried_out",
        destruction_list_id=str(destruction_list.pk),
        destroyed=len(to_destroy),
        retained=retained,
    )


def _write_record(
    destruction_list: DestructionList, override: DestructionOverride | None, now: datetime
) -> DestructionRecord:
    prefix = "XH" + timezone.localtime(now).strftime("%Y%m%d") + "-"
    count = DestructionRecord.objects.filter(number__startswith=prefix).count()
    return DestructionRecord.objects.create(
        number=f"{prefix}{count + 1:03d}",
        destruction_list=destruction_list,
        operator=destruction_list.operator,
        operator_name=destruction_list.operator.full_name,
        supervisor=destruction_list.supervisor,
        supervisor_name=destruction_list.supervisor.full_name,
        method=destruction_list.method,
        destroyed_at=now,
        override=override,
    )


def _destroy_item(
    entry: DestructionEntry,
    item: MaterialItem,
    record: DestructionRecord | None,
    *,
    was_early: bool,
    actor: User,
    now: datetime,
    request: HttpRequest | None,
) -> None:
    CustodyEvent.objects.create(
        item=item,
        kind=CustodyEventKind.DESTROYED,
        occurred_at=now,
        actor=actor,
        from_location=item.location,
        from_holder=item.holder,
        note=record.number if record else "",
    )
    item.status = ItemStatus.DESTROYED
    item.destroyed_at = now
    item.holder = None
    item.location = None
    item.save(update_fields=["status", "destroyed_at", "holder", "location"])
    entry.outcome = EntryOutcome.DESTROYED
    entry.save(update_fields=["outcome"])
    if record is not None:
        DestructionRecordItem.objects.create(
            record=record,
            item=item,
            client_name=entry.item.client.name,
            intake_number=entry.item.intake.number,
            material_name=item.name,
            kind=item.kind,
            quantity=item.quantity,
            retention_period=item.retention_period,
            fiscal_year=item.fiscal_year,
            was_early=was_early,
        )
    record_event(
        action=Action.MATERIAL_DESTROYED,
        actor=actor,
        record=item,
        request=request,
        details={
            "client": str(item.client_id),
            "destruction_record": str(record.pk) if record else "",
            "early": was_early,
        },
    )
