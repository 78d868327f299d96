#!/usr/bin/env python3
"""Benchmark shoumi.scanner against ripgrep and Presidio on the labelled corpus.

Generates the corpus with make_corpus.py into a temporary folder, then measures
in the same run:

* shoumi.scanner with 1 and 2 worker processes (library API, findings kept as
  arrays; masks, lines and columns included), precision and recall against truth.tsv;
* ripgrep with a raw pattern of the same shapes (no validation), 1 and 2 threads,
  skipped with a message when ``rg`` is not installed;
* Microsoft Presidio's PatternRecognizer with equivalent patterns and its
  validation hooks left at their defaults, on the first ``--presidio-mb`` MiB only,
  because it is slow.

Usage: python tests/bench/bench_scanner.py [--size-mb 64] [--presidio-mb 4]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
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


def run_shoumi(files: list[Path], workers: int) -> tuple[float, set]:
    from shoumi.scanner import Kind, ScanOptions, scan_paths

    found = set()
    started = time.perf_counter()
    results = list(scan_paths([str(path) for path in files], ScanOptions(workers=workers)))
    elapsed = time.perf_counter() - started
    for result in results:
        name = os.path.basename(result.path)
        for table in result.tables:
            for offset, kind in zip(table.byte_offset.tolist(), table.kind.tolist(), strict=True):
                found.add((name, offset, LABELS.get(Kind(kind).label, Kind(kind).label)))
    return elapsed, found


def run_ripgrep(corpus_dir: Path, threads: int) -> float | None:
    if shutil.which("rg") is None:
        return None
    started = time.perf_counter()
    subprocess.run(
        ["rg", "-j", str(threads), "-o", "-b", "--no-filename", RG_PATTERN, str(corpus_dir)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def run_presidio(files: list[Path], limit_bytes: int) -> tuple[float, list[str], set] | None:
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
    elapsed = 0.0
    for path in files:
        if scanned >= limit_bytes:
            break
        data = path.read_bytes()
        scanned += len(data)
        names.append(path.name)
        text = data.decode("utf-8")
        started = time.perf_counter()
        results = [
            item
            for recognizer in recognizers
            for item in recognizer.analyze(text, recognizer.supported_entities)
        ]
        elapsed += time.perf_counter() - started
        for item in results:
            found.add((path.name, len(text[: item.start].encode("utf-8")), item.entity_type))
    return elapsed, names, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=64, help="corpus size in MiB (default 64)")
    parser.add_argument(
        "--presidio-mb", type=float, default=4, help="MiB that Presidio scans (default 4)"
    )
    parser.add_argument("--keep", help="generate the corpus into this folder and keep it")
    arguments = parser.parse_args()

    work = Path(arguments.keep or tempfile.mkdtemp(prefix="shoumi-bench-"))
    if not (work / "truth.tsv").exists():
        subprocess.run(
            [
                sys.executable,
                str(HERE / "make_corpus.py"),
                "--out",
                str(work),
                "--size-mb",
                str(arguments.size_mb),
            ],
            check=True,
        )
    corpus_dir = work / "corpus"
    files = sorted(corpus_dir.iterdir())
    total = sum(path.stat().st_size for path in files)
    truth = load_truth(work)
    for path in files:  # warm the page cache so every tool reads from memory
        path.read_bytes()

    rows = []
    for workers in (1, 2):
        elapsed, found = run_shoumi(files, workers)
        precision, recall = score(found, truth)
        rows.append(
            (
                f"shoumi.scanner, {workers} worker(s)",
                total,
                elapsed,
                f"{precision:.5f}",
                f"{recall:.5f}",
            )
        )
    for threads in (1, 2):
        elapsed = run_ripgrep(corpus_dir, threads)
        if elapsed is None:
            print("ripgrep not installed (apt-get install ripgrep): skipped", file=sys.stderr)
            break
        rows.append((f"ripgrep -j{threads}, raw pattern", total, elapsed, "-", "-"))
    presidio = run_presidio(files, int(arguments.presidio_mb * (1 << 20)))
    if presidio is None:
        print(
            "presidio-analyzer not installed (pip install -e '.[bench]'): skipped", file=sys.stderr
        )
    else:
        elapsed, names, found = presidio
        scanned = sum((corpus_dir / name).stat().st_size for name in names)
        subset = {row for row in truth if row[0] in set(names)}
        precision, recall = score(found, subset)
        rows.append(
            (
                "Presidio PatternRecognizer, 1 process",
                scanned,
                elapsed,
                f"{precision:.5f}",
                f"{recall:.5f}",
            )
        )

    print(
        f"corpus: {len(files)} files, {total / (1 << 20):.1f} MiB, "
        f"{len(truth)} identifiers ({work})"
    )
    print(
        f"{'tool':40s} {'MiB':>7s} {'seconds':>8s} {'MB/s':>8s} {'precision':>10s} {'recall':>8s}"
    )
    for name, size, elapsed, precision, recall in rows:
        print(
            f"{name:40s} {size / (1 << 20):7.1f} {elapsed:8.2f} "
            f"{size / elapsed / 1e6:8.1f} {precision:>10s} {recall:>8s}"
        )
    if not arguments.keep:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
