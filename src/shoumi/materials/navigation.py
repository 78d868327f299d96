"""Menu entries and dashboard counters of the paper-materials app."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shoumi.accounts.models import User
from shoumi.config.navigation import (
    NavItem,
    PendingItem,
    register_nav_item,
    register_pending_provider,
)
from shoumi.materials import permissions, selectors
from shoumi.materials.models import DestructionListStatus, LoanStatus
from shoumi.materials.services.common import today

register_nav_item(
    NavItem(
        label=_("Paper materials"),
        url_name="materials:item_list",
        order=200,
        is_visible=lambda user: permissions.has_any_role(user, permissions.BUSINESS_ROLES),
    )
)
register_nav_item(
    NavItem(
        label=_("Archive room"),
        url_name="materials:archive_room",
        order=210,
        is_visible=lambda user: permissions.has_any_role(user, permissions.ARCHIVE_ROOM_VIEW_ROLES),
    )
)


def pending_items(user: User) -> list[PendingItem]:
    """Return the counters of what waits for ``user`` on the dashboard."""
    if not user.is_authenticated:
        return []
    items: list[PendingItem] = []
    loans_url = reverse("materials:loan_list")
    if permissions.has_any_role(user, permissions.BUSINESS_ROLES):
        loans = selectors.loan_list(user=user)
        own_overdue = loans.filter(borrower=user, status=LoanStatus.LENT, due_on__lt=today())
        items.append(
            PendingItem(_("Your overdue loans"), own_overdue.count(), loans_url + "?status=overdue")
        )
        if permissions.has_any_role(user, permissions.LOAN_APPROVER_ROLES):
            waiting = loans.filter(status=LoanStatus.REQUESTED).exclude(borrower=user)
            items.append(
                PendingItem(
                    _("Loans waiting for your approval"),
                    waiting.count(),
                    loans_url + "?status=requested",
                )
            )
        if permissions.has_any_role(user, permissions.HAND_OUT_ROLES):
            approved = loans.filter(status=LoanStatus.APPROVED).exclude(borrower=user)
            items.append(
                PendingItem(
                    _("Approved loans to hand out"),
                    approved.count(),
                    loans_url + "?status=approved",
                )
            )
            overdue = loans.filter(status=LoanStatus.LENT, due_on__lt=today())
            items.append(
                PendingItem(_("Overdue loans"), overdue.count(), loans_url + "?status=overdue")
            )
        lists = selectors.destruction_list_list(user=user).filter(status=DestructionListStatus.OPEN)
        unconfirmed = lists.filter(operator=user, operator_confirmed_at__isnull=True).count()
        unconfirmed += lists.filter(supervisor=user, supervisor_confirmed_at__isnull=True).count()
        items.append(
            PendingItem(
                _("Destructions waiting for your confirmation"),
                unconfirmed,
                reverse("materials:destruction_list_list"),
            )
        )
    room_url = reverse("materials:archive_room")
    items.append(
        PendingItem(
            _("Archive-room temperature or humidity alerts"),
            selectors.open_alerts(user=user).count(),
            room_url,
        )
    )
    items.append(
        PendingItem(
            _("Archive rooms not yet inspected this month"),
            selectors.rooms_not_inspected_this_month(user=user).count(),
            room_url,
        )
    )
    items.append(
        PendingItem(
            _("Open inspection follow-ups"),
            selectors.open_findings(user=user).filter(assignee=user).count(),
            room_url,
        )
    )
    return items


register_pending_provider(pending_items)
