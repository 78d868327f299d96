"""Request-scoped logging context and language selection."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

_INCOMING_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


class RequestIdMiddleware:
    """Bind a request id to every log line of the request and echo it in ``X-Request-ID``.

    An incoming ``X-Request-ID`` from a proxy is kept when it is a plain token;
    anything else is replaced, so a client cannot inject text into the logs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _INCOMING_ID.match(incoming) else secrets.token_hex(8)
        request.request_id = request_id  # type: ignore[attr-defined]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = self.get_response(request)
        finally:
            structlog.contextvars.clear_contextvars()
        response["X-Request-ID"] = request_id
        return response


class LanguageMiddleware:
    """Activate the language the user chose, else the site default (zh-hans).

    Django's LocaleMiddleware would follow the browser's Accept-Language,
    which shows English to every staff member whose browser is set up in
    English. shoumi is Chinese first: English appears only after the user
    picks it in the language switcher (stored in the language cookie).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response


class NoStoreMiddleware:
    """Tell browsers and proxies not to keep any page (``Cache-Control: no-store``).

    Client pages show masks, search results and sometimes revealed values;
    a shared office computer's browser cache or a caching proxy must not keep
    them. A view that sets its own ``Cache-Control`` keeps it. Static files
    are answered by WhiteNoise before this runs, so they stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response
