"""System checks for the master key and the sealed fields."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from shoumi import crypto
from shoumi.vault.fields import sibling_problems


@register(Tags.security)
def check_master_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Refuse to start (runserver, migrate) when the master key cannot be loaded."""
    if settings.KEK_PROVIDER != "file":
        return []
    from shoumi.vault.runtime import load_keyring

    try:
        keyring = load_keyring()
    except ImproperlyConfigured as error:
        return [
            Error(
                f"The master key is not usable: {error}",
                hint="Run `shoumi keys init` to create a key file, or fix its path or permissions.",
                id="vault.E001",
            )
        ]
    keyring.destroy()
    return []


@register(Tags.security, deploy=True)
def check_key_file_location(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.KEK_PROVIDER == "file" and settings.KEY_FILE:
        if crypto.is_inside_directory(settings.KEY_FILE, settings.DATA_DIR):
            return [
                Warning(
                    f"The master key file {settings.KEY_FILE} is inside the data directory "
                    f"{settings.DATA_DIR}, so a copy or backup of the data also holds its key.",
                    hint="Move the key file elsewhere (for example /etc/shoumi/master.key) and "
                    "update SHOUMI_KEY_FILE.",
                    id="vault.W001",
                )
            ]
    return []


@register(Tags.models)
def check_sealed_siblings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for model in apps.get_models():
        for problem in sibling_problems(model):
            messages.append(Error(problem, id="vault.E002"))
    return messages
