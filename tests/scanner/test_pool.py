"""The worker pool of parallel scans: every output once, failures raised, workers stopped."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pytest

from shoumi.scanner import pool as pool_module
from shoumi.scanner.pool import WorkerPool
from tests.scanner.helpers import IS_GLIBC, is_running, last_line_of_python, refaults

pytestmark = pytest.mark.skipif(os.name == "nt", reason="workers are forked on POSIX only")


class JobFailedError(Exception):
    pass


class UnpicklableError(Exception):
    def __reduce__(self):
        raise TypeError("this exception cannot be pickled")


def echo(job):
    return job


def large_output(job):
    # About 3 MB pickled, more than a result pipe's capacity, so the worker blocks until the
    # parent reads.
    return job, bytes([job % 256]) * 3_000_000


def fail_on_three(job):
    if job == 3:
        raise JobFailedError(f"job {job} failed")
    return job


def fail_unpicklable(job):
    raise UnpicklableError("no pickle")


def die_on_two(job):
    if job == 2:
        os._exit(7)
    return job


def report_pid(job):
    return os.getpid()


def sleep_then_pid(seconds):
    time.sleep(seconds)
    return os.getpid()


class RecordingPool(WorkerPool):
    """A pool that records the bytes of unfinished jobs each time it waits for results."""

    def __init__(self, workers, task):
        super().__init__(workers, task)
        self.unfinished: list[int] = []

    def _receive(self):
        self.unfinished.append(sum(self._pending.values()))
        yield from super()._receive()


def test_every_output_arrives_once():
    with WorkerPool(3, echo) as pool:
        outputs = list(pool.run(iter(range(500))))

    assert sorted(outputs) == list(range(500))


def test_outputs_larger_than_pipe_arrive_whole():
    with WorkerPool(2, large_output) as pool:
        outputs = dict(pool.run(iter(range(12))))

    assert sorted(outputs) == list(range(12))
    for job, data in outputs.items():
        assert len(data) == 3_000_000
        assert data.count(job % 256) == 3_000_000


def test_jobs_are_shared_by_workers():
    with WorkerPool(2, sleep_then_pid) as pool:
        pids = list(pool.run(iter([0.2] * 6)))

    assert len(set(pids)) == 2
    assert os.getpid() not in pids


def test_job_exception_is_raised_in_parent():
    with WorkerPool(2, fail_on_three) as pool, pytest.raises(JobFailedError) as raised:
        list(pool.run(iter(range(10))))

    assert str(raised.value) == "job 3 failed"
    assert "fail_on_three" in str(raised.value.__cause__)


def test_unpicklable_exception_becomes_runtime_error():
    with WorkerPool(1, fail_unpicklable) as pool, pytest.raises(RuntimeError) as raised:
        list(pool.run(iter([1])))

    assert "UnpicklableError in a scan worker" in str(raised.value)
    assert "fail_unpicklable" in str(raised.value.__cause__)


def test_dead_worker_raises_broken_pool():
    with WorkerPool(2, die_on_two) as pool, pytest.raises(BrokenProcessPool) as raised:
        list(pool.run(iter(range(10))))

    assert "exit code 7" in str(raised.value)


def test_workers_end_after_close():
    with WorkerPool(2, report_pid) as pool:
        pids = set(pool.run(iter(range(20))))

    assert len(pids) >= 1
    assert all(not is_running(pid) for pid in pids)


def test_early_stop_terminates_busy_workers():
    pool = WorkerPool(2, sleep_then_pid)
    outputs = pool.run(iter([0.05] + [30.0] * 4))
    first = next(outputs)
    started = time.monotonic()
    outputs.close()
    pool.close()

    assert time.monotonic() - started < 10
    assert not is_running(first)


def test_idle_worker_exits_before_others_finish():
    with WorkerPool(2, sleep_then_pid) as pool:
        outputs = pool.run(iter([0.05, 3.0]))
        quick = next(outputs)
        deadline = time.monotonic() + 2
        while is_running(quick) and time.monotonic() < deadline:
            time.sleep(0.02)
        exited_early = not is_running(quick)
        rest = list(outputs)

    assert exited_early
    assert len(rest) == 1
    assert rest[0] != quick


def test_none_is_a_job():
    with WorkerPool(2, echo) as pool:
        outputs = list(pool.run(iter([1, None, 2])))

    assert sorted(outputs, key=str) == [1, 2, None]


def test_run_twice_is_refused():
    with WorkerPool(1, echo) as pool:
        assert list(pool.run(iter([1, 2]))) == [1, 2]
        with pytest.raises(RuntimeError):
            list(pool.run(iter([3])))


def test_stopped_worker_is_not_reported_broken():
    # Many short jobs for more workers than needed: workers stop at different times,
    # their stop notices interleaved with other workers' results.
    with WorkerPool(4, echo) as pool:
        outputs = list(pool.run(iter(range(7))))

    assert sorted(outputs) == list(range(7))


def test_worker_ignores_ctrl_c():
    with WorkerPool(1, sleep_then_pid) as pool:
        [pid] = [process.pid for process in pool._processes.values()]
        # Sent while the first job sleeps: Ctrl-C in a terminal reaches the whole process
        # group, and only the parent is to stop the scan.
        timer = threading.Timer(0.2, os.kill, (pid, signal.SIGINT))
        timer.start()
        results = list(pool.run(iter([0.6, 0.01])))
        timer.join()

    assert results == [pid, pid]


def test_unfinished_job_bytes_stay_below_limit(monkeypatch):
    monkeypatch.setattr(pool_module, "MAX_JOB_BYTES", 2048)
    with RecordingPool(2, echo) as pool:
        outputs = list(pool.run(iter(["x" * 900] * 40)))

    assert len(outputs) == 40
    assert max(pool.unfinished) <= 2048
    assert max(pool.unfinished) > 900


def test_job_limit_follows_pipe_size(monkeypatch):
    monkeypatch.setattr(pool_module, "_pipe_size", lambda connection: 4096)
    with RecordingPool(2, echo) as pool:
        outputs = list(pool.run(iter(["x" * 900] * 40)))

    assert len(outputs) == 40
    assert max(pool.unfinished) <= 2048


@pytest.mark.skipif(not hasattr(fcntl, "F_SETPIPE_SZ"), reason="pipe sizes are set on Linux only")
def test_result_pipe_is_widened():
    reader, writer = multiprocessing.Pipe(duplex=False)
    try:
        default = pool_module._pipe_size(writer)
        pool_module._widen(writer)

        assert default == 65536
        assert pool_module._pipe_size(writer) == pool_module.RESULT_PIPE_BYTES
    finally:
        reader.close()
        writer.close()


def test_failed_start_raises_original_error(monkeypatch):
    started: list[int] = []
    original_start = multiprocessing.context.ForkProcess.start

    def start_once(process):
        if started:
            raise OSError(24, "Too many open files")
        original_start(process)
        started.append(process.pid)

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", start_once)

    with pytest.raises(OSError, match="Too many open files"):
        WorkerPool(3, echo)

    assert len(started) == 1
    assert not is_running(started[0])


def _send_partial_message(task, jobs, lock, results, parent_pid):
    with lock:
        jobs.recv_bytes()
    # A frame announcing a pickle of 1,000 bytes and a buffer of 4,096, then 10 bytes: the
    # worker dies mid-message.
    header = pool_module._FRAME_HEADER.pack(1000, 1) + pool_module._BUFFER_SIZE.pack(4096)
    os.write(results.fileno(), header + b"x" * 10)
    os._exit(9)


def test_worker_dying_mid_message_raises_broken_pool(monkeypatch):
    monkeypatch.setattr(pool_module, "_work", _send_partial_message)

    with WorkerPool(1, echo) as pool, pytest.raises(BrokenProcessPool) as raised:
        list(pool.run(iter([1])))

    assert "exit code 9" in str(raised.value)


def _work_after_delay(*arguments):
    # The SIGINT of the test below arrives during this sleep, before the worker sets
    # SIGINT aside.
    time.sleep(0.3)
    _real_work(*arguments)


_real_work = pool_module._work


def test_ctrl_c_at_worker_start_spares_workers(monkeypatch, capfd):
    original_start = WorkerPool._start_worker

    def start_and_interrupt(self, *arguments):
        original_start(self, *arguments)
        newest = list(self._processes.values())[-1]
        time.sleep(0.1)
        os.kill(newest.pid, signal.SIGINT)

    monkeypatch.setattr(pool_module, "_work", _work_after_delay)
    monkeypatch.setattr(WorkerPool, "_start_worker", start_and_interrupt)

    with WorkerPool(2, sleep_then_pid) as pool:
        pids = set(pool.run(iter([0.2] * 4)))

    assert len(pids) == 2
    assert "KeyboardInterrupt" not in capfd.readouterr().err


@pytest.fixture
def sigint_raises():
    """Make SIGINT raise KeyboardInterrupt, as in a terminal, for the test.

    A process started with SIGINT ignored, as a shell starts background jobs, keeps it
    ignored, and the signal sent below would then do nothing.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_during_start_stops_pool(monkeypatch, sigint_raises):
    workers: list[int] = []
    original_start = WorkerPool._start_worker

    def interrupt_then_start(self, *arguments):
        if not workers:
            # To this thread: a signal sent to the process may reach another thread of
            # the test run, which does not block it.
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        original_start(self, *arguments)
        workers.append(list(self._processes.values())[-1].pid)

    monkeypatch.setattr(WorkerPool, "_start_worker", interrupt_then_start)

    with pytest.raises(KeyboardInterrupt):
        WorkerPool(2, echo)

    # The interrupt waited until both workers had started, then stopped them.
    assert len(workers) == 2
    assert all(not is_running(pid) for pid in workers)
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())


def test_ctrl_c_while_blocking_leaves_sigint_unblocked(monkeypatch):
    real_mask = signal.pthread_sigmask

    def mask_then_interrupt(how, mask):
        previous = real_mask(how, mask)
        if how == signal.SIG_BLOCK and signal.SIGINT in mask:
            # As if a Ctrl-C that came just before were raised right after the call.
            raise KeyboardInterrupt
        return previous

    monkeypatch.setattr(signal, "pthread_sigmask", mask_then_interrupt)

    with pytest.raises(KeyboardInterrupt):
        WorkerPool(2, echo)

    assert signal.SIGINT not in real_mask(signal.SIG_BLOCK, set())


def array_output(job):
    # Out-of-band buffers (large and contiguous), in-band ones (small, or not contiguous)
    # and a bytearray, in one output.
    large = np.arange(job * 100_000, dtype=np.int64)
    return {
        "large": large,
        "strided": large[::3],
        "small": np.arange(10, dtype=np.uint16),
        "masks": np.array([b"138****8000"] * 50_000),
        "raw": bytearray(b"\x01" * 70_000),
    }


@pytest.mark.skipif(not pool_module._RAW_FRAMES, reason="raw result frames are POSIX only")
def test_arrays_arrive_whole_through_raw_frames():
    with WorkerPool(2, array_output) as pool:
        outputs = sorted(pool.run(iter([1, 5, 2])), key=lambda output: len(output["large"]))

    for job, output in zip([1, 2, 5], outputs, strict=True):
        expected = np.arange(job * 100_000, dtype=np.int64)
        assert output["large"].dtype == np.int64
        np.testing.assert_array_equal(output["large"], expected)
        np.testing.assert_array_equal(output["strided"], expected[::3])
        np.testing.assert_array_equal(output["small"], np.arange(10, dtype=np.uint16))
        assert output["masks"].tolist() == [b"138****8000"] * 50_000
        assert output["raw"] == bytearray(b"\x01" * 70_000)
        # The parent may add to what it received: the buffers are its own, so an array that
        # was writable in the worker arrives writable.
        output["large"] += 1


@pytest.mark.skipif(not pool_module._RAW_FRAMES, reason="raw result frames are POSIX only")
def test_large_buffers_travel_once(monkeypatch):
    sent: list[int] = []
    real_write = pool_module._write_all

    def counting_write(descriptor, data):
        sent.append(data.nbytes)
        real_write(descriptor, data)

    reader, writer = multiprocessing.Pipe(duplex=False)
    monkeypatch.setattr(pool_module, "_write_all", counting_write)
    try:
        message = (7, np.arange(200_000, dtype=np.int64))
        sender = threading.Thread(target=pool_module._send_output, args=(writer, message))
        sender.start()
        number, received = pool_module._receive_output(reader)
        sender.join()
    finally:
        reader.close()
        writer.close()

    assert number == 7
    np.testing.assert_array_equal(received, message[1])
    # The array's 1.6 MB are written from the array itself, after a small pickle.
    assert sent[1:] == [1_600_000]
    assert sent[0] < 1_000


@pytest.mark.skipif(not IS_GLIBC, reason="the heap is tuned with glibc's mallopt only")
@pytest.mark.parametrize("size", [1 << 20, 4 << 20, 16 << 20])
def test_worker_reuses_freed_memory(size):
    # Without the tuning, glibc gave the memory back on free and each 4 KiB page faulted in
    # again: about 1,000 faults for 1 MiB arrays, 2,000 for 4 MiB and 16 MiB ones.
    pages = 4 * size // 4096
    with WorkerPool(1, refaults) as pool:
        (faults,) = pool.run(iter([size]))
    assert faults < pages // 20


def _resident_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(
    not IS_GLIBC or not os.path.exists("/proc/self/statm"), reason="glibc on Linux only"
)
def test_pool_trims_heap_before_forking():
    # The heap keeps freed memory, as `shoumi scan` makes it do.
    script = (
        "import numpy as np\n"
        "from shoumi.scanner.heap import tune_heap\n"
        "from shoumi.scanner.pool import WorkerPool\n"
        "from tests.scanner.test_pool import _resident_bytes, echo\n"
        "tune_heap()\n"
        "arrays = [np.ones(1 << 20, dtype=np.uint8) for _ in range(64)]\n"
        "del arrays\n"
        "kept = _resident_bytes()\n"
        "with WorkerPool(1, echo) as pool:\n"
        "    print(kept - _resident_bytes())\n"
    )
    # 64 MiB were freed; without malloc_trim the process kept them all.
    assert int(last_line_of_python(script)) > 48 << 20
