"""A real SMTP server on 127.0.0.1 for the notification tests (aiosmtpd)."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Mailbox:
    """Collects every message the server accepts."""

    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def bodies(self) -> list[str]:
        texts = []
        for message in self.messages:
            payload = message.get_payload(decode=True)
            texts.append(payload.decode(message.get_content_charset() or "utf-8"))
        return texts

    def subjects(self) -> list[str]:
        from email.header import decode_header, make_header

        return [str(make_header(decode_header(message["Subject"]))) for message in self.messages]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_mailbox(settings: Any) -> Iterator[Mailbox]:
    """Start an SMTP server on loopback and point Django's SMTP backend at it."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield mailbox
    finally:
        controller.stop()
