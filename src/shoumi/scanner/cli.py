"""The ``shoumi scan`` command: find plaintext personal data in files and folders."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import time
import traceback
from concurrent.futures.process import BrokenProcessPool
from typing import TextIO

from shoumi.scanner.heap import tune_heap
from shoumi.scanner.kinds import Confidence, Kind
from shoumi.scanner.model import FileResult, ScanOptions
from shoumi.scanner.report import build_report, render_table, write_csv, write_json
from shoumi.scanner.scan import scan_paths

EXIT_OK = 0
EXIT_FOUND = 1
EXIT_USAGE = 2
# The scan did not finish, so no report was written.
EXIT_FAILED = 3
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    kinds = ", ".join(kind.label for kind in Kind)
    parser = argparse.ArgumentParser(
        prog="shoumi scan",
        description="扫描文件和文件夹中的明文个人信息（身份证号、统一社会信用代码、银行卡号、手机号等）。"
        " 输出只包含脱敏值。",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to scan")
    parser.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="output format (default: table)",
    )
    parser.add_argument(
        "--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout"
    )
    parser.add_argument(
        "--fail-on",
        metavar="KIND,...",
        default="",
        help=f"exit with status 1 if any of these kinds is found; kinds: {kinds}, or 'any'",
    )
    parser.add_argument(
        "--workers", "-j", type=int, default=1, help="worker processes (default: 1)"
    )
    parser.add_argument(
        "--min-confidence",
        choices=("low", "medium", "high"),
        default="low",
        help="report only findings with at least this confidence (default: low)",
    )
    parser.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="scan what symbolic links inside folders point to (default: list them as not scanned)",
    )
    parser.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="progress bar on stderr: auto draws it when stderr is a terminal",
    )
    return parser


def parse_kinds(value: str) -> frozenset[Kind]:
    """Parse a comma-separated list of kind labels; ``any`` means every kind."""
    labels = [label for label in value.split(",") if label.strip()]
    if any(label.strip().lower() == "any" for label in labels):
        return frozenset(Kind)
    return frozenset(Kind.from_label(label) for label in labels)


class Progress:
    """A one-line progress display on stderr: files, bytes and findings so far."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self.files = 0
        self.bytes = 0
        self.findings = 0
        self.last_drawn = 0.0

    def update(self, result: FileResult) -> None:
        self.files += 1
        self.bytes += result.size
        self.findings += result.finding_count
        now = time.monotonic()
        if self.enabled and now - self.last_drawn >= 0.1:
            self.last_drawn = now
            self._draw()

    def _draw(self) -> None:
        megabytes = self.bytes / (1 << 20)
        spinner = "|/-\\"[self.files % 4]
        self.stream.write(
            f"\r{spinner} 扫描中：{self.files} 个文件，{megabytes:,.1f} MiB，"
            f"发现 {self.findings} 处\033[K"
        )
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()


def _write_report(report: dict, output_format: str, path: str | None) -> None:
    output = open(path, "w", encoding="utf-8", newline="") if path else sys.stdout
    try:
        if output_format == "json":
            write_json(report, output)
        elif output_format == "csv":
            write_csv(report, output)
        else:
            output.write(render_table(report))
        # A closed pipe raises BrokenPipeError here, not in the flush at exit.
        output.flush()
    finally:
        if output is not sys.stdout:
            output.close()


def main(argv: list[str] | None = None) -> int:
    """Run ``shoumi scan`` and return its exit status.

    0: no kind named by ``--fail-on`` was found; 1: one was; 2: usage error; 3: a worker
    process died or an internal error stopped the scan, so it is incomplete; 130:
    interrupted with Ctrl-C.
    """
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        fail_on = parse_kinds(arguments.fail_on)
    except ValueError as error:
        parser.error(str(error))
    if arguments.workers < 1:
        parser.error("--workers must be at least 1")
    options = ScanOptions(
        workers=arguments.workers,
        min_confidence=Confidence.from_label(arguments.min_confidence),
        follow_symlinks=arguments.follow_symlinks,
    )
    show_progress = arguments.progress == "always" or (
        arguments.progress == "auto" and sys.stderr.isatty()
    )
    progress = Progress(sys.stderr, show_progress)

    # This process scans when --workers is 1, and collects the results either way.
    tune_heap()
    started_at = dt.datetime.now(dt.UTC)
    try:
        results = list(scan_paths(arguments.paths, options, on_result=progress.update))
    except KeyboardInterrupt:
        progress.close()
        sys.stderr.write("扫描已中断，没有输出报告。\n")
        return EXIT_INTERRUPTED
    except BrokenProcessPool:
        progress.close()
        sys.stderr.write(
            "有扫描进程意外退出（可能被终止或内存不足），扫描没有完成，没有输出报告。请重新扫描；"
            "若再次出现，请减少 --workers。\n"
        )
        return EXIT_FAILED
    except Exception as error:  # noqa: BLE001 - reported without its message (see below)
        progress.close()
        # The message may contain a file's name, and with it an identifier, so only the
        # error's type and the code lines where it was raised are printed.
        sys.stderr.write(
            f"扫描因内部错误（{type(error).__name__}）没有完成，没有输出报告。错误信息可能含有文件名，"
            "因此只列出出错的代码位置；请把以下内容提供给维护人员：\n"
        )
        sys.stderr.write("".join(traceback.format_tb(error.__traceback__)))
        return EXIT_FAILED
    progress.close()
    try:
        report = build_report(results, started_at=started_at, finished_at=dt.datetime.now(dt.UTC))
    except KeyboardInterrupt:
        sys.stderr.write("生成报告时已中断，没有输出报告。\n")
        return EXIT_INTERRUPTED
    try:
        _write_report(report, arguments.format, arguments.output)
    except KeyboardInterrupt:
        sys.stderr.write("输出报告时已中断，报告不完整。\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout (``| head``) has closed the pipe. Output that Python still
        # buffers goes to /dev/null, so the flush at exit does not fail again.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)

    found = {
        Kind.from_label(label)
        for label, count in report["summary"]["findings_by_kind"].items()
        if count
    }
    return EXIT_FOUND if found & fail_on else EXIT_OK
