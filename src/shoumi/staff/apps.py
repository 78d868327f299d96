from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "shoumi.staff"
    verbose_name = _("Staff lifecycle")

    def ready(self) -> None:
        from shoumi.staff import navigation  # noqa: F401
