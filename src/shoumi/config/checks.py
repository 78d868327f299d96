"""shoumi's own deployment checks, run by ``check --deploy`` and ``shoumi check-deploy``."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


@register(Tags.security, deploy=True)
def check_base_url_https(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    # Enrolment links, approval mails and reports are built from it. Over plain HTTP
    # the link and its one-time password travel in clear, so a network observer can
    # enrol before the staff member does.
    scheme = urlsplit(settings.BASE_URL).scheme
    if scheme != "https":
        return [
            Error(
                f"SHOUMI_BASE_URL={settings.BASE_URL} does not use https, so the enrolment "
                "links shoumi prints and mails would be opened over plain HTTP.",
                hint="Set SHOUMI_BASE_URL to the https:// address staff use, "
                "for example https://shoumi.example.cn.",
                id="shoumi.E010",
            )
        ]
    return []


# MLPS level 3 (GB/T 22239-2019 8.1.4.1 b) asks to limit login attempts and to
# log out idle sessions; assessors commonly expect a lockout after at most 5
# failures lasting at least 15 minutes, an idle timeout of at most 15 minutes
# and a working day as the longest session. The standard itself names no
# figures, so these are warnings: check-deploy still fails on them.
MLPS_MAX_LOCKOUT_FAILURES = 5
MLPS_MIN_LOCKOUT_MINUTES = 15
MLPS_MAX_IDLE_MINUTES = 15
MLPS_MAX_SESSION_HOURS = 10


@register(Tags.security, deploy=True)
def check_login_limits(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    failures = int(settings.AXES_FAILURE_LIMIT)
    if failures > MLPS_MAX_LOCKOUT_FAILURES:
        messages.append(
            Warning(
                f"An account is locked only after {failures} failed logins "
                f"(SHOUMI_LOCKOUT_FAILURES); MLPS level 3 assessors expect at most "
                f"{MLPS_MAX_LOCKOUT_FAILURES}.",
                hint=f"Set SHOUMI_LOCKOUT_FAILURES to {MLPS_MAX_LOCKOUT_FAILURES} or less "
                "(or unset it: the default is 5).",
                id="shoumi.W010",
            )
        )
    lockout_minutes = settings.AXES_COOLOFF_TIME.total_seconds() / 60
    if lockout_minutes < MLPS_MIN_LOCKOUT_MINUTES:
        messages.append(
            Warning(
                f"A locked account is unlocked after {lockout_minutes:g} minutes "
                f"(SHOUMI_LOCKOUT_MINUTES); MLPS level 3 assessors expect at least "
                f"{MLPS_MIN_LOCKOUT_MINUTES}.",
                hint=f"Set SHOUMI_LOCKOUT_MINUTES to {MLPS_MIN_LOCKOUT_MINUTES} or more "
                "(or unset it: the default is 15).",
                id="shoumi.W011",
            )
        )
    idle_minutes = settings.IDLE_TIMEOUT.total_seconds() / 60
    if idle_minutes > MLPS_MAX_IDLE_MINUTES:
        messages.append(
            Warning(
                f"Idle sessions are logged out after {idle_minutes:g} minutes "
                f"(SHOUMI_IDLE_TIMEOUT_MINUTES); MLPS level 3 assessors expect at most "
                f"{MLPS_MAX_IDLE_MINUTES}.",
                hint=f"Set SHOUMI_IDLE_TIMEOUT_MINUTES to {MLPS_MAX_IDLE_MINUTES} or less "
                "(or unset it: the default is 15).",
                id="shoumi.W012",
            )
        )
    session_hours = settings.SESSION_COOKIE_AGE / 3600
    if session_hours > MLPS_MAX_SESSION_HOURS:
        messages.append(
            Warning(
                f"A session lasts up to {session_hours:g} hours (SHOUMI_SESSION_MAX_HOURS); "
                f"more than a working day of {MLPS_MAX_SESSION_HOURS} hours.",
                hint=f"Set SHOUMI_SESSION_MAX_HOURS to {MLPS_MAX_SESSION_HOURS} or less "
                "(or unset it: the default is 10).",
                id="shoumi.W013",
            )
        )
    return messages
