from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "shoumi.accounts"
    verbose_name = _("Staff accounts")

    def ready(self) -> None:
        from shoumi.accounts import navigation  # noqa: F401
