"""Security headers, cookie flags and locally served assets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import shoumi

pytestmark = pytest.mark.django_db


def test_content_security_policy_forbids_inline_and_foreign_scripts(client: Client) -> None:
    policy = client.get("/accounts/login/")["Content-Security-Policy"]

    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_clickjacking_and_sniffing_headers(client: Client) -> None:
    response = client.get("/accounts/login/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_cookies_are_http_only(client: Client) -> None:
    response = client.get("/accounts/login/")

    csrf_cookie = response.cookies["shoumi_csrftoken"]
    assert csrf_cookie["httponly"]
    assert csrf_cookie["samesite"] == "Strict"


def test_hsts_and_secure_cookies_over_https(client: Client, settings) -> None:
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.CSRF_COOKIE_SECURE = True

    response = client.get("/accounts/login/", secure=True)

    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response.cookies["shoumi_csrftoken"]["secure"]


def test_every_page_asset_is_served_locally() -> None:
    package_dir = Path(shoumi.__file__).parent
    foreign = re.compile(r"""(src|href)=["']\s*(https?:)?//""", re.IGNORECASE)
    offenders = [
        str(path.relative_to(package_dir))
        for path in package_dir.rglob("templates/**/*.html")
        if foreign.search(path.read_text(encoding="utf-8"))
    ]

    assert offenders == []


def test_htmx_is_served_from_static(client: Client) -> None:
    response = client.get("/static/vendor/htmx-2.0.11.min.js")

    assert response.status_code == 200


def test_request_id_is_echoed(client: Client) -> None:
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="abcdef0123456789")

    assert response["X-Request-ID"] == "abcdef0123456789"


def test_injected_request_id_is_replaced(client: Client) -> None:
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="bad id\nwith newline")

    assert re.fullmatch(r"[0-9a-f]{16}", response["X-Request-ID"])


def test_pages_are_not_stored_by_browsers_or_proxies(client) -> None:
    response = client.get("/accounts/login/")

    assert response["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(client) -> None:
    response = client.get("/static/vendor/htmx-2.0.11.min.js")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
