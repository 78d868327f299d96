from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "shoumi.documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from shoumi.documents import checks, navigation, sensitivity  # noqa: F401
