from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "shoumi.clients"
    verbose_name = _("Clients")

    def ready(self) -> None:
        from shoumi.clients import navigation, sensitivity  # noqa: F401
