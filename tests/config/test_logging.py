"""The redaction safety net of the logs."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
import structlog

from shoumi.config.logging import redact_text

SYNTHETIC_ID = "11010519491231002X"  # the GB 11643 worked example
SYNTHETIC_CARD = "6222029876543214"


def test_redact_text_hides_identifier_shapes() -> None:
    text = (
        f"id={SYNTHETIC_ID} card={SYNTHETIC_CARD} phone=13800138000 "
        "uscc=91350100M000100Y43 amount=12345"
    )

    redacted = redact_text(text)

    assert SYNTHETIC_ID not in redacted
    assert SYNTHETIC_CARD not in redacted
    assert "13800138000" not in redacted
    assert "91350100M000100Y43" not in redacted
    assert "amount=12345" in redacted


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Point the configured console handler at a buffer for the test."""
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler))
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_structlog_output_is_redacted(log_output: io.StringIO) -> None:
    logger = structlog.get_logger("shoumi.test")

    logger.warning("test_event", value=SYNTHETIC_ID)

    output = log_output.getvalue()
    assert "test_event" in output
    assert SYNTHETIC_ID not in output


def test_standard_library_traceback_is_redacted(log_output: io.StringIO) -> None:
    logger = logging.getLogger("shoumi.test.stdlib")
    try:
        raise ValueError(f"bad value {SYNTHETIC_CARD}")
    except ValueError:
        logger.exception("failed")

    output = log_output.getvalue()
    assert "ValueError" in output
    assert SYNTHETIC_CARD not in output


def test_record_uuid_with_digit_tail_is_kept() -> None:
    text = "client 8f2c1e7a-3b4d-4c5e-9f60-123456789012 card 6222029876543214"

    redacted = redact_text(text)

    assert "8f2c1e7a-3b4d-4c5e-9f60-123456789012" in redacted
    assert "6222029876543214" not in redacted


def test_client_error_logged_without_traceback(
    log_output: io.StringIO,
) -> None:
    from django.core.exceptions import PermissionDenied

    logger = logging.getLogger("django.request")
    for status, error in ((403, PermissionDenied()), (500, RuntimeError("boom"))):
        try:
            raise error
        except Exception:
            logger.warning("answer", exc_info=True, extra={"status_code": status})

    refused, failed = log_output.getvalue().split("answer", 2)[1:]
    assert "Traceback" not in refused
    assert "PermissionDenied" not in refused
    assert "RuntimeError" in failed
