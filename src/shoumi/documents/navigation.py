"""Menu entry of the documents app: the trace page, for the security administrator."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shoumi.config.navigation import NavItem, register_nav_item
from shoumi.documents.services.tracing import TRACE_ROLES

register_nav_item(
    NavItem(
        label=_("Trace a leaked copy"),
        url_name="documents:trace",
        order=400,
        is_visible=lambda user: bool(user.role_set & TRACE_ROLES),
    )
)
