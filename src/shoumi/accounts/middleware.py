"""Session hardening: only two-factor-verified sessions, and logout when idle."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from shoumi.accounts import services
from shoumi.audit.actions import Action
from shoumi.config import clock

LAST_ACTIVITY_KEY = "last_activity_at"


class VerifiedSessionMiddleware:
    """Treat a session that is logged in but not TOTP-verified as logged out.

    The login views only log a user in after the TOTP step, so this should
    never trigger; it guards against any other code path calling login().
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not user.is_verified():  # type: ignore[attr-defined]
            services.logout(request=request)
        return self.get_response(request)


class IdleTimeoutMiddleware:
    """Log out a session that has been idle longer than ``settings.IDLE_TIMEOUT``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = clock.now().timestamp()
            last_activity = request.session.get(LAST_ACTIVITY_KEY)
            idle_limit = settings.IDLE_TIMEOUT.total_seconds()
            if last_activity is None or now - float(last_activity) > idle_limit:
                services.logout(request=request, reason=Action.SESSION_EXPIRED)
                messages.info(request, _("You were logged out after a period of inactivity."))
                return self._to_login(request)
            request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _to_login(request: HttpRequest) -> HttpResponse:
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = _login_path()
            return response
        return redirect_to_login(request.get_full_path(), _login_path())


def _login_path() -> str:
    return reverse(settings.LOGIN_URL)
