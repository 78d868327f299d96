import errno
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures.process import BrokenProcessPool

import pytest

from shoumi.scanner import cli, row_text
from shoumi.scanner import report as report_module
from shoumi.scanner import scan as scan_module
from shoumi.scanner.cli import (
    EXIT_FAILED,
    EXIT_FOUND,
    EXIT_INTERRUPTED,
    EXIT_NOT_SCANNED,
    EXIT_OK,
    main,
)
from shoumi.scanner.report import ReportWriter, display_width
from shoumi.scanner.scan import scan_paths
from tests.scanner.helpers import IS_GLIBC, bank_card, last_line_of_python, resident_id, uscc

PLANTED = {
    "resident_id": resident_id(),
    "uscc": uscc(),
    "bank_card": bank_card(),
    "mobile": "13800138000",
}


@pytest.fixture
def planted(tmp_path):
    text = (
        f"身份证号：{PLANTED['resident_id']}\n信用代码：{PLANTED['uscc']}\n"
        f"卡号：{PLANTED['bank_card']}\n手机：{PLANTED['mobile']}\n"
    )
    (tmp_path / "notes.txt").write_text(text, encoding="utf-8")
    return tmp_path


# The hidden middle of a value is looked for only when it is long enough not to turn up by
# chance: a mobile number's four hidden digits ("0013") appear in a timestamp or a pytest
# folder number now and then, which failed a clean-clone CI run.
MIDDLE_CHECKED_FROM = 8


def assert_no_plaintext(output: str) -> None:
    digits_only = re.sub(r"[^0-9A-Z]", "", output.upper())
    for label, value in PLANTED.items():
        assert value not in output, label
        assert value not in digits_only, label
        middle = value[3:-4]
        if len(middle) >= MIDDLE_CHECKED_FROM:
            assert middle not in digits_only, label


@pytest.mark.parametrize("output_format", ["table", "json", "csv"])
def test_output_never_contains_plaintext(planted, capsys, output_format):
    status = main([str(planted), "--format", output_format, "--progress", "always"])

    captured = capsys.readouterr()
    assert status == EXIT_OK
    assert_no_plaintext(captured.out)
    assert_no_plaintext(captured.err)
    assert "138****8000" in captured.out


def test_json_report_fields(planted, capsys):
    main([str(planted), "--format", "json"])

    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["findings"] == 4
    first = report["findings"][0]
    assert (first["kind"], first["line"], first["column"], first["confidence"]) == (
        "resident_id",
        1,
        6,
        "high",
    )
    assert first["masked"] == "320***********0418"


def test_report_file_never_contains_plaintext(planted, tmp_path_factory):
    output = tmp_path_factory.mktemp("out") / "report.json"

    main([str(planted), "--format", "json", "--output", str(output)])

    assert_no_plaintext(output.read_text(encoding="utf-8"))


def test_fail_on_sets_exit_status(planted):
    assert main([str(planted), "--fail-on", "bank_card"]) == EXIT_FOUND
    assert main([str(planted), "--fail-on", "passport"]) == EXIT_OK
    assert main([str(planted), "--fail-on", "any"]) == EXIT_FOUND


def test_output_over_scanned_file_rejected(planted, capsys):
    notes = planted / "notes.txt"
    before = notes.read_bytes()

    with pytest.raises(SystemExit) as exit_info:
        main([str(planted), "--output", str(notes)])

    assert exit_info.value.code == 2
    assert "--output 指向要扫描的文件" in capsys.readouterr().err
    assert notes.read_bytes() == before


def test_fail_on_unscanned_exit_status(planted, tmp_path):
    missing = str(tmp_path / "missing")

    assert main([str(planted), "--fail-on-unscanned"]) == EXIT_OK
    assert main([str(planted), missing]) == EXIT_OK
    assert main([str(planted), missing, "--fail-on-unscanned"]) == EXIT_NOT_SCANNED
    # A kind named by --fail-on takes precedence.
    assert main([str(planted), missing, "--fail-on-unscanned", "--fail-on", "any"]) == EXIT_FOUND


def test_unknown_fail_on_kind_is_usage_error(planted, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([str(planted), "--fail-on", "ssn"])

    assert exit_info.value.code == 2
    assert "shoumi scan：错误：未知的类型 'ssn'" in capsys.readouterr().err


def test_help_is_in_chinese(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])

    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    assert help_text.startswith("用法：shoumi scan")
    assert "要扫描的文件或文件夹" in help_text
    assert "显示本帮助并退出" in help_text
    assert "positional arguments" not in help_text
    assert "\n参数：\n" in help_text
    assert "\n选项：\n" in help_text


@pytest.mark.parametrize("columns", [60, 100])
def test_help_fits_the_terminal(capsys, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))

    with pytest.raises(SystemExit):
        main(["--help"])

    lines = capsys.readouterr().out.splitlines()
    # The usage lines list options whole, and argparse never breaks inside one.
    assert max(display_width(line) for line in lines if "[" not in line) <= columns
    assert "foreign_permanent_residence_id" in "\n".join(lines)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "缺少参数：PATH"),
        (["x", "--format", "xml"], "参数 --format 的取值 'xml' 无效"),
        (["x", "--workers", "two"], "参数 --workers/-j 应为整数，而不是 'two'"),
        (["x", "--workers", "0"], "--workers 至少为 1"),
        (["x", "--bogus"], "无法识别的参数：--bogus"),
        (["x", "--output"], "参数 --output/-o 缺少取值"),
        (["x", "--workers", "65"], "--workers 最多为 64"),
        (["x", "--follow-symlinks=yes"], "选项 --follow-symlinks 不带取值，多余的取值 'yes' 无效"),
    ],
)
def test_usage_errors_are_in_chinese(capsys, arguments, message):
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)

    assert exit_info.value.code == 2
    errors = capsys.readouterr().err
    assert errors.startswith("用法：shoumi scan")
    assert f"shoumi scan：错误：{message}" in errors


def test_min_confidence_filters(planted, capsys):
    (planted / "bare.txt").write_text("，13900139000，\n", encoding="utf-8")

    main([str(planted / "bare.txt"), "--format", "json", "--min-confidence", "high"])

    assert json.loads(capsys.readouterr().out)["summary"]["findings"] == 0


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (KeyboardInterrupt, EXIT_INTERRUPTED, "扫描已中断"),
        (BrokenProcessPool, EXIT_FAILED, "扫描没有完成"),
    ],
    ids=["interrupted", "worker_died"],
)
def test_unfinished_scan_prints_no_report(planted, capsys, monkeypatch, error, status, message):
    def stop_after_first(paths, options, on_result):
        for result in scan_paths(paths, options, on_result=on_result):
            yield result
            raise error

    monkeypatch.setattr(cli, "scan_paths", stop_after_first)

    assert main([str(planted), "--format", "json"]) == status

    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_usage_error_masks_and_escapes_arguments(capsys):
    with pytest.raises(SystemExit):
        main(["x", "--format", f"张三{PLANTED['resident_id']}\x1b[2J"])

    errors = capsys.readouterr().err
    assert PLANTED["resident_id"] not in errors
    assert "\x1b" not in errors
    # argparse quotes the value with repr ("\\x1b"), whose backslash is escaped in turn.
    assert "\\x5cx1b[2J" in errors


def test_usage_error_escape_text_distinct(capsys):
    messages = []
    for argument in ("--zz\\x1b", "--zz\x1b"):
        with pytest.raises(SystemExit):
            main([".", argument])
        messages.append(capsys.readouterr().err.splitlines()[-1])

    assert messages[0] != messages[1]
    assert "\x1b" not in "".join(messages)


def test_paths_may_follow_options(planted, capsys):
    (planted / "more.txt").write_text(f"手机：{PLANTED['mobile']}\n", encoding="utf-8")

    first, second = str(planted / "notes.txt"), str(planted / "more.txt")
    status = main([first, "-j", "2", second, "--format", "json"])

    assert status == EXIT_OK
    assert json.loads(capsys.readouterr().out)["summary"]["files_scanned"] == 2


def test_path_starting_with_dash_after_separator(tmp_path, capsys, monkeypatch):
    (tmp_path / "-notes.txt").write_text(f"手机：{PLANTED['mobile']}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    assert main(["--format", "json", "--", "-notes.txt"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["summary"]["findings"] == 1


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("missing-folder/report.json", "--output 所在的文件夹不存在"),
        (".", "--output 指向的是文件夹"),
    ],
)
def test_unwritable_output_is_usage_error(planted, capsys, monkeypatch, output, message):
    monkeypatch.chdir(planted)

    with pytest.raises(SystemExit) as exit_info:
        main([str(planted), "--output", output])

    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_failed_report_write_is_reported(planted, capsys, monkeypatch):
    def full_disk(pieces, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli, "_write_report", full_disk)

    assert main([str(planted), "--format", "json"]) == EXIT_FAILED
    assert "无法写入报告（No space left on device）" in capsys.readouterr().err


@pytest.mark.parametrize("stage", ["add", "finish"])
def test_internal_error_in_report_hides_its_message(planted, capsys, monkeypatch, stage):
    def failing(self, *args, **kwargs):
        raise ValueError(f"bad row {PLANTED['resident_id']}")

    monkeypatch.setattr(ReportWriter, stage, failing)

    assert main([str(planted), "--format", "json"]) == EXIT_FAILED
    errors = capsys.readouterr().err
    assert "生成报告因内部错误（ValueError）没有完成" in errors
    assert PLANTED["resident_id"] not in errors


def test_internal_error_in_worker_lists_its_frames(planted, capsys, monkeypatch, job_per_file):
    def failing(results, name_start, options):
        raise RuntimeError(f"name {PLANTED['resident_id']}")

    monkeypatch.setattr(scan_module, "check_names", failing)
    (planted / "more.txt").write_text("备注\n", encoding="utf-8")

    assert main([str(planted), "--workers", "2", "--format", "json"]) == EXIT_FAILED
    errors = capsys.readouterr().err
    assert "扫描进程中：" in errors
    assert "in failing" in errors
    assert PLANTED["resident_id"] not in errors


def test_internal_error_hides_its_message(planted, capsys, monkeypatch):
    leaked_name = f"{planted}/{PLANTED['resident_id']}.txt"

    def failing(paths, options, on_result):
        yield from scan_paths(paths, options, on_result=on_result)
        raise FileNotFoundError(2, "No such file or directory", leaked_name)

    monkeypatch.setattr(cli, "scan_paths", failing)

    assert main([str(planted), "--format", "json"]) == EXIT_FAILED

    captured = capsys.readouterr()
    assert "扫描因内部错误（FileNotFoundError）没有完成" in captured.err
    assert "in failing" in captured.err
    assert PLANTED["resident_id"] not in captured.err
    assert captured.out == ""


def test_interrupt_while_building_report(planted, capsys, monkeypatch):
    def interrupted(self, *, started_at, finished_at):
        raise KeyboardInterrupt

    monkeypatch.setattr(ReportWriter, "finish", interrupted)

    assert main([str(planted), "--format", "json"]) == EXIT_INTERRUPTED

    captured = capsys.readouterr()
    assert "生成报告时已中断" in captured.err
    assert captured.out == ""


def test_closed_stdout_ends_quietly(tmp_path):
    lines = "".join(f"身份证号：{resident_id(sequence=f'{n:03d}')}\n" for n in range(1000))
    (tmp_path / "many.txt").write_text(lines, encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    scan = subprocess.Popen(  # noqa: S603 - fixed command, no user input
        [sys.executable, "-m", "shoumi.scanner", str(tmp_path), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    )
    # The reader stops after a few bytes, as `| head -c 10` does. The report is larger
    # than the pipe's capacity, so the scanner writes into a closed pipe.
    assert scan.stdout.read(10)
    scan.stdout.close()
    _, errors = scan.communicate(timeout=60)

    assert scan.returncode == EXIT_OK
    assert errors.decode("utf-8") == ""


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX links")
def test_follow_symlinks_option(planted, tmp_path_factory, capsys):
    walked = tmp_path_factory.mktemp("walked")
    (walked / "notes-link.txt").symlink_to(planted / "notes.txt")

    assert main([str(walked), "--format", "json", "--fail-on", "any"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert [(entry["status"], entry["message_zh"]) for entry in report["files"]] == [
        ("unsupported", "符号链接，未跟随扫描（需要时加 --follow-symlinks）")
    ]

    assert main([str(walked), "--format", "json", "--follow-symlinks"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["findings"] == 4


@pytest.mark.skipif(not IS_GLIBC, reason="the heap is tuned with glibc's mallopt only")
def test_scan_command_keeps_freed_memory(planted):
    script = (
        "import sys\n"
        "from shoumi.scanner.cli import main\n"
        "from tests.scanner.helpers import refaults\n"
        "main([sys.argv[1], '--format', 'json', '--output', '/dev/null'])\n"
        "print(refaults(4 << 20))\n"
    )
    # Four 4 MiB arrays are 4,096 pages; untuned, about 2,000 of them faulted in again.
    assert int(last_line_of_python(script, str(planted / "notes.txt"))) < 200


@pytest.mark.skipif(sys.platform != "linux", reason="needs file names that are not UTF-8")
@pytest.mark.parametrize("output_format", ["json", "csv", "table"])
def test_non_utf8_file_name_is_escaped(tmp_path, output_format):
    # A GBK file name, as copied from a Windows share: its bytes are not UTF-8.
    name = "客户名单.txt".encode("gbk")
    with open(os.path.join(os.fsencode(tmp_path), name), "w", encoding="utf-8") as file:
        file.write(f"手机：{PLANTED['mobile']}\n")
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "PYTHONIOENCODING": "utf-8:strict",
    }

    completed = subprocess.run(  # noqa: S603 - fixed command, no user input
        [sys.executable, "-m", "shoumi.scanner", str(tmp_path), "--format", output_format],
        capture_output=True,
        env=environment,
        check=False,
    )

    assert completed.returncode == EXIT_OK, completed.stderr.decode("utf-8", "replace")
    output = completed.stdout.decode("utf-8")
    assert "\\xbf" in output
    assert_no_plaintext(output)


def test_ctrl_c_while_scanner_loads_prints_message(monkeypatch, capsys):
    from shoumi.config import cli as shoumi_cli

    real_import = __import__

    def interrupted_import(name, *arguments, **keywords):
        if name == "shoumi.scanner.cli":
            raise KeyboardInterrupt
        return real_import(name, *arguments, **keywords)

    monkeypatch.setattr("builtins.__import__", interrupted_import)

    status = shoumi_cli.main(["shoumi", "scan", "."])

    assert status == EXIT_INTERRUPTED
    assert capsys.readouterr().err == "扫描已中断，没有输出报告。\n"


def run_scan(path, output_format: str, encoding: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "PYTHONIOENCODING": f"{encoding}:strict",
    }
    return subprocess.run(  # noqa: S603 - fixed command, no user input
        [sys.executable, "-m", "shoumi.scanner", str(path), "--format", output_format],
        capture_output=True,
        env=environment,
        check=False,
    )


@pytest.mark.parametrize("output_format", ["json", "csv", "table"])
def test_report_follows_the_output_encoding(planted, output_format):
    # The report is written as UTF-8 bytes where standard output is UTF-8, as text in
    # the encoding of any other terminal.
    in_utf8 = run_scan(planted / "notes.txt", output_format, "utf-8")
    in_gb18030 = run_scan(planted / "notes.txt", output_format, "gb18030")

    assert in_utf8.returncode == in_gb18030.returncode == EXIT_OK
    text = in_utf8.stdout.decode("utf-8")
    assert "手机号" in text or "mobile" in text
    # The JSON report's times differ between the runs.
    same = [line for line in text.splitlines() if "_at" not in line]
    other = [line for line in in_gb18030.stdout.decode("gb18030").splitlines() if "_at" not in line]
    assert same == other


def test_report_in_ascii_terminal_fails(planted):
    completed = run_scan(planted / "notes.txt", "table", "ascii")

    assert completed.returncode == EXIT_FAILED
    assert completed.stdout == b""
    # Python writes what standard error cannot encode as backslash escapes.
    message = "无法写入报告（UnicodeEncodeError）".encode("ascii", "backslashreplace")
    assert message in completed.stderr


@pytest.mark.parametrize("group_rows", [1, 8192], ids=["while-scanning", "at-the-end"])
def test_full_temporary_folder_is_reported(planted, capsys, monkeypatch, group_rows):
    # The rows of a large report go to a temporary file, and here the first one already
    # does.
    # Rows are formatted as results arrive once a group is full, the rest at the end.
    monkeypatch.setattr(report_module, "SPOOL_MEMORY_BYTES", 10)
    monkeypatch.setattr(row_text, "GROUP_ROWS", group_rows)
    monkeypatch.setattr(tempfile, "tempdir", str(planted / "missing-folder"))

    assert main([str(planted), "--format", "csv"]) == EXIT_FAILED

    captured = capsys.readouterr()
    assert "无法写入临时文件" in captured.err
    assert "TMPDIR" in captured.err
    assert captured.out == ""


class _FullAtTheEnd(tempfile.SpooledTemporaryFile):
    """A temporary file whose buffered rows cannot be written out: a disk that fills last."""

    def flush(self):
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("output", [None, "report.csv"], ids=["stdout", "output-file"])
def test_temp_folder_full_at_finish(planted, tmp_path, capsys, monkeypatch, output):
    monkeypatch.setattr(report_module.tempfile, "SpooledTemporaryFile", _FullAtTheEnd)
    arguments = [str(planted), "--format", "csv"]
    if output:
        arguments += ["--output", str(tmp_path / output)]

    assert main(arguments) == EXIT_FAILED

    captured = capsys.readouterr()
    assert "无法写入临时文件（No space left on device）" in captured.err
    assert "Exception ignored" not in captured.err
    assert captured.out == ""
    assert not (tmp_path / "report.csv").exists()


def test_large_report_in_gb18030(tmp_path, monkeypatch):
    # Rows read back from the temporary file in 7-byte pieces, many of which end inside a
    # Chinese character of the path, written to a GB18030 terminal.
    planted = tmp_path / "客户资料"
    planted.mkdir()
    (planted / "名单.txt").write_text(f"手机：{PLANTED['mobile']}\n" * 50, encoding="utf-8")
    monkeypatch.setattr(report_module, "SPOOL_MEMORY_BYTES", 10)
    monkeypatch.setattr(report_module, "SPOOL_READ_BYTES", 7)
    in_utf8 = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    in_gb18030 = io.TextIOWrapper(io.BytesIO(), encoding="gb18030")
    for stream in (in_utf8, in_gb18030):
        monkeypatch.setattr(sys, "stdout", stream)
        assert main([str(planted), "--format", "csv"]) == EXIT_OK
        stream.flush()

    text = in_utf8.buffer.getvalue().decode("utf-8")
    assert text.count("/客户资料/名单.txt,") == 50
    assert in_gb18030.buffer.getvalue().decode("gb18030") == text


# A parser that fails in a way the scanner does not expect, so that it logs a warning.
FAILING_PARSER_SCRIPT = """
import sys
from shoumi.scanner import cli, formats

def fail(*arguments):
    raise RecursionError

formats._scan_pdf = fail
workers, paths = sys.argv[1], sys.argv[2:]
sys.exit(cli.main([*paths, "--format", "csv", "--progress", "never", "--workers", workers]))
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_warning_not_in_report(tmp_path, workers):
    # shoumi scan runs without Django, which configures structlog, and structlog's default
    # printed the warning to standard output, as the first line of the CSV report.
    paths = [tmp_path / "contract.pdf", tmp_path / "invoice.pdf"]
    for path in paths:
        path.write_bytes(b"%PDF-1.4\n")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    completed = subprocess.run(  # noqa: S603 - fixed command, no user input
        [sys.executable, "-c", FAILING_PARSER_SCRIPT, str(workers), *map(str, paths)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=60,
    )

    assert completed.returncode == EXIT_OK, completed.stderr
    assert completed.stdout == "path,location,kind,masked,confidence,length\n"
    lines = completed.stderr.splitlines()
    assert len(lines) == 2
    assert all("scanner_parse_failed" in line for line in lines)
    assert all("error=RecursionError" in line for line in lines)


def run_without_stderr(*arguments: str) -> subprocess.CompletedProcess:
    """Run Python with ``arguments``, started by the shell with descriptor 2 closed."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(  # noqa: S603 - fixed command, no user input
        ["/bin/sh", "-c", '"$0" "$@" 2>&-', sys.executable, *arguments],
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
        check=False,
        timeout=60,
    )


def test_warning_without_stderr(tmp_path):
    # With standard error closed, sys.stderr is None, and structlog would print to stdout.
    path = tmp_path / "contract.pdf"
    path.write_bytes(b"%PDF-1.4\n")

    completed = run_without_stderr("-c", FAILING_PARSER_SCRIPT, "1", str(path))

    assert completed.returncode == EXIT_OK
    assert completed.stdout == "path,location,kind,masked,confidence,length\n"


def test_command_without_stderr(planted):
    # With progress "auto", the command checks whether standard error is a terminal.
    completed = run_without_stderr("-m", "shoumi.scanner", str(planted), "--format", "csv")

    assert completed.returncode == EXIT_OK
    assert completed.stdout.startswith("path,location,kind,masked,confidence,length\n")
    assert len(completed.stdout.splitlines()) == 5


def test_scanner_starts_without_structlog():
    # structlog (and rich, which it imports where installed) took about 90 ms of the
    # command's start-up, so it is imported at the first warning instead.
    script = (
        "import sys, shoumi.scanner.cli\nprint(sorted({'structlog', 'rich'} & set(sys.modules)))\n"
    )

    assert last_line_of_python(script) == "[]"
