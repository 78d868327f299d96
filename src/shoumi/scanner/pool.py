"""Worker processes for a parallel scan, fed and drained by one thread of the parent.

All workers read their jobs from one shared pipe, taking turns under a lock. A worker
that is free takes the next job, so the last jobs do not wait behind a busy worker. Each
worker sends its results back on a pipe of its own. The parent sends jobs and receives
results in the thread that iterates :meth:`WorkerPool.run`, and blocks in
:func:`multiprocessing.connection.wait` in between.

This pool replaced a :class:`concurrent.futures.ProcessPoolExecutor`, whose feeder and
manager threads cost the parent about 0.04 s of CPU time per 64 MiB of the benchmark
corpus. This pool's parent uses about 0.017 s (0.025 to 0.030 s before results travelled
as raw frames). On a machine with two cores, which the two workers keep busy, the
parent's time is taken from a worker.
"""

from __future__ import annotations

import _thread
import itertools
import multiprocessing
import os
import pickle
import signal
import struct
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkContext, SpawnContext
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import ForkingPickler
from multiprocessing.synchronize import Lock
from typing import Any, cast

from shoumi.scanner.heap import release_free_memory, tune_heap

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

# Unfinished jobs per worker, at most: the one it scans and one waiting in the pipe. A
# worker that finishes a job then finds the next without waiting for the parent.
JOBS_PER_WORKER = 2
# Maximum bytes of sent, unfinished jobs. The limit is also at most half the job pipe's
# capacity (64 KiB on Linux, less for a user over /proc/sys/fs/pipe-user-pages-soft), so
# the parent never blocks writing a job while a worker blocks writing a result. A job is
# a pickled path and a range: a few hundred bytes, at most about 4.5 KiB.
MAX_JOB_BYTES = 16 * 1024
# Job pipe capacity assumed where the system does not report it (all but Linux): one
# 4 KiB page. NOTE: an estimate, because POSIX only requires PIPE_BUF to be 512 bytes.
_ASSUMED_PIPE_BYTES = 4096
# Size requested for each result pipe (Linux only, capped by /proc/sys/fs/pipe-max-size,
# 1 MiB by default). A 4 MiB CSV file of the benchmark corpus gives 1.6 MB of pickled
# results, which a 64 KiB pipe passes in 25 turns of worker and parent.
RESULT_PIPE_BYTES = 1 << 20
# Results are pickled with protocol 5, and array buffers of at least this many bytes
# travel after the pickle, written from the worker's array and read straight into the
# parent's buffer (see _send_output). Smaller buffers stay inside the pickle.
OUT_OF_BAND_BYTES = 4096
# Whether results travel as raw frames on file descriptors (POSIX). Elsewhere, as on
# Windows, whose pipes are not file descriptors, they go through Connection.send.
_RAW_FRAMES = hasattr(os, "readv") and os.name == "posix"
# A result frame starts with the pickle's size and the number of out-of-band buffers,
# followed by each buffer's size, the pickle and the buffers.
_FRAME_HEADER = struct.Struct("<QI")
_BUFFER_SIZE = struct.Struct("<Q")
# How often a worker checks that the parent is still alive, in seconds.
PARENT_CHECK_SECONDS = 0.5
# Seconds a worker gets to exit after SIGTERM before it is killed.
TERMINATE_TIMEOUT = 5.0
# Exit status of a worker whose parent died.
EXIT_PARENT_GONE = 1
# Marker that run() gets from the jobs iterator once it has ended. None is a valid job.
_NO_MORE_JOBS = object()


@dataclass(frozen=True)
class _Failure:
    """An exception raised by a job in a worker, sent back to be raised in the parent."""

    error: BaseException
    traceback: str


class RemoteTraceback(Exception):
    """The worker's traceback of a failed job, the cause of the exception raised in the parent."""

    def __str__(self) -> str:
        return f'\n"""\n{self.args[0]}"""'


class WorkerPool:
    """``workers`` processes that run ``task(job)`` for each job of :meth:`run`.

    ``task`` must be a module-level function, and jobs and outputs must pickle. Use the
    pool as a context manager: leaving it stops the workers, and terminates those still
    busy when :meth:`run` was not iterated to its end.
    """

    def __init__(self, workers: int, task: Callable[[Any], Any]) -> None:
        context: ForkContext | SpawnContext = (
            multiprocessing.get_context("spawn")
            if os.name == "nt"
            else multiprocessing.get_context("fork")
        )
        job_reader, self._jobs = context.Pipe(duplex=False)
        self._job_pipe_bytes = _pipe_size(self._jobs)
        self._processes: dict[Connection, BaseProcess] = {}
        # Workers that have stopped after the last job (see run), to be reaped in close.
        self._stopped: list[tuple[Connection, BaseProcess]] = []
        self._pending: dict[int, int] = {}
        self._stopping = False
        lock = context.Lock()
        release_free_memory()
        try:
            # SIGINT stays blocked in this thread while workers are forked. A worker
            # inherits the mask and ignores the signal before unblocking it. A Ctrl-C that
            # arrives meanwhile raises KeyboardInterrupt here once all workers have
            # started, not inside an at-fork handler, which would swallow it.
            # NOTE: in a process with other threads, the kernel may deliver the signal
            # to one of them, which this does not hold back.
            with _sigint_blocked():
                for _ in range(workers):
                    self._start_worker(context, task, job_reader, lock)
        except BaseException:
            self.close()
            raise
        finally:
            job_reader.close()

    def _start_worker(
        self,
        context: ForkContext | SpawnContext,
        task: Callable[[Any], Any],
        jobs: Connection,
        lock: Lock,
    ) -> None:
        reader, writer = context.Pipe(duplex=False)
        try:
            _widen(writer)
            process = context.Process(
                target=_work, args=(task, jobs, lock, writer, os.getpid()), daemon=True
            )
            process.start()
        except BaseException:
            reader.close()
            raise
        finally:
            # Closed before the next worker is forked, so that the result pipe reads
            # end-of-file once its own worker is gone.
            writer.close()
        self._processes[reader] = process

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def run(self, jobs: Iterator[Any]) -> Iterator[Any]:
        """Send the jobs to the workers and yield their outputs in completion order.

        An exception that a job raised is raised here. A worker that dies raises
        :class:`~concurrent.futures.process.BrokenProcessPool`. Once the last job is
        sent, each worker is asked to stop after the jobs it finds before that request,
        so a worker left without jobs exits while the others finish theirs. The pool
        then takes no more jobs: call this once per pool.
        """
        if self._stopping:
            raise RuntimeError("the workers of this pool have been asked to stop")
        numbers = itertools.count()
        unsent: tuple[int, bytes] | None = None
        max_bytes = min(MAX_JOB_BYTES, self._job_pipe_bytes // 2)
        while True:
            while len(self._pending) < JOBS_PER_WORKER * len(self._processes):
                if unsent is None:
                    if self._stopping:
                        break
                    job = next(jobs, _NO_MORE_JOBS)
                    if job is _NO_MORE_JOBS:
                        self._stop_workers()
                        break
                    number = next(numbers)
                    unsent = number, bytes(ForkingPickler.dumps((number, job)))
                number, message = unsent
                if self._pending and sum(self._pending.values()) + len(message) > max_bytes:
                    break
                self._jobs.send_bytes(message)
                self._pending[number] = len(message)
                unsent = None
            if not self._pending:
                return
            yield from self._receive()

    def _receive(self) -> Iterator[Any]:
        """Wait until a worker sends results or ends, and yield each output that arrived."""
        if not self._processes:
            # Every worker has stopped, so no result can come (wait would block forever).
            raise BrokenProcessPool(
                f"all workers stopped while {len(self._pending)} job(s) were unfinished"
            )
        by_sentinel = {process.sentinel: pipe for pipe, process in self._processes.items()}
        for ready in wait([*self._processes, *by_sentinel]):
            if isinstance(ready, Connection):
                try:
                    number, output = _receive_output(ready)
                except (EOFError, OSError):
                    # OSError: the worker ended in the middle of a message.
                    raise self._broken(self._processes[ready]) from None
                if number is None:
                    # The worker read its stop message and exits.
                    self._stopped.append((ready, self._processes.pop(ready)))
                    continue
                del self._pending[number]
                if isinstance(output, _Failure):
                    raise output.error from RemoteTraceback(output.traceback)
                yield output
            else:
                pipe = by_sentinel[cast(int, ready)]
                if pipe not in self._processes:
                    # The worker stopped after its last job; its stop notice came first.
                    continue
                if not pipe.poll():
                    raise self._broken(self._processes[pipe])
                # Otherwise the worker sent an output before it ended. The next wait returns
                # that output, and the end of the pipe after it raises BrokenProcessPool.

    def _broken(self, process: BaseProcess) -> BrokenProcessPool:
        process.join(TERMINATE_TIMEOUT)
        return BrokenProcessPool(
            f"worker process {process.pid} ended with exit code {process.exitcode} "
            f"while {len(self._pending)} job(s) were unfinished"
        )

    def _stop_workers(self) -> None:
        """Send one stop message per worker, which reads it and exits.

        Jobs sent before are read first, because all workers read the one job pipe in
        turn. The messages fit in the pipe: unfinished jobs take at most half of it.
        """
        if self._stopping:
            return
        self._stopping = True
        message = bytes(ForkingPickler.dumps((None, None)))
        for _ in self._processes:
            with suppress(OSError):
                self._jobs.send_bytes(message)

    def close(self) -> None:
        """Stop the workers: ask idle ones to exit, and terminate them if jobs are unfinished."""
        processes = list(self._processes.values())
        if self._pending:
            for process in processes:
                if process.is_alive():
                    process.terminate()
        else:
            self._stop_workers()
        processes.extend(process for _, process in self._stopped)
        for process in processes:
            process.join(TERMINATE_TIMEOUT)
            if process.is_alive():
                process.kill()
                process.join()
        for connection in [*self._processes, *(pipe for pipe, _ in self._stopped)]:
            connection.close()
        self._jobs.close()
        self._processes.clear()
        self._stopped.clear()
        self._pending.clear()


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread for the block, where the system has signal masks."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    # SIGINT is blocked inside the try, after the mask is read. Otherwise a Ctrl-C that
    # arrived just before could raise between the block and the try. SIGINT would then
    # stay blocked in this thread, and later presses would do nothing.
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _widen(connection: Connection) -> None:
    """Ask for a result pipe of ``RESULT_PIPE_BYTES``; keep the default size where refused."""
    if fcntl is None or not hasattr(fcntl, "F_SETPIPE_SZ"):
        return
    with suppress(OSError):
        fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, RESULT_PIPE_BYTES)


def _pipe_size(connection: Connection) -> int:
    """Return a pipe's capacity in bytes as Linux reports it, or ``_ASSUMED_PIPE_BYTES``."""
    if fcntl is None or not hasattr(fcntl, "F_GETPIPE_SZ"):
        return _ASSUMED_PIPE_BYTES
    try:
        return fcntl.fcntl(connection.fileno(), fcntl.F_GETPIPE_SZ)
    except OSError:
        return _ASSUMED_PIPE_BYTES


def _work(
    task: Callable[[Any], Any],
    jobs: Connection,
    lock: Lock,
    results: Connection,
    parent_pid: int,
) -> None:
    """Run jobs from ``jobs`` until a stop message, sending ``(number, output)`` to ``results``."""
    # Ctrl-C reaches the whole process group. The parent handles it and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _exit_with_parent(parent_pid)
    tune_heap()
    while True:
        with lock:
            number, job = ForkingPickler.loads(jobs.recv_bytes())
        if number is None:
            # Tells the parent that this worker ends without a job, not that it died. A
            # parent that has stopped reading no longer needs to know.
            with suppress(OSError):
                _send_output(results, (None, None))
            return
        try:
            output = task(job)
        except Exception as error:  # noqa: BLE001 - raised again in the parent
            output = _Failure(error, "".join(traceback.format_exception(error)))
        try:
            _send_output(results, (number, output))
        except (pickle.PicklingError, TypeError, AttributeError):
            if not isinstance(output, _Failure):
                raise
            # An exception that cannot be pickled is sent as its type and traceback.
            failure = RuntimeError(f"{type(output.error).__name__} in a scan worker")
            _send_output(results, (number, _Failure(failure, output.traceback)))


def _send_output(connection: Connection, message: object) -> None:
    """Send a worker's ``(number, output)`` to the parent, large array buffers out of band.

    The pickle contains the buffers' places, and each buffer is written from the array's
    own memory after it. So the worker copies no result into a pickle, and the parent
    reads each buffer into the memory that its array then uses (:func:`_receive_output`).
    The 64 MiB benchmark corpus gives about 11 MB of results, which ``Connection.send``
    and ``recv`` copied once more in the worker (into the pickle) and twice more in the
    parent (into a ``BytesIO`` and out of the pickle).
    """
    if not _RAW_FRAMES:
        connection.send(message)
        return
    buffers: list[memoryview] = []

    def out_of_band(buffer: pickle.PickleBuffer) -> bool:
        # True keeps the buffer inside the pickle.
        try:
            raw = buffer.raw()
        except BufferError:  # not contiguous
            return True
        if raw.nbytes < OUT_OF_BAND_BYTES:
            return True
        buffers.append(raw)
        return False

    data = pickle.dumps(message, protocol=5, buffer_callback=out_of_band)
    head = [_FRAME_HEADER.pack(len(data), len(buffers))]
    head.extend(_BUFFER_SIZE.pack(raw.nbytes) for raw in buffers)
    descriptor = connection.fileno()
    _write_all(descriptor, memoryview(b"".join(head) + data))
    for raw in buffers:
        _write_all(descriptor, raw)


def _write_all(descriptor: int, data: memoryview) -> None:
    while data.nbytes:
        data = data[os.write(descriptor, data) :]


def _receive_output(connection: Connection) -> Any:
    """Read one message that :func:`_send_output` wrote; EOFError when the worker is gone."""
    if not _RAW_FRAMES:
        return connection.recv()
    descriptor = connection.fileno()
    size, count = _FRAME_HEADER.unpack(_read_exact(descriptor, _FRAME_HEADER.size))
    sizes = struct.unpack(f"<{count}Q", _read_exact(descriptor, count * _BUFFER_SIZE.size))
    data = _read_exact(descriptor, size)
    buffers = [_read_exact(descriptor, buffer_size) for buffer_size in sizes]
    return pickle.loads(data, buffers=buffers)  # noqa: S301 - from our own worker


def _read_exact(descriptor: int, size: int) -> bytearray:
    """Read ``size`` bytes; raise EOFError if the pipe ends first."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    while view.nbytes:
        got = os.readv(descriptor, [view])
        if got == 0:
            raise EOFError("result pipe ended in the middle of a message")
        view = view[got:]
    return buffer


def _exit_with_parent(parent_pid: int) -> None:
    """Make this worker exit once the process that started it is gone.

    A worker blocks reading the job pipe, and a parent killed with SIGKILL never closes
    it, because every worker holds a copy of its write end. A thread that checks the
    parent's process id every ``PARENT_CHECK_SECONDS`` ends the worker instead.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(EXIT_PARENT_GONE)

    # threading.Thread.start would wait until the thread runs. With both cores busy, a
    # worker started second waited 3 to 4 ms for it before its first job.
    _thread.start_new_thread(watch, ())
