"""structlog loggers for modules that ``shoumi scan`` loads, imported at the first log call.

``shoumi scan`` imports :mod:`shoumi.identifiers` and :mod:`shoumi.scanner` and nothing of
Django. On the 2-core machine of BENCHMARKS.md, importing structlog at start took about
90 ms of the command's 0.37 s, because structlog's ``dev`` module imports rich where it
is installed. Most scans log no warning at all.

The command leaves structlog unconfigured, and an unconfigured structlog prints to
standard output, where the report goes. So the command runs inside :func:`standalone`,
which sends these loggers' records to standard error, one line per record, whatever
structlog's configuration. Elsewhere they follow structlog's configuration (Django's
settings route it through the standard library, see :mod:`shoumi.config.logging`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Whether records go to standard error (see standalone). Worker processes forked while it
# is set keep it.
_standalone = False
# Erases the current terminal line, where a progress display may stand.
_ERASE_LINE = "\r\033[K"


@contextmanager
def standalone() -> Iterator[None]:
    """Print these loggers' records on standard error while the block runs.

    Each record is one line, written in one call, so the lines of worker processes do
    not mix. On a terminal a line first erases the line it starts on, so that it replaces
    a progress display instead of being appended to it. Identifier-shaped values are
    redacted as in the web app's logs. Records are dropped when there is no standard
    error (``sys.stderr`` is None), because structlog would print them to standard output.
    """
    global _standalone
    previous, _standalone = _standalone, True
    try:
        yield
    finally:
        _standalone = previous


class LazyLogger:
    """The structlog logger named ``name``, looked up at each call (``logger.warning(...)``)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            # copy, pickle and hasattr look up special names; none is a log method.
            raise AttributeError(method)
        import structlog  # deferred, see the module docstring

        if not _standalone:
            return getattr(structlog.get_logger(self._name), method)
        stream = sys.stderr
        if stream is None:
            return _drop
        logger = structlog.wrap_logger(
            structlog.WriteLogger(stream), processors=_standalone_processors(stream)
        )
        return getattr(logger.bind(logger=self._name), method)


def _drop(*_arguments: object, **_fields: object) -> None:
    return None


def _standalone_processors(stream: Any) -> list[Any]:
    import structlog  # deferred, see the module docstring

    from shoumi.config.logging import redact_processor  # imports structlog

    renderer = structlog.dev.ConsoleRenderer(colors=False)
    is_terminal = getattr(stream, "isatty", None)
    erase = _ERASE_LINE if is_terminal is not None and is_terminal() else ""

    def render(logger: Any, method: str, event_dict: Any) -> str:
        return erase + str(renderer(logger, method, event_dict))

    return [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_processor,
        render,
    ]


def get_logger(name: str) -> LazyLogger:
    """Return the logger of module ``name`` (pass ``__name__``)."""
    return LazyLogger(name)
