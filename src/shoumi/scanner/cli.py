"""The ``shoumi scan`` command: find plaintext personal data in files and folders."""

from __future__ import annotations

import argparse
import codecs
import contextlib
import datetime as dt
import os
import re
import sys
import time
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import NoReturn, TextIO, cast

from shoumi.lazy_log import standalone
from shoumi.scanner.heap import tune_heap
from shoumi.scanner.kinds import Confidence, Kind
from shoumi.scanner.model import FOLDER_FORMAT, FileResult, ScanOptions
from shoumi.scanner.names import mask_path
from shoumi.scanner.pool import RemoteTraceback
from shoumi.scanner.report import ReportWriter, display_width, printable_path
from shoumi.scanner.scan import scan_paths

EXIT_OK = 0
EXIT_FOUND = 1
EXIT_USAGE = 2
# The scan did not finish, so no report was written.
EXIT_FAILED = 3
# With --fail-on-unscanned: a file was not scanned, and no --fail-on kind was found.
EXIT_NOT_SCANNED = 4
EXIT_INTERRUPTED = 130
# More worker processes than this are refused: each is started at once, whatever the number
# of files, and the scan is CPU-bound, so more processes than cores only add memory.
MAX_WORKERS = 64


# Pieces that help text may be broken between: one wide (CJK) character, a run of other
# characters without spaces (an option or a word), or spaces.
_WIDE = "\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\ufe30-\uffef"
_HELP_PIECE = re.compile(f"[{_WIDE}]|[^\\s{_WIDE}]+|\\s+")


class _ChineseHelpFormatter(argparse.HelpFormatter):
    """Help with a Chinese usage heading, wrapped by terminal columns."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)

    def _split_lines(self, text: str, width: int) -> list[str]:
        # argparse breaks lines at spaces only, and Chinese text has none, so a help line
        # ran past the terminal's width. Wide characters take two columns each.
        lines: list[str] = []
        line = ""
        for piece in _HELP_PIECE.findall(text):
            if piece.isspace():
                piece = " " if line else ""
            if line and display_width(line) + display_width(piece) > width:
                lines.append(line.rstrip())
                line = piece.lstrip()
            else:
                line += piece
        if line.strip():
            lines.append(line.rstrip())
        return lines

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in self._split_lines(text, width - len(indent)))

    def format_help(self) -> str:
        # argparse ends each section heading with an ASCII colon.
        return re.sub(r"^(参数|选项):$", r"\1：", super().format_help(), flags=re.MULTILINE)


# argparse's own error messages (Python 3.11), which it writes in English, and their
# Chinese forms. A message that matches none is printed as it is.
_ARGPARSE_ERRORS_ZH = (
    (re.compile(r"the following arguments are required: (.+)"), r"缺少参数：\1"),
    (re.compile(r"unrecognized arguments: (.+)"), r"无法识别的参数：\1"),
    (
        re.compile(r"argument (\S+): invalid choice: (.+) \(choose from (.+)\)"),
        r"参数 \1 的取值 \2 无效，可选：\3",
    ),
    (re.compile(r"argument (\S+): invalid int value: (.+)"), r"参数 \1 应为整数，而不是 \2"),
    (re.compile(r"argument (\S+): expected one argument"), r"参数 \1 缺少取值"),
    (
        re.compile(r"ambiguous option: (\S+) could match (.+)"),
        r"选项 \1 不明确，可能是：\2",
    ),
    (
        re.compile(r"argument (\S+): ignored explicit argument (.+)"),
        r"选项 \1 不带取值，多余的取值 \2 无效",
    ),
)


class _ChineseArgumentParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are in Chinese."""

    def error(self, message: str) -> NoReturn:
        for pattern, replacement in _ARGPARSE_ERRORS_ZH:
            if pattern.fullmatch(message):
                message = pattern.sub(replacement, message)
                break
        self.print_usage(sys.stderr)
        # The message may repeat an argument, such as a path with an identifier in its name
        # or with control characters, so it is masked and escaped like report paths.
        self.exit(EXIT_USAGE, f"{self.prog}：错误：{printable_path(mask_path(message))}\n")


def build_parser() -> argparse.ArgumentParser:
    kinds = ", ".join(kind.label for kind in Kind)
    parser = _ChineseArgumentParser(
        prog="shoumi scan",
        description="扫描文件和文件夹中的明文个人信息（身份证号、统一社会信用代码、银行卡号、手机号等）。"
        "输出只包含脱敏值。",
        formatter_class=_ChineseHelpFormatter,
        add_help=False,
    )
    parser._positionals.title = "参数"
    parser._optionals.title = "选项"
    parser.add_argument("paths", nargs="+", metavar="PATH", help="要扫描的文件或文件夹")
    parser.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
    parser.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="报告格式：table 为表格（默认），json 和 csv 供程序读取",
    )
    parser.add_argument(
        "--output", "-o", metavar="FILE", help="把报告写入文件 FILE，而不是标准输出"
    )
    parser.add_argument(
        "--fail-on",
        metavar="KIND,...",
        default="",
        help=f"发现其中任一类型时以状态 1 退出；类型：{kinds}，any 表示全部类型",
    )
    parser.add_argument(
        "--fail-on-unscanned",
        action="store_true",
        help="有文件未能扫描（路径不存在、已加密、已损坏、不支持的格式等）时以状态 4 退出，"
        "除非已因 --fail-on 以状态 1 退出",
    )
    parser.add_argument(
        "--workers",
        "-j",
        metavar="N",
        type=int,
        default=1,
        help="扫描进程数（默认 1；要扫描的文件少时用得更少）",
    )
    parser.add_argument(
        "--min-confidence",
        choices=("low", "medium", "high"),
        default="low",
        help="只报告置信度不低于此级别的发现项：low 低（默认）、medium 中、high 高",
    )
    parser.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="扫描文件夹中符号链接指向的文件和文件夹（默认把链接列为未扫描）",
    )
    parser.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="在标准错误输出显示进度：auto 仅在终端中显示（默认），always 总是显示，never 不显示",
    )
    # Fixed now, because parse_intermixed_args would otherwise cut the first seven
    # characters off the usage text, the length of argparse's "usage: ".
    parser.usage = parser.format_usage().removeprefix("用法：").rstrip("\n")
    return parser


def parse_kinds(value: str) -> frozenset[Kind]:
    """Parse a comma-separated list of kind labels; ``any`` means every kind.

    Raises ``ValueError`` with a Chinese message for an unknown label.
    """
    labels = [label.strip() for label in value.split(",") if label.strip()]
    if any(label.lower() == "any" for label in labels):
        return frozenset(Kind)
    unknown = [label for label in labels if label.upper() not in Kind.__members__]
    if unknown:
        known = ", ".join(kind.label for kind in Kind)
        raise ValueError(f"未知的类型 {unknown[0]!r}，可选：{known} 或 any")
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
        # A folder's result (its name was checked) is not counted as a file, as in the report.
        self.files += result.file_format != FOLDER_FORMAT
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


class _ReportError(Exception):
    """An error raised while a result was added to the report (its cause)."""


def _add_results(results: Iterator[FileResult], writer: ReportWriter) -> None:
    """Add each result to the report as it arrives, while the workers scan on."""
    for result in results:
        try:
            writer.add(result)
        except Exception as error:
            raise _ReportError from error


def _write_report(pieces: Iterable[bytes], path: str | None) -> None:
    """Write the report's UTF-8 pieces to ``path``, or to standard output.

    Standard output takes the bytes as they are where its encoding is UTF-8, and text
    otherwise, so that a terminal in another encoding gets its own (or the error that
    the report cannot be shown in it).
    """
    if path:
        with open(path, "wb") as output:
            for piece in pieces:
                output.write(piece)
        return
    stdout = sys.stdout
    binary = getattr(stdout, "buffer", None)
    encoding = getattr(stdout, "encoding", None) or ""
    if binary is not None and _is_utf8(encoding):
        stdout.flush()
        for piece in pieces:
            binary.write(piece)
        # A closed pipe raises BrokenPipeError here, not in the flush at exit.
        binary.flush()
        return
    # Pieces may end inside a character: the rows of a large report are read back from a
    # temporary file in pieces of a fixed size.
    decoder = codecs.getincrementaldecoder("utf-8")()
    for piece in pieces:
        stdout.write(decoder.decode(piece))
    stdout.write(decoder.decode(b"", final=True))
    stdout.flush()


def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def _output_problem(path: str | None, scanned: list[str]) -> str | None:
    """Return why the report cannot be written to ``path``, checked before the scan starts.

    An existing file among the ``scanned`` paths, or inside a scanned folder, would be
    scanned and then replaced by the report.
    """
    if path is None:
        return None
    if os.path.isdir(path):
        return "--output 指向的是文件夹，请给出文件名"
    if os.path.exists(path):
        target = os.path.realpath(path)
        for scanned_path in scanned:
            root = os.path.realpath(scanned_path)
            if target == root or target.startswith(root.rstrip(os.sep) + os.sep):
                return "--output 指向要扫描的文件，写入报告会覆盖它，请把报告写到别处"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return "--output 所在的文件夹不存在"
    if not os.access(folder, os.W_OK):
        return "没有权限在 --output 所在的文件夹中写入"
    return None


def _report_build_error(error: Exception) -> None:
    """Print why the report could not be built: no room for its temporary file, or a fault."""
    if isinstance(error, OSError):
        # The rows of a large report go to a temporary file (see ReportWriter).
        reason = error.strerror or type(error).__name__
        sys.stderr.write(
            f"无法写入临时文件（{reason}），没有输出报告。大的报告先写入临时文件夹，"
            "可用环境变量 TMPDIR 指定一个空间足够的文件夹。\n"
        )
        return
    _report_internal_error(error, "生成报告")


def _report_internal_error(error: Exception, stage: str) -> None:
    """Print that ``stage`` failed, with the error's type and where it was raised.

    The message may contain a file's name, and with it an identifier, so only code
    locations are printed. They are the frames of this process, and the file and line of
    each frame in a worker process, taken from its traceback text without the message.
    """
    sys.stderr.write(
        f"{stage}因内部错误（{type(error).__name__}）没有完成，没有输出报告。错误信息可能含有"
        "文件名，因此只列出出错的代码位置；请把以下内容提供给维护人员：\n"
    )
    sys.stderr.write("".join(traceback.format_tb(error.__traceback__)))
    cause = error.__cause__
    if isinstance(cause, RemoteTraceback):
        frames = [line for line in str(cause.args[0]).splitlines() if line.startswith("  File ")]
        sys.stderr.write("扫描进程中：\n" + "".join(f"{line}\n" for line in frames))


def main(argv: list[str] | None = None) -> int:
    """Run ``shoumi scan`` and return its exit status.

    0: no kind named by ``--fail-on`` was found; 1: one was; 2: usage error; 3: a worker
    process died or an internal error stopped the scan, so it is incomplete; 4: with
    ``--fail-on-unscanned``, a file was not scanned and no ``--fail-on`` kind was found;
    130: interrupted with Ctrl-C.
    """
    # Log records go to standard error, not into a report on standard output.
    with standalone():
        return _run(argv)


def _run(argv: list[str] | None) -> int:
    if sys.stderr is None:
        # Started with standard error closed: messages are dropped instead of raising.
        sys.stderr = open(os.devnull, "w", encoding="utf-8")
    parser = build_parser()
    # Intermixed, so that paths may follow options: shoumi scan a.txt -j 2 b.txt. Python
    # 3.11's intermixed parsing loses the paths after "--", so that form is parsed plainly.
    command_line = sys.argv[1:] if argv is None else argv
    if "--" in command_line:
        arguments = parser.parse_args(command_line)
    else:
        arguments = parser.parse_intermixed_args(command_line)
    try:
        fail_on = parse_kinds(arguments.fail_on)
    except ValueError as error:
        parser.error(str(error))
    if arguments.workers < 1:
        parser.error("--workers 至少为 1")
    if arguments.workers > MAX_WORKERS:
        parser.error(f"--workers 最多为 {MAX_WORKERS}")
    output_problem = _output_problem(arguments.output, arguments.paths)
    if output_problem is not None:
        parser.error(output_problem)
    options = ScanOptions(
        workers=arguments.workers,
        min_confidence=Confidence.from_label(arguments.min_confidence),
        follow_symlinks=arguments.follow_symlinks,
    )
    show_progress = arguments.progress == "always" or (
        arguments.progress == "auto" and sys.stderr.isatty()
    )
    progress = Progress(sys.stderr, show_progress)

    # This process scans when --workers is 1, and takes each result as it arrives: JSON and
    # CSV rows are formatted then, the table's at the end.
    tune_heap()
    started_at = dt.datetime.now(dt.UTC)
    writer = ReportWriter(arguments.format)
    try:
        _add_results(scan_paths(arguments.paths, options, on_result=progress.update), writer)
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
    except _ReportError as error:
        progress.close()
        _report_build_error(cast(Exception, error.__cause__))
        return EXIT_FAILED
    except Exception as error:  # noqa: BLE001 - reported without its message
        progress.close()
        _report_internal_error(error, "扫描")
        return EXIT_FAILED
    progress.close()
    try:
        pieces = writer.finish(started_at=started_at, finished_at=dt.datetime.now(dt.UTC))
    except KeyboardInterrupt:
        sys.stderr.write("生成报告时已中断，没有输出报告。\n")
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - reported without its message
        _report_build_error(error)
        return EXIT_FAILED
    try:
        _write_report(pieces, arguments.output)
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
    except (OSError, UnicodeError) as error:
        # Such as a full disk, or a terminal whose encoding has no Chinese characters.
        reason = getattr(error, "strerror", None) or type(error).__name__
        sys.stderr.write(f"无法写入报告（{reason}），报告不完整或没有写出。\n")
        return EXIT_FAILED

    if writer.kinds_found & fail_on:
        return EXIT_FOUND
    if arguments.fail_on_unscanned and writer.files_not_scanned:
        return EXIT_NOT_SCANNED
    return EXIT_OK
