from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shoumi.accounts.roles import Role
from shoumi.config.navigation import (
    NavItem,
    PendingItem,
    register_nav_item,
    register_pending_provider,
)


def _is_business_user(user: object) -> bool:
    return not getattr(user, "is_separated_admin", True)


register_nav_item(
    NavItem(
        label=_("Temporary access"),
        url_name="access:grants",
        order=200,
        is_visible=_is_business_user,
    )
)
register_nav_item(NavItem(label=_("Two-person approvals"), url_name="access:approvals", order=210))
register_nav_item(
    NavItem(
        label=_("Policy matrix"),
        url_name="access:matrix",
        order=800,
        is_visible=lambda user: user.has_role(Role.SECURITY_ADMIN),
    )
)
register_nav_item(
    NavItem(
        label=_("Security alerts"),
        url_name="access:alerts",
        order=810,
        is_visible=lambda user: user.has_role(Role.SECURITY_ADMIN),
    )
)


def _pending(user: object) -> list[PendingItem]:
    from shoumi.access import selectors
    from shoumi.access.models import Alert

    items = [
        PendingItem(
            label=_("Temporary access requests to decide"),
            count=selectors.grants_waiting_for(user=user).count(),  # type: ignore[arg-type]
            url=reverse("access:grants"),
        ),
        PendingItem(
            label=_("Two-person approvals to decide"),
            count=selectors.approvals_waiting_for(user=user).count(),  # type: ignore[arg-type]
            url=reverse("access:approvals"),
        ),
    ]
    if user.has_role(Role.SECURITY_ADMIN):  # type: ignore[attr-defined]
        items.append(
            PendingItem(
                label=_("Unacknowledged security alerts"),
                count=Alert.objects.filter(acknowledged_at__isnull=True).count(),
                url=reverse("access:alerts"),
            )
        )
    return items


register_pending_provider(_pending)
