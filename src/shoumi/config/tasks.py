"""The in-process task runner: runs a function in a background thread of this process.

One worker thread runs the tasks one after another, which suits SQLite's
single writer. With ``TASKS_RUN_INLINE`` (the test profile) a task runs
inside the caller instead. Each task gets a task id bound to its log lines,
and closes its database connection when it ends.

What this does not provide: tasks live in memory only, so a task that is
queued or running when the process stops is lost, and its job row keeps the
status it had. A multi-process deployment (several gunicorn workers) runs
each task in the worker that accepted the request.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import structlog
from django.conf import settings
from django.db import connections

logger = structlog.get_logger(__name__)

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shoumi-task")
        return _executor


def submit(name: str, function: Callable[..., Any], **arguments: Any) -> None:
    """Run ``function(**arguments)`` in the background (inline with TASKS_RUN_INLINE)."""
    if settings.TASKS_RUN_INLINE:
        _run(name, function, arguments, is_thread=False)
        return
    _get_executor().submit(_run, name, function, arguments, is_thread=True)


def _run(
    name: str, function: Callable[..., Any], arguments: dict[str, Any], *, is_thread: bool
) -> None:
    task_id = secrets.token_hex(8)
    with structlog.contextvars.bound_contextvars(task_id=task_id, task=name):
        logger.info("task_started")
        try:
            function(**arguments)
        except Exception:
            # The task's own error handling failed; nothing else would see this error.
            logger.exception("task_failed")
            if not is_thread:
                raise
        else:
            logger.info("task_finished")
        finally:
            if is_thread:
                connections.close_all()
