"""Run every benchmark script in this folder (``bench_*.py``) with its default arguments.

``make bench`` calls this. Each script runs in its own process, one after another, so
that one benchmark's memory and threads do not disturb the next. The exit status is 1
when any script fails.

Run: ``.venv/bin/python -m tests.bench [NAME ...]``, where a NAME such as ``scanner``
selects ``bench_scanner.py``; with no NAME every script runs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run, e.g. scanner identifiers")
    arguments = parser.parse_args()

    scripts = sorted(HERE.glob("bench_*.py"))
    if arguments.names:
        wanted = {f"bench_{name.removeprefix('bench_')}" for name in arguments.names}
        unknown = wanted - {script.stem for script in scripts}
        if unknown:
            parser.error(f"no benchmark named {', '.join(sorted(unknown))} in {HERE}")
        scripts = [script for script in scripts if script.stem in wanted]

    failed = []
    for script in scripts:
        module = f"tests.bench.{script.stem}"
        print(f"== {module}", flush=True)
        started = time.perf_counter()
        completed = subprocess.run([sys.executable, "-m", module], check=False)  # noqa: S603
        elapsed = time.perf_counter() - started
        if completed.returncode != 0:
            failed.append(script.stem)
            print(f"== {module} failed with exit status {completed.returncode}", flush=True)
        else:
            print(f"== {module} finished in {elapsed:.0f} s", flush=True)
    if failed:
        print(f"failed benchmarks: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
