"""shoumi's own deployment checks, run by ``check --deploy`` and ``shoumi check-deploy``."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from shoumi.config.secrets import SECRETS_FOLDER
from shoumi.ledger.keys import PUBLIC_KEY_FILE


@register(Tags.security, deploy=True)
def check_debug_off(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG:
        return [
            Error("DEBUG is on.", hint="Unset SHOUMI_DEBUG (or set it to 0).", id="shoumi.E001")
        ]
    return []


@register(Tags.security, deploy=True)
def check_https(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.SESSION_COOKIE_SECURE or not settings.CSRF_COOKIE_SECURE:
        return [
            Error(
                "shoumi is not configured for HTTPS: "
                "session and CSRF cookies lack the Secure flag.",
                hint=(
                    "Serve shoumi behind TLS with "
                    "DJANGO_SETTINGS_MODULE=shoumi.config.settings.production (SHOUMI_HTTPS=1). "
                    "The local profile of `make run` is for 127.0.0.1 only."
                ),
                id="shoumi.E002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_secret_files(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    data_dir = Path(settings.DATA_DIR)
    secrets_dir = data_dir / SECRETS_FOLDER
    for folder in (data_dir, secrets_dir):
        if folder.exists() and stat.S_IMODE(folder.stat().st_mode) & 0o077:
            messages.append(
                Error(
                    f"Directory {folder} is accessible to group or others.",
                    hint=f"Run: chmod 700 {folder}",
                    id="shoumi.E003",
                )
            )
    if secrets_dir.exists():
        for secret_file in sorted(secrets_dir.iterdir()):
            if not secret_file.is_file():
                continue
            mode = stat.S_IMODE(secret_file.stat().st_mode)
            if secret_file.name == PUBLIC_KEY_FILE:
                # The checkpoint verification key is public, but a writable one could be
                # swapped for an attacker's key.
                if mode & 0o022:
                    messages.append(
                        Error(
                            f"Public key file {secret_file} is writable by group or others.",
                            hint=f"Run: chmod 644 {secret_file}",
                            id="shoumi.E004",
                        )
                    )
            elif mode & 0o077:
                messages.append(
                    Error(
                        f"Secret file {secret_file} is readable or writable by group or others.",
                        hint=f"Run: chmod 600 {secret_file}",
                        id="shoumi.E004",
                    )
                )
    return messages


@register(Tags.security, deploy=True)
def check_allowed_hosts(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if "*" in settings.ALLOWED_HOSTS:
        return [
            Warning(
                "SHOUMI_ALLOWED_HOSTS contains '*', so any Host header is accepted.",
                hint="List the host names staff use, separated by commas.",
                id="shoumi.W001",
            )
        ]
    return []
