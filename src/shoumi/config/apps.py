from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShellConfig(AppConfig):
    """The UI shell: base templates, static assets, navigation and the dashboard."""

    name = "shoumi.config"
    label = "shell"
    verbose_name = _("Shell")

    def ready(self) -> None:
        from shoumi.config import checks  # noqa: F401
