from django.utils.translation import gettext_lazy as _

from shoumi.accounts.roles import Role
from shoumi.config.navigation import NavItem, register_nav_item

register_nav_item(
    NavItem(
        label=_("Staff"),
        url_name="accounts:staff_list",
        order=900,
        is_visible=lambda user: user.has_role(Role.SYSTEM_ADMIN),
    )
)
