from django.utils.translation import gettext_lazy as _

from shoumi.accounts.roles import Role
from shoumi.config.navigation import NavItem, register_nav_item

register_nav_item(
    NavItem(
        label=_("Staff compliance"),
        url_name="staff:compliance",
        order=850,
        is_visible=lambda user: user.has_role(Role.SECURITY_ADMIN, Role.MANAGER),
    )
)
