"""structlog set-up with a redaction safety net.

Log calls pass ids, counts and masks, never plaintext personal data (see the
style guide). The redaction processor is a last line of defence for the
mistakes that slip through anyway: it replaces digit runs shaped like
identifiers (resident IDs, bank cards, mobile numbers, credit codes) in every
string value of every record, including formatted tracebacks and records
from the standard library's loggers. It does not catch personal data that
is not number-shaped, such as names or addresses.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import structlog

REDACTED = "[redacted]"

# Runs of 11 or more digits (allowing a trailing X for resident IDs) and
# 18-character credit-code shapes. Separators inside numbers are not
# followed: a number written with spaces is redacted group by group only
# when a group is itself long enough, which is a known gap of this net.
_IDENTIFIER_SHAPE = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{11,}[Xx]?|[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10})(?![0-9A-Za-z])"
)


# Record ids are UUIDs. Their last group is twelve hex characters and about
# one UUID in 50 has only digits there, which would look like a phone or
# card number, so whole UUIDs are matched first and kept.
_UUID_OR_IDENTIFIER = re.compile(
    r"(?P<uuid>(?<![0-9A-Za-z])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}(?![0-9A-Za-z]))|" + _IDENTIFIER_SHAPE.pattern
)


def _replace(match: re.Match[str]) -> str:
    return match.group("uuid") or REDACTED


def redact_text(text: str) -> str:
    """Replace identifier-shaped runs in ``text`` with a placeholder; UUIDs stay."""
    return _UUID_OR_IDENTIFIER.sub(_replace, text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redact_value(item) for item in value)
    return value


def redact_processor(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: redact identifier-shaped values in the whole record."""
    return {key: _redact_value(value) for key, value in event_dict.items()}


_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.format_exc_info,
    redact_processor,
]


def configure_structlog() -> None:
    """Route structlog through the standard library so Django's handlers apply to both."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


class ClientErrorTracebackFilter(logging.Filter):
    """Drop the traceback Django attaches to a 4xx answer (403, 404, 400).

    A refused or missing page is an expected answer, logged by Django at
    WARNING with the stack of the PermissionDenied or Http404 it came from;
    forty lines per refusal bury the log. Server errors keep their traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.request" and getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True


def build_logging_config(level: str) -> dict[str, Any]:
    """Return a ``LOGGING`` dict that renders every record as one key=value line on stderr."""
    configure_structlog()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    redact_processor,
                    structlog.processors.KeyValueRenderer(
                        key_order=["timestamp", "level", "logger", "event"], drop_missing=True
                    ),
                ],
                "foreign_pre_chain": _SHARED_PROCESSORS,
            },
        },
        "filters": {
            "client_error_traceback": {"()": ClientErrorTracebackFilter},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "filters": ["client_error_traceback"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            "axes": {"level": "WARNING"},
        },
    }
