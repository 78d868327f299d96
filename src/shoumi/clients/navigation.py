from django.utils.translation import gettext_lazy as _

from shoumi.config.navigation import NavItem, register_nav_item

register_nav_item(
    NavItem(
        label=_("Clients"),
        url_name="clients:list",
        order=100,
        is_visible=lambda user: not user.is_separated_admin,
    )
)
