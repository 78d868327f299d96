"""structlog loggers for modules that ``shoumi scan`` loads, imported at the first log call.

``shoumi scan`` imports :mod:`shoumi.identifiers` and :mod:`shoumi.scanner` and nothing of
Django. Importing structlog at start took about 90 ms of the command's 0.37 s where rich
is installed (structlog's ``dev`` module imports it), for warnings that most scans never
log.

The command also leaves structlog unconfigured, and an unconfigured structlog prints to
standard output, where the report goes: a warning put a line into the CSV or JSON report.
Until something configures structlog (Django's settings do, see
:mod:`shoumi.config.logging`), these loggers print to standard error instead.
"""

from __future__ import annotations

import sys
from typing import Any


class LazyLogger:
    """The structlog logger named ``name``, looked up at each call (``logger.warning(...)``)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, method: str) -> Any:
        import structlog

        if structlog.is_configured():
            return getattr(structlog.get_logger(self._name), method)
        # The default processors, with the printer on standard error, and structlog's
        # global configuration left alone.
        unconfigured = structlog.wrap_logger(structlog.PrintLogger(sys.stderr))
        return getattr(unconfigured.bind(logger=self._name), method)


def get_logger(name: str) -> LazyLogger:
    """Return the logger of module ``name`` (pass ``__name__``)."""
    return LazyLogger(name)
