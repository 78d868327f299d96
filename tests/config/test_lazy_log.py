"""Loggers that import structlog at their first call, and their standalone output."""

from __future__ import annotations

import copy
import io
import pickle
import sys

import structlog

from shoumi import lazy_log
from shoumi.lazy_log import get_logger
from tests.scanner.helpers import resident_id


class Stream(io.StringIO):
    """A text stream that counts its write calls and may claim to be a terminal."""

    def __init__(self, terminal: bool = False) -> None:
        super().__init__()
        self.terminal = terminal
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)

    def isatty(self) -> bool:
        return self.terminal


def test_standalone_line_per_record(monkeypatch):
    stream = Stream()
    monkeypatch.setattr(sys, "stderr", stream)

    with lazy_log.standalone():
        get_logger("shoumi.example").warning("example_event", count=3)

    line = stream.getvalue()
    # One call per record, so that the lines of two worker processes cannot interleave.
    assert stream.writes == 1
    assert line.endswith("\n")
    assert line.count("\n") == 1
    assert "example_event" in line
    assert "count=3" in line
    assert "shoumi.example" in line
    assert "warning" in line
    assert "\033" not in line


def test_standalone_erases_progress_line(monkeypatch):
    stream = Stream(terminal=True)
    monkeypatch.setattr(sys, "stderr", stream)

    with lazy_log.standalone():
        get_logger("shoumi.example").warning("example_event")

    assert stream.getvalue().startswith("\r\033[K")


def test_standalone_redacts_identifiers(monkeypatch):
    stream = Stream()
    monkeypatch.setattr(sys, "stderr", stream)
    value = resident_id()

    with lazy_log.standalone():
        get_logger("shoumi.example").warning("example_event", value=value)

    assert value not in stream.getvalue()
    assert "[redacted]" in stream.getvalue()


def test_standalone_without_stderr_drops(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stderr", None)

    with lazy_log.standalone():
        get_logger("shoumi.example").warning("example_event")

    assert capsys.readouterr().out == ""


def test_configuration_followed_outside_block(monkeypatch):
    stream = Stream()
    monkeypatch.setattr(sys, "stderr", stream)
    with lazy_log.standalone():
        pass

    with structlog.testing.capture_logs() as logs:
        get_logger("shoumi.example").warning("example_event", count=3)

    assert logs == [{"event": "example_event", "count": 3, "log_level": "warning"}]
    assert stream.getvalue() == ""


def test_logger_copies_and_pickles():
    logger = get_logger("shoumi.example")

    assert isinstance(copy.copy(logger), lazy_log.LazyLogger)
    assert isinstance(pickle.loads(pickle.dumps(logger)), lazy_log.LazyLogger)  # noqa: S301
    assert not hasattr(logger, "_missing")
