"""Shell pages: dashboard, error pages and the CSRF failure page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shoumi.config.navigation import pending_items_for


def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Show the logged-in user's roles and what waits for them."""
    return render(
        request,
        "shell/dashboard.html",
        {"pending_items": pending_items_for(request.user)},
    )


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "shell/csrf_failure.html", status=403)


@login_not_required
def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return render(request, "shell/error.html", {"status": 400}, status=400)


@login_not_required
def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return render(request, "shell/error.html", {"status": 403}, status=403)


@login_not_required
def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return render(request, "shell/error.html", {"status": 404}, status=404)


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "shell/500.html", status=500)
