"""Synthetic identifiers with computed check characters, and process checks, for scanner tests."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import numpy as np

from shoumi.identifiers.checksums import mod_11_2, uscc_check


def resident_id(area: str = "320106", birth: str = "19780923", sequence: str = "041") -> str:
    body = area + birth + sequence
    return body + mod_11_2(body)


def uscc(body: str = "91350100M000100Y4") -> str:
    return body + uscc_check(body)


def bank_card(body: str = "622202123456789012") -> str:
    for digit in "0123456789":
        candidate = body + digit
        total = 0
        for index, char in enumerate(reversed(candidate)):
            value = int(char)
            if index % 2:
                value = value * 2 - 9 if value > 4 else value * 2
            total += value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable: one digit always completes a Luhn number")


def wrong_check(value: str) -> str:
    """Return ``value`` with its last character changed, so its check fails."""
    return value[:-1] + ("1" if value[-1] != "1" else "2")


def is_running(pid: int) -> bool:
    """Return whether process ``pid`` runs (Linux /proc); a zombie only waits to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# Whether the C library is glibc, whose heap shoumi.scanner.heap tunes.
IS_GLIBC = hasattr(os, "confstr") and "glibc" in (os.confstr("CS_GNU_LIBC_VERSION") or "")


def refaults(size: int) -> int:
    """Allocate and free four arrays of ``size`` bytes twice, as a scan job does; return the
    page faults of the second time."""

    def job() -> None:
        arrays = [np.ones(size, dtype=np.uint8) for _ in range(4)]
        del arrays

    job()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    job()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def last_line_of_python(script: str, *arguments: str) -> str:
    """Run ``script`` in a new Python process with this one's import path; return the last
    line it printed. Heap settings that other tests made in this process do not apply there."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    completed = subprocess.run(  # noqa: S603 - fixed command, no user input
        [sys.executable, "-c", script, *arguments],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=60,
    )
    return completed.stdout.strip().splitlines()[-1]
