from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from shoumi.config.navigation import nav_items_for


def shell(request: HttpRequest) -> dict[str, Any]:
    """Provide the menu and the idle timeout to every template."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "idle_timeout_seconds": 0}
    return {
        "nav_items": nav_items_for(user),
        "idle_timeout_seconds": int(settings.IDLE_TIMEOUT.total_seconds()),
    }
