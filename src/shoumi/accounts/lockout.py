"""How django-axes names the account a login attempt is counted against."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from shoumi.accounts.models import normalise_employee_number


def username_from(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Return the normalised employee number of an attempt.

    Normalising here means ``a001``, ``A001`` and a full-width ``Ａ００１`` all
    count against the same account, so case or width changes cannot reset
    the failure counter.
    """
    if credentials and credentials.get("username"):
        raw = str(credentials["username"])
    else:
        raw = str(getattr(request, "POST", {}).get("username", ""))
    return normalise_employee_number(raw)
