from django.utils.translation import gettext_lazy as _

from shoumi.accounts.roles import Role
from shoumi.config.navigation import NavItem, register_nav_item

register_nav_item(
    NavItem(
        label=_("Audit log"),
        url_name="audit:events",
        order=820,
        is_visible=lambda user: user.has_role(Role.AUDIT_ADMIN),
    )
)
