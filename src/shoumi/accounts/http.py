"""Request type for views that run only for logged-in staff."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from shoumi.accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """An HttpRequest whose user is a logged-in, TOTP-verified staff member.

    LoginRequiredMiddleware and VerifiedSessionMiddleware guarantee this for
    every view not marked ``login_not_required``; the class only tells the
    type checker so.
    """

    user: User
