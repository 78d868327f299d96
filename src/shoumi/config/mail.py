"""Outgoing mail settings from the environment (``SHOUMI_EMAIL_*``).

Django's SMTP backend reads ``EMAIL_HOST``, ``EMAIL_PORT`` and the rest; without
these variables it could only reach an SMTP server on localhost port 25. The
password comes from the environment only, like every other secret.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from shoumi.config.env import env_bool, env_int, env_str


def email_settings() -> dict[str, Any]:
    """Return Django's e-mail settings read from the ``SHOUMI_EMAIL_*`` variables."""
    use_tls = env_bool("SHOUMI_EMAIL_STARTTLS", False)
    use_ssl = env_bool("SHOUMI_EMAIL_SSL", False)
    if use_tls and use_ssl:
        raise ImproperlyConfigured(
            "SHOUMI_EMAIL_STARTTLS and SHOUMI_EMAIL_SSL are both on; "
            "use STARTTLS for port 587 or SSL for port 465, not both."
        )
    default_port = 465 if use_ssl else 587 if use_tls else 25
    return {
        "EMAIL_BACKEND": env_str(
            "SHOUMI_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
        ),
        "DEFAULT_FROM_EMAIL": env_str("SHOUMI_EMAIL_FROM", "shoumi@localhost"),
        "EMAIL_HOST": env_str("SHOUMI_EMAIL_HOST", "localhost"),
        "EMAIL_PORT": env_int("SHOUMI_EMAIL_PORT", default_port, minimum=1, maximum=65535),
        "EMAIL_HOST_USER": env_str("SHOUMI_EMAIL_USER", ""),
        "EMAIL_HOST_PASSWORD": env_str("SHOUMI_EMAIL_PASSWORD", ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
        "EMAIL_TIMEOUT": env_int("SHOUMI_EMAIL_TIMEOUT_SECONDS", 10, minimum=1, maximum=300),
    }
