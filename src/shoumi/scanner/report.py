"""Scan reports: the JSON document the web app stores, CSV rows and the human table.

Every output here carries masked values only; :class:`Finding` holds no
plaintext, so there is nothing else to print.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import unicodedata
from collections.abc import Iterable
from typing import TextIO

from shoumi.scanner.formats import message_zh
from shoumi.scanner.kinds import Kind
from shoumi.scanner.model import FileResult, FileStatus
from shoumi.scanner.names import (
    ATTACHMENT_NAME,
    FILE_NAME,
    FOLDER_NAME,
    MEMBER_NAME,
    SHEET_NAME,
)

REPORT_FORMAT = "shoumi.scan-report"
REPORT_VERSION = 1
CSV_COLUMNS = ("path", "location", "kind", "masked", "confidence", "length")


# Unicode categories written as escapes: controls (Cc), format characters such as the
# bidirectional marks and zero-width spaces (Cf), and line and paragraph separators (Zl,
# Zp). On a terminal they move the cursor, erase or reorder text, or hide characters.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def printable_path(path: str) -> str:
    """Return ``path`` with each byte that was not UTF-8 in the file system written as ``\\xNN``,
    and each control, format or separator character as ``\\xNN`` or ``\\uNNNN``.

    Python keeps such bytes (a GBK file name from a Windows share, say) as lone surrogates,
    which no UTF-8 output can encode. A name with an escape sequence or a carriage return
    could otherwise erase or overwrite rows of the table on a terminal.
    NOTE: a name that contains a backslash and ``x1b`` as text reads like an escaped one.
    """
    if path.isprintable():
        return path
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        path = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(
        _escape(char) if unicodedata.category(char) in _ESCAPED_CATEGORIES else char
        for char in path
    )


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def build_report(
    results: Iterable[FileResult],
    *,
    started_at: dt.datetime,
    finished_at: dt.datetime,
) -> dict:
    """Build the JSON-serialisable report of a scan.

    Layout: ``format`` and ``version``; ``started_at``/``finished_at`` (ISO
    8601); ``summary`` with file, byte and finding counts and findings per
    kind; ``files`` with one entry per file (status, format, size, encoding,
    message, finding count); ``findings`` with path, location, kind, mask,
    confidence and length of each finding.
    """
    files = []
    findings = []
    by_kind = {kind.label: 0 for kind in Kind}
    scanned = 0
    total_bytes = 0
    for result in results:
        found = result.findings
        path = printable_path(result.path)
        for finding in found:
            by_kind[finding.kind.label] += 1
            entry = {**finding.to_dict(), "path": path}
            # Sheet and part names are the file's own text, escaped like names.
            for key in ("location", "sheet", "part"):
                if key in entry:
                    entry[key] = printable_path(entry[key])
            findings.append(entry)
        if result.status is FileStatus.SCANNED:
            scanned += 1
            total_bytes += result.size
        files.append(
            {
                "path": path,
                "status": result.status.value,
                "format": result.file_format,
                "size": result.size,
                "encoding": result.encoding,
                "message": result.message,
                "message_zh": message_zh(result),
                "findings": len(found),
            }
        )
    return {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "summary": {
            "files_scanned": scanned,
            "files_not_scanned": len(files) - scanned,
            "bytes_scanned": total_bytes,
            "findings": len(findings),
            "findings_by_kind": by_kind,
        },
        "files": files,
        "findings": findings,
    }


def write_json(report: dict, stream: TextIO) -> None:
    json.dump(report, stream, ensure_ascii=False, indent=1)
    stream.write("\n")


def write_csv(report: dict, stream: TextIO) -> None:
    """Write one row per finding; spreadsheets keep the masks as text because they contain ``*``."""
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    for finding in report["findings"]:
        writer.writerow([finding[column] for column in CSV_COLUMNS])


def render_table(report: dict) -> str:
    """Render findings, files not scanned and a summary as aligned text columns."""
    out = io.StringIO()
    rows: list[tuple[str, ...]] = [("文件", "位置", "类型", "脱敏值", "置信度")]
    for finding in report["findings"]:
        rows.append(
            (
                finding["path"],
                _LOCATION_ZH.get(finding["location"], finding["location"]),
                Kind.from_label(finding["kind"]).title_zh,
                finding["masked"],
                _CONFIDENCE_ZH[finding["confidence"]],
            )
        )
    if len(rows) > 1:
        _write_rows(out, rows)
    skipped = [entry for entry in report["files"] if entry["status"] != FileStatus.SCANNED.value]
    if skipped:
        out.write("\n未扫描的文件：\n")
        _write_rows(
            out,
            [("文件", "原因", "详情")]
            + [(entry["path"], entry["message_zh"], entry["message"]) for entry in skipped],
        )
    summary = report["summary"]
    counts = "，".join(
        f"{Kind.from_label(label).title_zh} {count}"
        for label, count in summary["findings_by_kind"].items()
        if count
    )
    out.write(
        f"\n已扫描 {summary['files_scanned']} 个文件（{summary['bytes_scanned']:,} 字节），"
        f"未扫描 {summary['files_not_scanned']} 个；发现 {summary['findings']} 处个人信息"
        + (f"：{counts}" if counts else "")
        + "。\n"
    )
    return out.getvalue()


_CONFIDENCE_ZH = {"high": "高", "medium": "中", "low": "低"}
# Locations of identifiers in names (see scanner.names); other locations are cell
# references, line numbers and part names, printed as they are.
_LOCATION_ZH = {
    FILE_NAME: "文件名",
    FOLDER_NAME: "文件夹名",
    MEMBER_NAME: "压缩包内文件名",
    ATTACHMENT_NAME: "附件名",
    SHEET_NAME: "工作表名",
}


def display_width(value: str) -> int:
    """Terminal columns of ``value``: wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in value)


def _write_rows(out: io.StringIO, rows: list[tuple[str, ...]]) -> None:
    widths = [max(display_width(row[index]) for row in rows) for index in range(len(rows[0]))]
    for row in rows:
        cells = [
            cell + " " * (width - display_width(cell))
            for cell, width in zip(row, widths, strict=True)
        ]
        out.write("  ".join(cells).rstrip() + "\n")
