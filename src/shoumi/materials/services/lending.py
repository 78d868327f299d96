"""Loans: request, a manager's approval, hand-out, return, and overdue notices."""

from __future__ import annotations

from datetime import date, timedelta

import structlog
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shoumi.accounts.models import User
from shoumi.audit.actions import Action
from shoumi.config import clock
from shoumi.materials import notifications, permissions, selectors
from shoumi.materials.errors import (
    CustodyStateError,
    MaterialsInputInvalidError,
    MaterialsPermissionError,
    SeparationOfDutiesError,
)
from shoumi.materials.models import (
    CustodyEvent,
    CustodyEventKind,
    DestructionEntry,
    DestructionListStatus,
    ItemStatus,
    Loan,
    LoanStatus,
    MaterialItem,
    StorageLocation,
)
from shoumi.materials.models.lending import OPEN_LOAN_STATUSES
from shoumi.materials.services.common import clean_note, clean_text, record_event, today
from shoumi.materials.services.custody import check_location_for

logger = structlog.get_logger(__name__)

# Maximum loan length in days; a longer need is a new request after the return.
MAX_LOAN_DAYS = 30


def _loan_details(loan: Loan) -> dict[str, object]:
    return {
        "client": str(loan.item.client_id),
        "item": str(loan.item_id),
        "borrower": loan.borrower_id,
        "due_on": loan.due_on.isoformat(),
    }


@transaction.atomic
def loan_request(
    *,
    actor: User,
    item: MaterialItem,
    purpose: str,
    due_on: date,
    request: HttpRequest | None = None,
) -> Loan:
    """Ask to borrow an item for a stated purpose until ``due_on``; the actor is the borrower.

    Raises CustodyStateError when the item is destroyed, on loan, already
    requested, or listed for destruction.
    """
    item = MaterialItem.objects.select_for_update().get(pk=item.pk)
    permissions.require_role(actor, permissions.BORROWER_ROLES, _("Your role cannot borrow paper."))
    permissions.require_client_visible(actor, item.client)
    if item.status == ItemStatus.DESTROYED:
        raise CustodyStateError(_("This item has been destroyed; it cannot be moved or lent."))
    if item.status == ItemStatus.ON_LOAN:
        raise CustodyStateError(_("This item is already on loan."))
    if Loan.objects.filter(item=item, status__in=OPEN_LOAN_STATUSES).exists():
        raise CustodyStateError(_("This item already has an open loan request."))
    listed = DestructionEntry.objects.filter(
        item=item, destruction_list__status=DestructionListStatus.OPEN
    )
    if listed.exists():
        raise CustodyStateError(_("This item is on a destruction list and cannot be lent."))
    cleaned_purpose = clean_text(
        purpose,
        field="purpose",
        minimum=2,
        maximum=200,
        message=_("State the purpose of the loan (2 to 200 characters)."),
    )
    first_day = today()
    if not first_day < due_on <= first_day + timedelta(days=MAX_LOAN_DAYS):
        raise MaterialsInputInvalidError(
            _("The due date must be between tomorrow and 30 days from today."), field="due_on"
        )

    loan = Loan(
        item=item,
        borrower=actor,
        purpose=cleaned_purpose,
        due_on=due_on,
        requested_at=clock.now(),
    )
    loan.full_clean()
    loan.save()
    record_event(
        action=Action.LOAN_REQUESTED,
        actor=actor,
        record=loan,
        request=request,
        details=_loan_details(loan),
        purpose=cleaned_purpose,
    )
    return loan


def _lock_loan(loan: Loan) -> Loan:
    return Loan.objects.select_for_update().select_related("item", "item__client").get(pk=loan.pk)


def _require_approver(actor: User, loan: Loan) -> None:
    permissions.require_role(
        actor, permissions.LOAN_APPROVER_ROLES, _("Only a manager can approve or reject a loan.")
    )
    if actor.pk == loan.borrower_id:
        raise SeparationOfDutiesError(
            _("You cannot decide on your own loan request. Ask another manager.")
        )
    permissions.require_client_visible(actor, loan.item.client)
    if loan.status != LoanStatus.REQUESTED:
        raise CustodyStateError(_("This loan request has already been decided."))


@transaction.atomic
def loan_approve(
    *, actor: User, loan: Loan, note: str = "", request: HttpRequest | None = None
) -> Loan:
    """Approve a loan request; the approving manager is never the borrower."""
    loan = _lock_loan(loan)
    _require_approver(actor, loan)
    if loan.item.status == ItemStatus.DESTROYED:
        raise CustodyStateError(_("This item has been destroyed; it cannot be moved or lent."))
    loan.status = LoanStatus.APPROVED
    loan.decided_by = actor
    loan.decided_at = clock.now()
    loan.decision_note = clean_note(note, field="note", maximum=200)
    loan.full_clean()
    loan.save()
    record_event(
        action=Action.LOAN_APPROVED,
        actor=actor,
        record=loan,
        request=request,
        details=_loan_details(loan),
    )
    return loan


@transaction.atomic
def loan_reject(*, actor: User, loan: Loan, note: str, request: HttpRequest | None = None) -> Loan:
    """Reject a loan request with a reason."""
    loan = _lock_loan(loan)
    _require_approver(actor, loan)
    reason = clean_text(
        note,
        field="note",
        minimum=2,
        maximum=200,
        message=_("State why the loan is rejected (2 to 200 characters)."),
    )
    loan.status = LoanStatus.REJECTED
    loan.decided_by = actor
    loan.decided_at = clock.now()
    loan.decision_note = reason
    loan.full_clean()
    loan.save()
    record_event(
        action=Action.LOAN_REJECTED,
        actor=actor,
        record=loan,
        request=request,
        details=_loan_details(loan),
    )
    return loan


@transaction.atomic
def loan_hand_out(*, actor: User, loan: Loan, request: HttpRequest | None = None) -> Loan:
    """Hand an approved loan's item to the borrower (by an archivist, never the borrower).

    Raises SeparationOfDutiesError when the archivist is the borrower.
    """
    loan = _lock_loan(loan)
    permissions.require_role(
        actor, permissions.HAND_OUT_ROLES, _("Only an archivist can hand out paper.")
    )
    if actor.pk == loan.borrower_id:
        raise SeparationOfDutiesError(
            _("You cannot hand paper out to yourself. Ask another archivist.")
        )
    permissions.require_client_visible(actor, loan.item.client)
    if loan.status != LoanStatus.APPROVED:
        raise CustodyStateError(_("Only an approved loan can be handed out."))
    item = MaterialItem.objects.select_for_update().get(pk=loan.item_id)
    if item.status != ItemStatus.IN_CUSTODY:
        raise CustodyStateError(_("This item has been destroyed; it cannot be moved or lent."))

    now = clock.now()
    CustodyEvent.objects.create(
        item=item,
        kind=CustodyEventKind.LENT,
        occurred_at=now,
        actor=actor,
        from_location=item.location,
        from_holder=item.holder,
        to_holder=loan.borrower,
        note=loan.purpose,
    )
    item.status = ItemStatus.ON_LOAN
    item.holder = loan.borrower
    item.save(update_fields=["status", "holder"])
    loan.status = LoanStatus.LENT
    loan.handed_out_by = actor
    loan.handed_out_at = now
    loan.save()
    record_event(
        action=Action.LOAN_HANDED_OUT,
        actor=actor,
        record=loan,
        request=request,
        details=_loan_details(loan),
    )
    return loan


@transaction.atomic
def loan_return(
    *,
    actor: User,
    item: MaterialItem,
    location: StorageLocation | None = None,
    request: HttpRequest | None = None,
) -> Loan:
    """Take an item back from its borrower; the archivist becomes its holder.

    ``location`` puts it somewhere other than where it was stored before.
    Raises CustodyStateError when the item is not on loan.
    """
    item = MaterialItem.objects.select_for_update().select_related("client").get(pk=item.pk)
    permissions.require_role(
        actor, permissions.HAND_OUT_ROLES, _("Only an archivist can take paper back.")
    )
    permissions.require_client_visible(actor, item.client)
    loan = Loan.objects.filter(item=item, status=LoanStatus.LENT).first()
    if item.status != ItemStatus.ON_LOAN or loan is None:
        raise CustodyStateError(_("This item was not lent out, so it cannot be returned."))
    if location is not None:
        check_location_for(item.sensitivity, location, field="location")

    now = clock.now()
    CustodyEvent.objects.create(
        item=item,
        kind=CustodyEventKind.RETURNED,
        occurred_at=now,
        actor=actor,
        from_holder=item.holder,
        to_holder=actor,
        from_location=item.location,
        to_location=location or item.location,
    )
    item.status = ItemStatus.IN_CUSTODY
    item.holder = actor
    if location is not None:
        item.location = location
    item.save(update_fields=["status", "holder", "location"])
    loan.status = LoanStatus.RETURNED
    loan.returned_at = now
    loan.received_by = actor
    loan.save()
    record_event(
        action=Action.LOAN_RETURNED,
        actor=actor,
        record=loan,
        request=request,
        details={**_loan_details(loan), "overdue": loan.due_on < today()},
    )
    return loan


def loans_notify_overdue() -> int:
    """E-mail the borrower and the archivists about each overdue loan, once a day per loan.

    Returns the number of loans notified. A loan whose mail fails is logged
    and tried again on the next run; the others still go out.
    """
    day = today()
    notified = 0
    for loan in selectors.loans_overdue_unnotified(on=day):
        recipients = selectors.overdue_recipients(loan)
        if not recipients:
            logger.warning("overdue_loan_has_no_recipient", loan_id=str(loan.pk))
            continue
        try:
            notifications.send_overdue_notice(loan=loan, recipients=recipients, today=day)
        except OSError as error:
            logger.error(
                "overdue_notice_failed", loan_id=str(loan.pk), error_type=type(error).__name__
            )
            continue
        with transaction.atomic():
            Loan.objects.filter(pk=loan.pk).update(last_overdue_notice_on=day)
            record_event(
                action=Action.LOAN_OVERDUE_NOTIFIED,
                actor=None,
                record=loan,
                details={**_loan_details(loan), "recipients": len(recipients)},
            )
        notified += 1
    logger.info("overdue_loans_notified", count=notified)
    return notified


def require_loan_visible(actor: User, loan: Loan) -> None:
    """Raise unless ``actor`` is the borrower or may see the loan's client."""
    if loan.borrower_id == actor.pk:
        return
    if not permissions.has_any_role(actor, permissions.BUSINESS_ROLES):
        raise MaterialsPermissionError(_("Your role cannot see loans."))
    permissions.require_client_visible(actor, loan.item.client)
