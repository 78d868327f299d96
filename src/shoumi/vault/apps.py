from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VaultConfig(AppConfig):
    name = "shoumi.vault"
    verbose_name = _("Encrypted vault")

    def ready(self) -> None:
        from shoumi.vault import checks  # noqa: F401
