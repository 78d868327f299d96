"""Record what a client hands over, with the client's signature, and print the receipt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumi.accounts.models import User
from shoumi.audit.actions import Action
from shoumi.clients.models import Client
from shoumi.config import clock
from shoumi.materials import permissions, signatures
from shoumi.materials.errors import MaterialsInputInvalidError
from shoumi.materials.models import (
    CustodyEvent,
    CustodyEventKind,
    Intake,
    MaterialItem,
    MaterialKind,
    StorageLocation,
)
from shoumi.materials.retention import EARLIEST_FISCAL_YEAR, RetentionPeriod, needs_fiscal_year
from shoumi.materials.services.common import clean_note, clean_text, record_event, today
from shoumi.materials.services.custody import check_location_for
from shoumi.vault import services as vault
from shoumi.vault.sensitivity import Sensitivity

logger = structlog.get_logger(__name__)

MAX_ITEMS_PER_INTAKE = 50
MAX_QUANTITY = 10_000


@dataclass(frozen=True)
class ItemInput:
    """One line of an intake form."""

    name: str
    quantity: int
    kind: str
    sensitivity: int
    retention_period: str
    fiscal_year: int | None = None
    location: StorageLocation | None = None


def _next_number(prefix: str, model: type[Intake]) -> str:
    # Runs inside the writing transaction; SQLite serialises writers, and on
    # PostgreSQL the unique constraint turns a rare race into an error the
    # user can retry.
    count = model.objects.filter(number__startswith=prefix).count()
    return f"{prefix}{count + 1:03d}"


def _check_item(line: ItemInput, index: int, current_year: int) -> ItemInput:
    position = {"line": index + 1}
    name = clean_text(
        line.name,
        field="items",
        minimum=1,
        maximum=100,
        message=_("Line %(line)d: enter the material name (at most 100 characters).") % position,
    )
    if not 1 <= line.quantity <= MAX_QUANTITY:
        raise MaterialsInputInvalidError(
            _("Line %(line)d: the quantity must be between 1 and 10000.") % position, field="items"
        )
    if line.kind not in MaterialKind.values:
        raise MaterialsInputInvalidError(
            _("Line %(line)d: choose original, copy or draft.") % position, field="items"
        )
    if line.sensitivity not in Sensitivity.values:
        raise MaterialsInputInvalidError(
            _("Line %(line)d: choose a confidentiality level.") % position, field="items"
        )
    if line.retention_period not in RetentionPeriod.values:
        raise MaterialsInputInvalidError(
            _("Line %(line)d: choose a retention period.") % position, field="items"
        )
    fiscal_year = line.fiscal_year
    if needs_fiscal_year(line.retention_period):
        if fiscal_year is None or not EARLIEST_FISCAL_YEAR <= fiscal_year <= current_year:
            raise MaterialsInputInvalidError(
                _(
                    "Line %(line)d: enter the fiscal year the retention period counts from "
                    "(between 1950 and this year)."
                )
                % position,
                field="items",
            )
    else:
        fiscal_year = None
    if line.location is not None:
        check_location_for(line.sensitivity, line.location, field="items")
    return ItemInput(
        name=name,
        quantity=line.quantity,
        kind=line.kind,
        sensitivity=line.sensitivity,
        retention_period=line.retention_period,
        fiscal_year=fiscal_year,
        location=line.location,
    )


@transaction.atomic
def intake_create(
    *,
    actor: User,
    client: Client,
    items: Sequence[ItemInput],
    signature: signatures.SignatureImage,
    signature_method: str,
    handed_over_by: str = "",
    received_at: datetime | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Intake:
    """Record an intake: its items, who received them and the client's signature.

    The receiver is ``actor``, who becomes the holder of every item. Raises
    MaterialsPermissionError, MaterialsNotFoundError (client not visible) or
    MaterialsInputInvalidError with a Chinese message naming the line.
    """
    permissions.require_role(
        actor, permissions.INTAKE_ROLES, _("Your role cannot record paper intake.")
    )
    permissions.require_client_visible(actor, client)
    if not items:
        raise MaterialsInputInvalidError(_("Add at least one material."), field="items")
    if len(items) > MAX_ITEMS_PER_INTAKE:
        raise MaterialsInputInvalidError(
            _("One intake holds at most 50 lines. Split it into two intakes."), field="items"
        )
    current_year = today().year
    checked = [_check_item(line, index, current_year) for index, line in enumerate(items)]
    handed_over_name = " ".join(handed_over_by.split())
    if len(handed_over_name) > 64:
        raise MaterialsInputInvalidError(
            _("The name of the person handing over is too long."), field="handed_over_by"
        )

    now = clock.now()
    received = received_at or now
    if received > now:
        raise MaterialsInputInvalidError(
            _("The receiving time cannot be in the future."), field="received_at"
        )
    prefix = "SJ" + timezone.localtime(received).strftime("%Y%m%d") + "-"
    intake = Intake(
        number=_next_number(prefix, Intake),
        client=client,
        received_at=received,
        receiver=actor,
        signature_method=signature_method,
        note=clean_note(note, field="note", maximum=200),
    )
    vault.seal(record=intake, field_name="handed_over_by", canonical_value=handed_over_name or None)
    try:
        signatures.store(intake=intake, signature=signature)
        intake.full_clean(exclude=["data_key"])
        intake.save()
        created = _create_items(intake, checked, actor)
        record_event(
            action=Action.MATERIAL_INTAKE_RECORDED,
            actor=actor,
            record=intake,
            request=request,
            details={
                "client": str(client.pk),
                "number": intake.number,
                "items": [str(item.pk) for item in created],
                "signature_method": signature_method,
            },
        )
    except BaseException:
        signatures.discard(intake.pk)
        raise
    logger.info("material_intake_recorded", intake_id=str(intake.pk), item_count=len(created))
    return intake


def _create_items(intake: Intake, lines: list[ItemInput], actor: User) -> list[MaterialItem]:
    created = []
    for line in lines:
        item = MaterialItem(
            intake=intake,
            client=intake.client,
            name=line.name,
            quantity=line.quantity,
            kind=line.kind,
            sensitivity=line.sensitivity,
            retention_period=line.retention_period,
            fiscal_year=line.fiscal_year,
            location=line.location,
            holder=actor,
        )
        item.full_clean()
        item.save()
        CustodyEvent.objects.create(
            item=item,
            kind=CustodyEventKind.RECEIVED,
            occurred_at=intake.received_at,
            actor=actor,
            to_location=line.location,
            to_holder=actor,
        )
        created.append(item)
    return created


def signature_open(*, actor: User, intake: Intake, request: HttpRequest | None = None) -> bytes:
    """Return the intake's signature PNG to a user who may see the client; audited first.

    Raises MaterialsNotFoundError for a client the user may not see, and
    crypto.DecryptionError when the stored file was altered or moved.
    """
    permissions.require_role(
        actor, permissions.BUSINESS_ROLES, _("Your role cannot see client signatures.")
    )
    permissions.require_client_visible(actor, intake.client)
    with transaction.atomic():
        record_event(
            action=Action.MATERIAL_SIGNATURE_VIEWED,
            actor=actor,
            record=intake,
            request=request,
            details={"client": str(intake.client_id)},
        )
    return signatures.load(intake=intake)
