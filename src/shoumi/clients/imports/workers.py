"""Build an import's batches in forked worker processes while the importing process inserts.

Sealing costs most of the write phase's CPU time and needs no database, so
worker processes can build the sealed column values of later batches while
the importing process inserts earlier ones. The workers are forked from the
importing process: they inherit the unwrapped keys and the checked rows in
memory, so no key and no plaintext is written to a file, a pipe or the
environment. Only batch numbers go to a worker, and only sealed values,
masks and blind indexes come back. A worker runs no database query and
ends with its pool, when the write phase ends or fails.

What this does not provide: on platforms other than Linux (Windows has no
``fork``, and on macOS system libraries are not safe to use after it), and
with the Vault Transit master key, whose HTTP connections a forked process
must not share, batches are built in the importing process.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import structlog
from django.conf import settings

logger = structlog.get_logger(__name__)

BatchT = TypeVar("BatchT")

# The function that the forked workers call. The importing process sets it just before forking.
_build: Callable[[int], Any] | None = None


def worker_count(batch_count: int) -> int:
    """Return how many worker processes to fork for ``batch_count`` batches, 0 for none."""
    if batch_count < 2 or settings.KEK_PROVIDER != "file" or sys.platform != "linux":
        return 0
    return min(settings.IMPORT_WORKERS, batch_count)


def build_batches(build: Callable[[int], BatchT], batch_count: int) -> Iterator[BatchT]:
    """Yield ``build(0)`` to ``build(batch_count - 1)`` in order, from worker processes if useful.

    The caller must have loaded everything ``build`` reads (the vault's keys
    among them) before the first batch is requested, because a forked worker
    has a copy of the importing process's memory as it was at that moment. An error
    in a worker is raised here.
    """
    workers = worker_count(batch_count)
    if workers == 0:
        yield from (build(index) for index in range(batch_count))
        return

    global _build
    _build = build
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:
            logger.debug("import_workers_started", workers=workers, batches=batch_count)
            yield from pool.imap(_build_in_worker, range(batch_count))
    finally:
        _build = None


def _build_in_worker(index: int) -> Any:
    if _build is None:
        raise RuntimeError("The import worker was not forked from a running write phase.")
    return _build(index)
