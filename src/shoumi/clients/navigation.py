from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shoumi.config.navigation import (
    NavItem,
    PendingItem,
    register_nav_item,
    register_pending_provider,
)

register_nav_item(
    NavItem(
        label=_("Clients"),
        url_name="clients:list",
        order=100,
        is_visible=lambda user: not user.is_separated_admin,
    )
)


def values_to_confirm(user: object) -> list[PendingItem]:
    """The dashboard line for a reviewer: stored values whose warnings wait for them."""
    from shoumi.clients import selectors

    count = selectors.value_warning_count_to_confirm(user=user)  # type: ignore[arg-type]
    return [PendingItem(_("Values to confirm"), count, reverse("clients:value_warnings"))]


register_pending_provider(values_to_confirm)
