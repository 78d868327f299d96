"""Read and validate ``SHOUMI_*`` environment variables.

Each reader names the variable and the expected form in its error, so a
misconfigured deployment stops at start-up with a message that says what to
fix. No reader has a default for a secret.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str | None = None) -> str:
    """Return the variable's value, or ``default``; raise if both are missing."""
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"Environment variable {name} is required but not set.")
        return default
    return value


def env_optional(name: str) -> str | None:
    """Return the variable's value, or None when it is unset or empty."""
    value = os.environ.get(name)
    return value if value else None


def env_bool(name: str, default: bool) -> bool:
    """Parse a boolean variable (1/0, true/false, yes/no, on/off)."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name}={value!r} is not a boolean; "
        "use 1/0, true/false, yes/no or on/off."
    )


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Parse an integer variable and check it against optional bounds."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} is not an integer."
        ) from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(
            f"Environment variable {name}={number} is below the minimum {minimum}."
        )
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(
            f"Environment variable {name}={number} is above the maximum {maximum}."
        )
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    """Parse a comma-separated list variable; blanks are dropped."""
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    """Return the variable as an absolute path, resolving a relative one against the cwd."""
    value = os.environ.get(name)
    path = Path(value) if value else default
    return path.expanduser().resolve()
