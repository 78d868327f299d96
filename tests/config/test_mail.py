"""Outgoing mail settings from SHOUMI_EMAIL_*, and a message sent through them."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from shoumi.config.mail import email_settings
from tests.materials.smtp_server import Mailbox, _free_port

VARIABLES = (
    "SHOUMI_EMAIL_BACKEND",
    "SHOUMI_EMAIL_FROM",
    "SHOUMI_EMAIL_HOST",
    "SHOUMI_EMAIL_PORT",
    "SHOUMI_EMAIL_USER",
    "SHOUMI_EMAIL_PASSWORD",
    "SHOUMI_EMAIL_STARTTLS",
    "SHOUMI_EMAIL_SSL",
    "SHOUMI_EMAIL_TIMEOUT_SECONDS",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_defaults_reach_only_the_console() -> None:
    values = email_settings()

    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"]) == ("localhost", 25)
    assert values["EMAIL_USE_TLS"] is False
    assert values["EMAIL_USE_SSL"] is False


def test_tls_modes_default_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOUMI_EMAIL_STARTTLS", "1")
    starttls = email_settings()
    monkeypatch.delenv("SHOUMI_EMAIL_STARTTLS")
    monkeypatch.setenv("SHOUMI_EMAIL_SSL", "on")
    ssl = email_settings()

    assert (starttls["EMAIL_PORT"], starttls["EMAIL_USE_TLS"]) == (587, True)
    assert (ssl["EMAIL_PORT"], ssl["EMAIL_USE_SSL"]) == (465, True)


def test_starttls_and_ssl_together_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOUMI_EMAIL_STARTTLS", "1")
    monkeypatch.setenv("SHOUMI_EMAIL_SSL", "1")

    with pytest.raises(ImproperlyConfigured, match="both on"):
        email_settings()


def test_port_out_of_range_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOUMI_EMAIL_PORT", "70000")

    with pytest.raises(ImproperlyConfigured):
        email_settings()


def test_mail_goes_to_the_configured_smtp_server(monkeypatch: pytest.MonkeyPatch) -> None:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        monkeypatch.setenv("SHOUMI_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
        monkeypatch.setenv("SHOUMI_EMAIL_HOST", "127.0.0.1")
        monkeypatch.setenv("SHOUMI_EMAIL_PORT", str(controller.port))
        monkeypatch.setenv("SHOUMI_EMAIL_FROM", "archive@agency.example")
        with override_settings(**email_settings()):
            sent = mail.send_mail("借阅逾期提醒", "正文", None, ["clerk@agency.example"])
    finally:
        controller.stop()

    assert sent == 1
    assert mailbox.subjects() == ["借阅逾期提醒"]
    assert mailbox.recipients == [["clerk@agency.example"]]
    assert mailbox.messages[0]["From"] == "archive@agency.example"
