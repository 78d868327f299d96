"""Checkpoints signed by the serving process: during quiet periods and at shutdown.

Appends sign a checkpoint when one is due, but the newest events of a quiet
period would wait for the next append. :class:`CheckpointScheduler` runs a
daemon thread in the serving process that signs a checkpoint once
``CHECKPOINT_EVERY_MINUTES`` have passed, and signs a last one when the
process exits normally (``atexit``). SIGTERM's default action ends a
process without running ``atexit``, so where SIGTERM still has its default
handler (``shoumi runserver`` without the autoreloader), it is turned into
a normal exit. Servers with their own SIGTERM handling, such as gunicorn's
workers, keep it and exit normally by themselves.

Each process that serves requests runs its own scheduler. They do not
conflict, because a checkpoint is signed under the log head lock and only
when it is due. A process killed with SIGKILL or by a power failure signs
nothing; the next checkpoint then covers its events.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
from types import FrameType

import structlog
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections

from shoumi.audit.checkpoints import checkpoint_create
from shoumi.audit.models import CheckpointReason, SignedCheckpoint
from shoumi.ledger import LedgerError

logger = structlog.get_logger(__name__)


class CheckpointScheduler:
    """A daemon thread that signs a checkpoint whenever one is due by time.

    ``interval_seconds`` is how often the thread looks; by default a sixth
    of the checkpoint interval, at most one minute.
    """

    def __init__(self, interval_seconds: float | None = None) -> None:
        if interval_seconds is None:
            interval_seconds = min(60.0, settings.CHECKPOINT_EVERY_MINUTES * 60 / 6)
        self.interval_seconds = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread; does nothing when it already runs."""
        if self.is_running:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name="shoumi-audit-checkpoints", daemon=True
        )
        self._thread.start()
        logger.info("audit_checkpoint_scheduler_started", interval_seconds=self.interval_seconds)

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop the thread and wait up to ``timeout`` seconds for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_once(self, *, reason: str = CheckpointReason.TIME) -> SignedCheckpoint | None:
        """Sign a checkpoint if one is due (always, for the shutdown reason); log failures.

        Returns the new checkpoint, or None when nothing was signed.
        """
        try:
            return checkpoint_create(reason=reason, only_if_due=reason != CheckpointReason.SHUTDOWN)
        except (DatabaseError, LedgerError, ImproperlyConfigured) as error:
            logger.error(
                "audit_checkpoint_failed",
                reason=reason,
                error_type=type(error).__name__,
                error=str(error),
            )
            return None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            self.run_once()
            # The thread's own connections; the next round opens new ones.
            connections.close_all()

    def sign_at_exit(self) -> None:
        """Stop the thread and sign the shutdown checkpoint."""
        self.stop()
        self.run_once(reason=CheckpointReason.SHUTDOWN)
        logger.info("audit_checkpoint_scheduler_stopped")


_scheduler: CheckpointScheduler | None = None
_scheduler_lock = threading.Lock()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _restart_after_fork() -> None:
    # Threads do not survive fork(), so a server that loads the application
    # before forking workers (gunicorn --preload) needs a thread per worker.
    global _scheduler
    if _scheduler is not None:
        _scheduler = CheckpointScheduler(_scheduler.interval_seconds)
        _scheduler.start()


def start_checkpoint_scheduler() -> CheckpointScheduler:
    """Start the process's scheduler once, with its exit and fork hooks; return it."""
    global _scheduler
    with _scheduler_lock:
        if _scheduler is None:
            _scheduler = CheckpointScheduler()
            atexit.register(lambda: _scheduler.sign_at_exit() if _scheduler else None)
            os.register_at_fork(after_in_child=_restart_after_fork)
            is_main_thread = threading.current_thread() is threading.main_thread()
            if is_main_thread and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                signal.signal(signal.SIGTERM, _exit_on_sigterm)
        _scheduler.start()
        return _scheduler
