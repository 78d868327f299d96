#!/usr/bin/env python3
"""Benchmark shoumi.scanner against ripgrep and Presidio on the labelled corpus.

Generates the corpus with make_corpus.py into a temporary folder, then measures
in the same run, in CPU time and in wall-clock time:

* shoumi.scanner with 1 and 2 worker processes (library API, findings kept as
  arrays; masks, lines and columns included), precision and recall against truth.tsv,
  one and two workers taking turns in this process, whose heap is tuned as
  `shoumi scan` tunes its own (``tune_heap``);
* two processes forked from the script, each scanning every other corpus file on its
  own, without the pool: what two processes of the engine reach on the machine;
* the same scans, each in a new Python process as `shoumi scan` runs them, timed from
  the call of scan_paths (so without starting Python and importing the scanner);
* ripgrep with a raw pattern of the same shapes (no validation), 1 and 2 threads,
  skipped with a message when ``rg`` is not installed;
* the speed-up with two workers on a second, larger corpus (``--scale-mb``, 256 MiB by
  default), in new processes and beside ripgrep's, all four runs taken in turn in each
  round, because fixed costs (starting the workers, the last file) weigh less there;
* shoumi.scanner and ripgrep on the same text cut into ``--small-files`` files of 2 to
  50 KB at line ends (the kind of folder staff keep), 1 and 2 workers or threads, shoumi
  in this process and in new processes, without
  precision and recall (tests/scanner/test_batch.py checks that these scans give the
  findings of each file scanned alone);
* Microsoft Presidio's PatternRecognizer with equivalent patterns and its
  validation hooks left at their defaults, on the first ``--presidio-mb`` MiB only,
  because it is slow.

CPU time counts only the cycles a tool itself used (this process, or its child
processes for the worker pool and ripgrep), so other jobs on a shared machine
inflate it far less than wall-clock time. Throughput in MB/s is 10^6 bytes per
CPU second; the speed-up with two workers is necessarily a wall-clock ratio.

Usage: python -m tests.bench.bench_scanner [--size-mb 64] [--presidio-mb 16] [--repeat 5]
       [--small-files 2000] [--scale-mb 256]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELS = {
    "resident_id": "ID_CARD",
    "residence_permit": "ID_CARD",
    "uscc": "USCC",
    "bank_card": "BANK_CARD",
    "mobile": "PHONE",
}
RG_PATTERN = (
    r"[0-9A-Z]{11,19}|1[0-9]{2}[- ][0-9]{4}[- ][0-9]{4}"
    r"|[3-6][0-9]{3}(?: [0-9]{4}){3}(?: [0-9]{1,3})?|[０-９]{11,19}[０-９Ｘ]?"
)
PRESIDIO_PATTERNS = {
    "ID_CARD": r"(?<![0-9A-Za-z])[1-8][0-9]{16}[0-9Xx](?![0-9A-Za-z])",
    "USCC": r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Za-z])",
    "BANK_CARD": r"(?<![0-9A-Za-z])[3-6][0-9]{15,18}(?![0-9A-Za-z])",
    "PHONE": r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])",
}


def load_truth(corpus: Path) -> set[tuple[str, int, str]]:
    truth = set()
    with open(corpus / "truth.tsv", encoding="utf-8") as rows:
        next(rows)
        for row in rows:
            name, _, offset, _, label, *_ = row.split("\t")
            if label != "NONE":
                truth.add((name, int(offset), label))
    return truth


def score(found: set, truth: set) -> tuple[float, float]:
    hits = len(found & truth)
    return hits / max(len(found), 1), hits / max(len(truth), 1)


class Timer:
    """Wall-clock and CPU seconds of a block, CPU time including reaped child processes."""

    def __enter__(self) -> Timer:
        self.wall = time.perf_counter()
        self.cpu = time.process_time() + _children_cpu()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() + _children_cpu() - self.cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_shoumi(files: list[Path], workers: int) -> Timer:
    """Time a scan of the corpus in this process, results kept until the scan ends."""
    from shoumi.scanner import ScanOptions, scan_paths

    with Timer() as timer:
        # The worker pool is closed, and its processes reaped, when scan_paths finishes.
        results = list(scan_paths([str(path) for path in files], ScanOptions(workers=workers)))
    del results
    return timer


def shoumi_findings(files: list[Path], workers: int) -> set[tuple[str, int, str]]:
    """Scan the corpus untimed and return its findings as (file, offset, label)."""
    from shoumi.scanner import Kind, ScanOptions, scan_paths

    found = set()
    for result in scan_paths([str(path) for path in files], ScanOptions(workers=workers)):
        name = os.path.basename(result.path)
        for table in result.tables:
            for offset, kind in zip(table.byte_offset.tolist(), table.kind.tolist(), strict=True):
                found.add((name, offset, LABELS.get(Kind(kind).label, Kind(kind).label)))
    return found


def run_shoumi_halves(files: list[Path]) -> Timer:
    """Time two processes forked from this one, each scanning every other file on its own.

    No pool: no jobs sent, no results received, no parent to share the cores with. What
    two processes of the engine reach on this machine, against which the pool is compared.
    """
    from shoumi.scanner import ScanOptions, scan_paths
    from shoumi.scanner.heap import release_free_memory, tune_heap

    names = [str(path) for path in files]
    release_free_memory()
    with Timer() as timer:
        children = []
        for half in (names[0::2], names[1::2]):
            pid = os.fork()
            if pid == 0:
                status = 1
                try:
                    tune_heap()
                    results = list(scan_paths(half, ScanOptions()))
                    del results
                    status = 0
                finally:
                    os._exit(status)
            children.append(pid)
        statuses = [os.waitpid(pid, 0)[1] for pid in children]
    if any(statuses):
        raise RuntimeError(f"a scanning process failed: wait statuses {statuses}")
    return timer


NEW_PROCESS_SCRIPT = """
import json, resource, sys, time
from shoumi.scanner import ScanOptions, scan_paths
from shoumi.scanner.heap import tune_heap

tune_heap()
workers, paths = int(sys.argv[1]), sys.argv[2:]
children = resource.getrusage(resource.RUSAGE_CHILDREN)
wall, cpu = time.perf_counter(), time.process_time()
results = list(scan_paths(paths, ScanOptions(workers=workers)))
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu += after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
print(json.dumps({"wall": wall, "cpu": cpu, "findings": sum(r.finding_count for r in results)}))
"""


def run_shoumi_new_process(files: list[Path], workers: int) -> Timer:
    """Time one scan in a new Python process, the way the command line runs it."""
    completed = subprocess.run(
        [sys.executable, "-c", NEW_PROCESS_SCRIPT, str(workers), *map(str, files)],
        check=True,
        capture_output=True,
        text=True,
    )
    measured = json.loads(completed.stdout)
    timer = Timer()
    timer.wall, timer.cpu = measured["wall"], measured["cpu"]
    return timer


def run_shoumi_command(corpus_dir: Path, workers: int, report: Path) -> Timer:
    """Time ``shoumi scan --format csv`` as a user runs it: start-up, scan and the report.

    The rows above time the scan alone. The command also formats every finding into the
    report (about 383,000 rows for 64 MiB) in its own process.
    """
    command = [sys.executable, "-m", "shoumi.scanner", str(corpus_dir), "--format", "csv"]
    command += ["--workers", str(workers), "--output", str(report), "--progress", "never"]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    # Exit status 0: no --fail-on kinds were given.
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    timer = Timer()
    timer.wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    timer.cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    return timer


def make_small_files(corpus_dir: Path, out_dir: Path, count: int) -> int:
    """Cut the corpus's text into ``count`` files of 2 to 50 KB at line ends; return bytes."""
    generator = random.Random(7)
    text = b"".join(path.read_bytes() for path in sorted(corpus_dir.iterdir()))
    out_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    for index in range(count):
        start = text.index(b"\n", generator.randrange(0, len(text) - 100_000)) + 1
        end = text.index(b"\n", start + generator.randrange(2_000, 50_000)) + 1
        (out_dir / f"{index:05d}.txt").write_bytes(text[start:end])
        total += end - start
    return total


def run_shoumi_folder(folder: Path, workers: int) -> Timer:
    """Time a scan of a folder, results kept as the command line keeps them."""
    from shoumi.scanner import ScanOptions, scan_paths

    with Timer() as timer:
        results = list(scan_paths([str(folder)], ScanOptions(workers=workers)))
    del results
    return timer


def run_ripgrep(corpus_dir: Path, threads: int) -> Timer | None:
    if shutil.which("rg") is None:
        return None
    with Timer() as timer:
        subprocess.run(
            ["rg", "-j", str(threads), "-o", "-b", "--no-filename", RG_PATTERN, str(corpus_dir)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return timer


def make_corpus(out: Path, size_mb: float) -> None:
    """Generate a labelled corpus of ``size_mb`` MiB into ``out``, unless one is there."""
    if (out / "truth.tsv").exists():
        return
    command = [sys.executable, str(HERE / "make_corpus.py"), "--out", str(out)]
    subprocess.run([*command, "--size-mb", str(size_mb)], check=True)


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Return the corpus files, read once so that every tool reads them from memory."""
    files = sorted(corpus_dir.iterdir())
    for path in files:
        path.read_bytes()
    return files


@dataclass
class ScaleRuns:
    """Runs on the larger corpus: one and two workers in new processes, ripgrep -j1 and -j2."""

    total: int
    shoumi: dict[int, list[Timer]]
    ripgrep: dict[int, list[Timer]]

    @property
    def rows(self) -> list[tuple[str, int, Timer, str, str]]:
        rows = [
            (
                f"shoumi.scanner, {workers} worker(s), large, new proc.",
                self.total,
                best(runs),
                "-",
                "-",
            )
            for workers, runs in self.shoumi.items()
        ]
        rows.extend(
            (f"ripgrep -j{threads}, large corpus", self.total, best(runs), "-", "-")
            for threads, runs in self.ripgrep.items()
            if runs
        )
        return rows

    def print_speed_ups(self) -> None:
        """Print the median speed-up over the rounds, whose runs share the machine's state."""
        size = f"{self.total / (1 << 20):.0f} MiB"
        rounds = [
            one.wall / two.wall for one, two in zip(self.shoumi[1], self.shoumi[2], strict=True)
        ]
        listed = ", ".join(f"{ratio:.2f}" for ratio in rounds)
        print(
            f"{size}, 2 workers, new process per scan: median speed-up "
            f"{statistics.median(rounds):.2f}x (rounds {listed})"
        )
        if self.ripgrep[1]:
            ripgrep = [one.wall / two.wall for one, two in zip(*self.ripgrep.values(), strict=True)]
            print(f"{size}, ripgrep -j2: median speed-up {statistics.median(ripgrep):.2f}x")


def run_scale(work: Path, size_mb: float, repeat: int) -> ScaleRuns:
    """Time one and two workers (new processes) and ripgrep on a corpus of ``size_mb`` MiB."""
    make_corpus(work, size_mb)
    corpus_dir = work / "corpus"
    files = corpus_files(corpus_dir)
    runs = ScaleRuns(sum(path.stat().st_size for path in files), {1: [], 2: []}, {1: [], 2: []})
    has_ripgrep = shutil.which("rg") is not None
    for _ in range(repeat):
        for workers in (1, 2):
            runs.shoumi[workers].append(run_shoumi_new_process(files, workers))
        for threads in (1, 2):
            timer = run_ripgrep(corpus_dir, threads) if has_ripgrep else None
            if timer is not None:
                runs.ripgrep[threads].append(timer)
    return runs


def best(runs: list[Timer]) -> Timer:
    """Return the run with the least CPU time, the one other jobs disturbed least."""
    return min(runs, key=lambda timer: timer.cpu)


def run_presidio(files: list[Path], limit_bytes: int) -> tuple[Timer, list[str], set] | None:
    try:
        from presidio_analyzer import Pattern, PatternRecognizer
    except ImportError:
        return None
    recognizers = [
        PatternRecognizer(supported_entity=label, patterns=[Pattern(label, regex, 0.5)])
        for label, regex in PRESIDIO_PATTERNS.items()
    ]
    found = set()
    scanned = 0
    names = []
    timer = Timer()
    timer.wall = timer.cpu = 0.0
    for path in files:
        if scanned >= limit_bytes:
            break
        data = path.read_bytes()
        scanned += len(data)
        names.append(path.name)
        text = data.decode("utf-8")
        with Timer() as one:
            results = [
                item
                for recognizer in recognizers
                for item in recognizer.analyze(text, recognizer.supported_entities)
            ]
        timer.wall += one.wall
        timer.cpu += one.cpu
        for item in results:
            found.add((path.name, len(text[: item.start].encode("utf-8")), item.entity_type))
    return timer, names, found


def print_ratios(
    rows: list[tuple[str, int, Timer, str, str]], shoumi_runs: tuple[list[Timer], list[Timer]]
) -> None:
    """Print the ratios that the targets are stated in, from the rows of this run.

    ``shoumi_runs`` contains the runs with one and with two workers, in the order they ran.
    """
    rates = {name: size / timer.cpu for name, size, timer, _, _ in rows}
    timers = {name: timer for name, _, timer, _, _ in rows}
    one = timers["shoumi.scanner, 1 worker(s)"]
    two = timers["shoumi.scanner, 2 worker(s)"]
    print(f"shoumi, 1 worker: {rates['shoumi.scanner, 1 worker(s)'] / 1e6:.1f} MB/s per CPU second")
    speed_up = one.wall / two.wall
    print(f"2 workers: wall-clock speed-up {speed_up:.2f}x, CPU time {two.cpu / one.cpu:.2f}x")
    rounds = [f"{first.wall / second.wall:.2f}" for first, second in zip(*shoumi_runs, strict=True)]
    print(f"2 workers: speed-up per round (one run each, taken in turn): {', '.join(rounds)}")
    halves = timers["shoumi.scanner, 2 processes, half each"]
    print(
        f"2 processes, half the files each, no pool: speed-up {one.wall / halves.wall:.2f}x; "
        f"2 workers take {two.wall / halves.wall:.2f}x their wall-clock time"
    )
    new_one = timers["shoumi.scanner, 1 worker(s), new process"]
    new_two = timers["shoumi.scanner, 2 worker(s), new process"]
    print(
        f"2 workers, new process per scan: wall-clock speed-up {new_one.wall / new_two.wall:.2f}x, "
        f"CPU time {new_two.cpu / new_one.cpu:.2f}x"
    )
    command_one = timers["shoumi scan --format csv, 1 worker(s)"]
    command_two = timers["shoumi scan --format csv, 2 worker(s)"]
    print(
        f"shoumi scan command with the CSV report, 2 workers: wall-clock speed-up "
        f"{command_one.wall / command_two.wall:.2f}x, "
        f"CPU time {command_two.cpu / command_one.cpu:.2f}x"
    )
    ripgrep = timers.get("ripgrep -j1, raw pattern")
    if ripgrep is not None:
        print(f"shoumi / ripgrep -j1 CPU time: {one.cpu / ripgrep.cpu:.2f}x (target at most 2)")
    small_one = timers.get("shoumi.scanner, 1 worker(s), small files")
    small_two = timers.get("shoumi.scanner, 2 worker(s), small files")
    if small_one is not None and small_two is not None:
        print(
            f"small files, 2 workers: wall-clock speed-up {small_one.wall / small_two.wall:.2f}x, "
            f"CPU time {small_two.cpu / small_one.cpu:.2f}x"
        )
    small_new_one = timers.get("shoumi.scanner, 1 worker(s), small, new proc.")
    small_new_two = timers.get("shoumi.scanner, 2 worker(s), small, new proc.")
    if small_new_one is not None and small_new_two is not None:
        print(
            "small files, 2 workers, new process per scan: wall-clock speed-up "
            f"{small_new_one.wall / small_new_two.wall:.2f}x, "
            f"CPU time {small_new_two.cpu / small_new_one.cpu:.2f}x"
        )
    small_ripgrep = timers.get("ripgrep -j1, small files")
    if small_one is not None and small_ripgrep is not None:
        print(
            f"small files, shoumi / ripgrep -j1 CPU time: {small_one.cpu / small_ripgrep.cpu:.2f}x"
        )
    presidio = rates.get("Presidio PatternRecognizer, 1 process")
    if presidio is not None:
        ratio = rates["shoumi.scanner, 1 worker(s)"] / presidio
        print(f"shoumi / Presidio throughput: {ratio:.1f}x (target at least 25)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=64, help="corpus size in MiB (default 64)")
    parser.add_argument(
        "--presidio-mb",
        type=float,
        default=16,
        help="MiB that Presidio scans (default 16: one corpus file of each format; 0 skips it)",
    )
    parser.add_argument("--keep", help="generate the corpus into this folder and keep it")
    parser.add_argument(
        "--scale-mb",
        type=float,
        default=256,
        help="MiB of the larger corpus for the speed-up with two workers (default 256; 0 skips it)",
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs per tool; the least CPU time counts"
    )
    parser.add_argument(
        "--small-files",
        type=int,
        default=2000,
        help="small files to cut the corpus into (default 2000; 0 skips them)",
    )
    arguments = parser.parse_args()

    work = Path(arguments.keep or tempfile.mkdtemp(prefix="shoumi-bench-"))
    make_corpus(work, arguments.size_mb)
    corpus_dir = work / "corpus"
    files = corpus_files(corpus_dir)
    total = sum(path.stat().st_size for path in files)
    from shoumi.scanner.heap import tune_heap

    tune_heap()

    rows: list[tuple[str, int, Timer, str, str]] = []
    # One and two workers take turns, so that a slow spell of a shared machine slows
    # both rather than only the runs of one of them.
    shoumi_runs: dict[int, list[Timer]] = {1: [], 2: []}
    halves_runs: list[Timer] = []
    for _ in range(arguments.repeat):
        for workers in (1, 2):
            shoumi_runs[workers].append(run_shoumi(files, workers))
        halves_runs.append(run_shoumi_halves(files))
    rows.append(("shoumi.scanner, 2 processes, half each", total, best(halves_runs), "-", "-"))
    new_process_runs: dict[int, list[Timer]] = {1: [], 2: []}
    for _ in range(arguments.repeat):
        for workers in (1, 2):
            new_process_runs[workers].append(run_shoumi_new_process(files, workers))
    for workers in (1, 2):
        rows.append(
            (
                f"shoumi.scanner, {workers} worker(s), new process",
                total,
                best(new_process_runs[workers]),
                "-",
                "-",
            )
        )
    command_runs: dict[int, list[Timer]] = {1: [], 2: []}
    report = work / "report.csv"
    for _ in range(arguments.repeat):
        for workers in (1, 2):
            command_runs[workers].append(run_shoumi_command(corpus_dir, workers, report))
    report.unlink()
    for workers in (1, 2):
        name = f"shoumi scan --format csv, {workers} worker(s)"
        rows.append((name, total, best(command_runs[workers]), "-", "-"))
    for threads in (1, 2):
        if shutil.which("rg") is None:
            print("ripgrep not installed (apt-get install ripgrep): skipped", file=sys.stderr)
            break
        runs = [run_ripgrep(corpus_dir, threads) for _ in range(arguments.repeat)]
        rows.append((f"ripgrep -j{threads}, raw pattern", total, best(runs), "-", "-"))
    if arguments.small_files > 0:
        small_dir = work / "small"
        if small_dir.exists():
            shutil.rmtree(small_dir)
        small_total = make_small_files(corpus_dir, small_dir, arguments.small_files)
        small_runs: dict[int, list[Timer]] = {1: [], 2: []}
        for _ in range(arguments.repeat):
            for workers in (1, 2):
                small_runs[workers].append(run_shoumi_folder(small_dir, workers))
        for workers in (1, 2):
            name = f"shoumi.scanner, {workers} worker(s), small files"
            rows.append((name, small_total, best(small_runs[workers]), "-", "-"))
        small_new_runs: dict[int, list[Timer]] = {1: [], 2: []}
        for _ in range(arguments.repeat):
            for workers in (1, 2):
                small_new_runs[workers].append(run_shoumi_new_process([small_dir], workers))
        for workers in (1, 2):
            name = f"shoumi.scanner, {workers} worker(s), small, new proc."
            rows.append((name, small_total, best(small_new_runs[workers]), "-", "-"))
        for threads in (1, 2):
            if shutil.which("rg") is None:
                break
            runs = [run_ripgrep(small_dir, threads) for _ in range(arguments.repeat)]
            rows.append((f"ripgrep -j{threads}, small files", small_total, best(runs), "-", "-"))
    scale = None
    if arguments.scale_mb > 0:
        scale = run_scale(work / "scale", arguments.scale_mb, arguments.repeat)
        rows.extend(scale.rows)
    # Scored once all shoumi runs are timed. The truth and a set of findings take about
    # 150 MB each for the 256 MiB corpus. Workers forked from this process while it held
    # them used 1.79 s of CPU time on that corpus, against 1.56 s in new processes.
    truth = load_truth(work)
    scored = []
    for workers in (1, 2):
        precision, recall = score(shoumi_findings(files, workers), truth)
        name = f"shoumi.scanner, {workers} worker(s)"
        timer = best(shoumi_runs[workers])
        scored.append((name, total, timer, f"{precision:.5f}", f"{recall:.5f}"))
    rows[0:0] = scored
    presidio = None
    if arguments.presidio_mb <= 0:
        print("--presidio-mb 0: Presidio skipped", file=sys.stderr)
    else:
        presidio = run_presidio(files, int(arguments.presidio_mb * (1 << 20)))
        if presidio is None:
            print(
                "presidio-analyzer not installed (pip install -e '.[bench]'): skipped",
                file=sys.stderr,
            )
    if presidio is not None:
        timer, names, found = presidio
        scanned = sum((corpus_dir / name).stat().st_size for name in names)
        subset = {row for row in truth if row[0] in set(names)}
        precision, recall = score(found, subset)
        rows.append(
            (
                "Presidio PatternRecognizer, 1 process",
                scanned,
                timer,
                f"{precision:.5f}",
                f"{recall:.5f}",
            )
        )

    print(
        f"corpus: {len(files)} files, {total / (1 << 20):.1f} MiB, "
        f"{len(truth)} identifiers ({work})"
    )
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    print(
        f"{'tool':40s} {'MiB':>6s} {'CPU s':>7s} {'wall s':>7s} {'MB/s CPU':>9s} "
        f"{'MB/s wall':>9s} {'precision':>10s} {'recall':>8s}"
    )
    for name, size, timer, precision, recall in rows:
        print(
            f"{name:40s} {size / (1 << 20):6.1f} {timer.cpu:7.2f} {timer.wall:7.2f} "
            f"{size / timer.cpu / 1e6:9.1f} {size / timer.wall / 1e6:9.1f} "
            f"{precision:>10s} {recall:>8s}"
        )
    print_ratios(rows, (shoumi_runs[1], shoumi_runs[2]))
    if scale is not None:
        scale.print_speed_ups()
    if not arguments.keep:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
