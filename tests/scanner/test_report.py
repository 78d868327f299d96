"""Report text is valid Unicode whatever bytes the file system's names contain, and gives
in Chinese the reason a path was not scanned."""

import datetime as dt
import io
import os
import pickle
import zipfile
from email.message import EmailMessage

import numpy as np
import openpyxl
import pytest

from shoumi.scanner import Confidence, Kind, ScanOptions, row_text, scan_paths
from shoumi.scanner import report as report_module
from shoumi.scanner.model import FileResult, FileStatus, Finding, FindingTable, Location
from shoumi.scanner.names import FILE_NAME
from shoumi.scanner.report import (
    ReportWriter,
    build_report,
    printable_path,
    render_table,
    write_csv,
    write_json,
)
from tests.scanner.helpers import bank_card, resident_id


def test_printable_path_escapes_undecodable_bytes():
    undecodable = os.fsdecode(b"/srv/\xbf\xcd.txt")

    assert printable_path(undecodable) == "/srv/\\xbf\\xcd.txt"


def test_printable_path_keeps_utf8_names():
    assert printable_path("/srv/客户/名单.txt") == "/srv/客户/名单.txt"


def test_reasons_not_scanned_are_in_chinese():
    now = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)
    results = [
        FileResult(
            path="/srv/共享/锁定",
            status=FileStatus.UNREADABLE,
            file_format="folder",
            message="cannot list folder: Permission denied",
        ),
        FileResult(path="/srv/不存在", status=FileStatus.UNREADABLE, message="path not found"),
        FileResult(path="/srv/坏.txt", status=FileStatus.UNREADABLE, message="cannot decode"),
        FileResult(
            path="/srv/锁.txt",
            status=FileStatus.UNREADABLE,
            message="cannot read file: Permission denied",
        ),
        FileResult(
            path="/srv/链接",
            status=FileStatus.UNREADABLE,
            file_format="symlink",
            message="symbolic link target not found (missing, or links in a loop)",
        ),
    ]

    report = build_report(results, started_at=now, finished_at=now)

    assert [entry["message_zh"] for entry in report["files"]] == [
        "文件夹无法列出内容，其中的文件未扫描（原因见详情）",
        "路径不存在，未扫描",
        "文件无法读取（损坏或编码未知）",
        "文件无法打开或读取（原因见详情）",
        "符号链接的目标不存在或链接成环，未扫描",
    ]
    assert "文件夹无法列出内容" in render_table(report)


def test_backslash_in_names_is_escaped():
    # Otherwise a name with "\x1b" as text would read like one with the escape character.
    assert printable_path("/srv/a\\x1bb.txt") == "/srv/a\\x5cx1bb.txt"
    assert printable_path("/srv/a\x1bb.txt") == "/srv/a\\x1bb.txt"
    assert printable_path(os.fsdecode(b"/srv/\\\xbf.txt")) == "/srv/\\x5c\\xbf.txt"


def test_control_characters_in_names_are_escaped():
    assert printable_path("/srv/a\x1b[2K\rb\n.txt") == "/srv/a\\x1b[2K\\x0db\\x0a.txt"
    assert printable_path("/srv/\u202etxt.exe") == "/srv/\\u202etxt.exe"
    # Zero-width and other format characters, and line separators, hide or move text too.
    assert printable_path("a\u200bb\u061cc\u2028d") == "a\\u200bb\\u061cc\\u2028d"
    # Wide spaces are printable, and stay.
    assert printable_path("客户\u3000名单") == "客户\u3000名单"


# The ReportWriter that the command line uses gives the same text as the reference path
# (build_report and the writers that take its dictionary), in each format.

NOW = dt.datetime(2026, 12, 5, 8, 30, tzinfo=dt.UTC)


def reference_text(results: list[FileResult], output_format: str) -> str:
    report = build_report(results, started_at=NOW, finished_at=NOW)
    if output_format == "table":
        return render_table(report)
    out = io.StringIO()
    (write_json if output_format == "json" else write_csv)(report, out)
    return out.getvalue()


def writer_text(results: list[FileResult], output_format: str) -> str:
    writer = ReportWriter(output_format)
    for result in results:
        writer.add(result)
    return b"".join(writer.finish(started_at=NOW, finished_at=NOW)).decode("utf-8")


def table_of(rows: list[tuple[int, int, Kind, str, Confidence]], part: str | None) -> FindingTable:
    """A FindingTable with ``(line, column, kind, mask, confidence)`` rows."""
    return FindingTable(
        byte_offset=np.arange(len(rows), dtype=np.int64) * 40,
        line=np.array([row[0] for row in rows], dtype=np.int64),
        column=np.array([row[1] for row in rows], dtype=np.int64),
        length=np.array([len(row[3]) for row in rows], dtype=np.int64),
        kind=np.array([int(row[2]) for row in rows], dtype=np.int8),
        confidence=np.array([int(row[4]) for row in rows], dtype=np.int8),
        masked=np.array([row[3].encode() for row in rows]),
        part=part,
    )


ROWS = [
    (1, 7, Kind.RESIDENT_ID, "320***********0418", Confidence.HIGH),
    (12, 1, Kind.MOBILE, "138****8000", Confidence.LOW),
    (100_000, 123_456, Kind.BANK_CARD, "622202*********8012", Confidence.MEDIUM),
]
PARTS = [None, "", "body1", "附件,名单.csv", 'a"b', "header\u3000页眉"]
PATHS = ["/srv/客户/名单.txt", "/srv/a,b.csv", '/srv/"quoted".txt', "/srv/\x1b[2J.txt"]


def synthetic_results() -> list[FileResult]:
    results = []
    for index, path in enumerate(PATHS):
        tables = [table_of(ROWS[: index + 1], part) for part in PARTS]
        # Tables that travelled from a worker have narrowed integer columns.
        tables.append(pickle.loads(pickle.dumps(table_of(ROWS, None))))  # noqa: S301
        tables.append(table_of([], None))
        extra = [
            Finding(
                path=path,
                location=Location(sheet="工作表,1", cell="C7"),
                kind=Kind.USCC,
                masked="913*************43",
                confidence=Confidence.HIGH,
                length=18,
            ),
            Finding(
                path=path,
                location=Location(part=FILE_NAME),
                kind=Kind.PASSPORT,
                masked="E12****78",
                confidence=Confidence.MEDIUM,
                length=9,
            ),
        ]
        results.append(
            FileResult(
                path=path,
                file_format="text",
                size=1000 + index,
                tables=tables,
                extra_findings=extra if index % 2 else [],
            )
        )
    results.append(
        FileResult(path="/srv/不存在", status=FileStatus.UNREADABLE, message="path not found")
    )
    return results


@pytest.mark.parametrize("output_format", ["json", "csv", "table"])
def test_writer_matches_reference_on_synthetic_tables(output_format):
    results = synthetic_results()

    assert writer_text(results, output_format) == reference_text(results, output_format)


@pytest.mark.parametrize("output_format", ["json", "csv", "table"])
def test_writer_matches_reference_in_small_groups(monkeypatch, output_format):
    # Groups of two rows: tables are cut into several groups, and groups join tables.
    monkeypatch.setattr(row_text, "GROUP_ROWS", 2)
    results = synthetic_results()

    assert writer_text(results, output_format) == reference_text(results, output_format)


@pytest.mark.parametrize("output_format", ["json", "csv", "table"])
def test_writer_matches_reference_on_a_large_table(output_format):
    count = 3 * row_text.GROUP_ROWS + 5
    numbers = np.random.default_rng(7).integers(0, 10**9, size=count)
    rows = [
        (int(number) % 10**7, int(number) % 1000 + 1, kind, mask, level)
        for number, (_, _, kind, mask, level) in zip(numbers, ROWS * count, strict=False)
    ]
    rows[0] = (0, 10**12, Kind.MOBILE, "138****8000", Confidence.LOW)
    results = [FileResult(path="/srv/大.csv", tables=[table_of(rows, None)], size=10)]

    assert writer_text(results, output_format) == reference_text(results, output_format)


@pytest.mark.parametrize("output_format", ["json", "csv"])
def test_writer_matches_reference_from_temporary_files(monkeypatch, output_format):
    # Rows beyond SPOOL_MEMORY_BYTES go to a temporary file, read back in pieces.
    monkeypatch.setattr(report_module, "SPOOL_MEMORY_BYTES", 100)
    monkeypatch.setattr(report_module, "SPOOL_READ_BYTES", 7)
    monkeypatch.setattr(row_text, "GROUP_ROWS", 2)
    results = synthetic_results()

    assert writer_text(results, output_format) == reference_text(results, output_format)


@pytest.mark.parametrize("output_format", ["json", "csv", "table"])
def test_writer_matches_reference_on_negative_numbers(output_format):
    # The scanner writes no negative line or column, but a FindingTable may contain one.
    rows = [(-1, -5, Kind.MOBILE, "138****8000", Confidence.LOW), *ROWS]
    results = [FileResult(path="/srv/负.txt", tables=[table_of(rows, "body1")], size=1)]

    assert writer_text(results, output_format) == reference_text(results, output_format)


@pytest.mark.parametrize("output_format", ["json", "csv", "table"])
def test_writer_matches_reference_with_nothing_scanned(output_format):
    assert writer_text([], output_format) == reference_text([], output_format)


@pytest.mark.parametrize("output_format", ["json", "csv", "table"])
def test_writer_matches_reference_on_scanned_formats(tmp_path, output_format):
    line = f"客户身份证号{resident_id()}，手机13800138000，卡号{bank_card()}。\n"
    (tmp_path / "notes.txt").write_text(line * 3, encoding="utf-8")
    (tmp_path / "gbk.txt").write_bytes(line.encode("gbk"))
    (tmp_path / f"张三{resident_id()}.txt").write_text("没有号码。\n", encoding="utf-8")
    (tmp_path / 'a,"b".csv').write_text(f"名称,号码\n甲,{resident_id()}\n", encoding="utf-8")
    (tmp_path / os.fsdecode(b"\xbf\xcd.txt")).write_text(line, encoding="utf-8")
    workbook = openpyxl.Workbook()
    workbook.active.title = "客户,名单"
    workbook.active["C7"] = resident_id()
    workbook.save(tmp_path / "ledger.xlsx")
    message = EmailMessage()
    message["Subject"] = "资料"
    message.set_content(line)
    message.add_attachment(line.encode(), maintype="text", subtype="csv", filename="l.csv")
    (tmp_path / "mail.eml").write_bytes(message.as_bytes())
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as package:
        package.writestr("inner/notes.txt", line)
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 8)
    results = list(scan_paths([str(tmp_path), str(tmp_path / "missing")], ScanOptions()))
    assert {result.status for result in results} >= {FileStatus.SCANNED, FileStatus.UNREADABLE}

    assert writer_text(results, output_format) == reference_text(results, output_format)


def test_writer_counts_kinds_found():
    writer = ReportWriter("csv")
    for result in synthetic_results():
        writer.add(result)

    assert writer.kinds_found == {
        Kind.RESIDENT_ID,
        Kind.MOBILE,
        Kind.BANK_CARD,
        Kind.USCC,
        Kind.PASSPORT,
    }


def test_writer_rejects_unknown_format():
    with pytest.raises(ValueError, match="xml"):
        ReportWriter("xml")
