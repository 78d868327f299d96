from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MaterialsConfig(AppConfig):
    name = "shoumi.materials"
    verbose_name = _("Paper materials")

    def ready(self) -> None:
        from shoumi.materials import checks, navigation, sensitivity  # noqa: F401
