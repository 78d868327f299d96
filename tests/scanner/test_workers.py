"""Worker processes of a parallel scan end with the process that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.scanner.helpers import is_running

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")

# Starts a two-worker scan whose parent is slow to take results, prints the workers'
# process ids once both have started, and keeps scanning until it is killed.
SCRIPT = """
import os, sys, time
from shoumi.scanner import ScanOptions, scan_paths

def children():
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                pids.append(int(entry))
    return pids

printed = False
for result in scan_paths([sys.argv[1]], ScanOptions(workers=2)):
    if not printed and len(children()) >= 2:
        print(" ".join(map(str, children())), flush=True)
        printed = True
    time.sleep(0.5)
"""


def test_workers_exit_when_the_parent_is_killed(tmp_path):
    # Enough files for more batches than the jobs in flight: a worker that finds no job
    # left after the last one exits by itself.
    for number in range(400):
        (tmp_path / f"note-{number:03d}.txt").write_text("客户备注\n" * 50, encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    parent = subprocess.Popen(  # noqa: S603 - fixed command, no user input
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
    )
    workers: list[int] = []
    try:
        line = parent.stdout.readline()
        workers = [int(pid) for pid in line.split()]
        assert len(workers) >= 2, line
        assert all(is_running(pid) for pid in workers)

        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(is_running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)

        assert [pid for pid in workers if is_running(pid)] == []
    finally:
        # A failed run must not leave workers behind.
        for pid in workers:
            if is_running(pid):
                os.kill(pid, signal.SIGKILL)
        parent.kill()
        parent.wait(timeout=10)
        parent.stdout.close()
