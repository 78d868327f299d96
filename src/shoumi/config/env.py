"""Read and validate ``SHOUMI_*`` environment variables.

Each reader names the variable and the expected form in its error, so a
misconfigured deployment stops at start-up with a message that says what to
fix. No reader has a default for a secret.
"""

from __future__ import annotations

import datetime
import os
import zoneinfo
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


def env_hours(name: str, default: str) -> str:
    """Return a "HH:MM-HH:MM" range of the day, checked, so that a typo fails at start-up."""
    value = env_str(name, default)
    start, dash, end = value.partition("-")
    try:
        if not dash:
            raise ValueError
        first, last = (datetime.time.fromisoformat(part.strip()) for part in (start, end))
        # The hours are read in SHOUMI_TIME_ZONE, so a time with its own offset is rejected.
        if first.tzinfo is not None or last.tzinfo is not None:
            raise ValueError
    except ValueError:
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} is not a range of the day such as 08:00-20:00 "
            "(local time in SHOUMI_TIME_ZONE, without an offset)."
        ) from None
    if first >= last:
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} ends before it starts.")
    return value


def env_weekdays(name: str, default: str) -> str:
    """Return a list of ISO weekdays such as "1-5" or "1-5,7" (1 is Monday), checked."""
    value = env_str(name, default)
    try:
        for part in value.split(","):
            first, _dash, last = part.strip().partition("-")
            low, high = int(first), int(last or first)
            if not 1 <= low <= high <= 7:
                raise ValueError
    except ValueError:
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} is not a list of weekdays 1 to 7 "
            "(1 is Monday), such as 1-5 or 1-5,7."
        ) from None
    return value


def env_time_zone(name: str, default: str) -> str:
    """Return an IANA time zone name such as Asia/Shanghai, checked against the zone database."""
    value = env_str(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} is not a time zone such as Asia/Shanghai."
        ) from None
    return value
