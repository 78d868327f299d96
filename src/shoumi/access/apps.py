from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "shoumi.access"
    verbose_name = _("Access control")

    def ready(self) -> None:
        from shoumi.access import navigation  # noqa: F401
