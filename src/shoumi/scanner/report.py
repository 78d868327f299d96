"""Scan reports: the JSON document the web app stores, CSV rows and the human table.

Every output here carries masked values only; :class:`Finding` holds no
plaintext, so there is nothing else to print.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import itertools
import json
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from typing import TextIO

import numpy as np

from shoumi.scanner import row_text
from shoumi.scanner.formats import message_zh
from shoumi.scanner.kinds import Confidence, Kind
from shoumi.scanner.model import FOLDER_FORMAT, FileResult, FileStatus, Finding, FindingTable
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
    could otherwise erase or overwrite rows of the table on a terminal. A backslash in a
    name is written as ``\\x5c``, so that a name with ``\\x1b`` as text does not read like
    one with the escape character.
    """
    if path.isprintable() and "\\" not in path:
        return path
    path = path.replace("\\", "\\x5c")
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

    The command line writes the same text with :class:`ReportWriter`. Its tests compare it
    with this dictionary and the writers that take it, so the two must change together.

    Layout: ``format`` and ``version``; ``started_at``/``finished_at`` (ISO
    8601); ``summary`` with file, byte and finding counts and findings per
    kind; ``files`` with one entry per file (status, format, size, encoding,
    message, finding count); ``findings`` with path, location, kind, mask,
    confidence and length of each finding.
    """
    files = []
    findings = []
    by_kind = {kind.label: 0 for kind in Kind}
    scanned = skipped = 0
    total_bytes = 0
    for result in results:
        found = result.findings
        path = printable_path(result.path)
        for finding in found:
            by_kind[finding.kind.label] += 1
            findings.append(_finding_entry(path, finding))
        if result.status is FileStatus.SCANNED:
            scanned += _is_file(result)
            total_bytes += result.size
        else:
            skipped += 1
        files.append(_file_entry(path, result, len(found)))
    return {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "summary": {
            "files_scanned": scanned,
            "files_not_scanned": skipped,
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
    skipped = [
        (entry["path"], entry["message_zh"], entry["message"])
        for entry in report["files"]
        if entry["status"] != FileStatus.SCANNED.value
    ]
    _write_table_end(out, skipped, report["summary"])
    return out.getvalue()


def _write_table_end(out: io.StringIO, skipped: list[tuple[str, str, str]], summary: dict) -> None:
    """Write the files not scanned, with their reasons, and the summary line."""
    if skipped:
        out.write("\n未扫描的文件：\n")
        _write_rows(out, [("文件", "原因", "详情"), *skipped])
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


REPORT_FORMATS = ("table", "json", "csv")
# Bytes of JSON or CSV report rows kept in memory before they go to a temporary file (per
# spool: JSON has one for its files and one for its findings). A JSON entry is about 210
# bytes and a CSV row about 70, so a dense 64 MiB scan gives 80 or 27 MB, and a shared
# drive may give many times that. On the 256 MiB benchmark corpus (2-core AMD EPYC guest),
# shoumi scan --format json -j 2 peaked at 67 MB of memory with its rows in a temporary
# file. With them in memory it peaked at 387 MB, and took 1.97 s instead of 2.14 s. The
# table format keeps its rows in memory (see ReportWriter._table).
SPOOL_MEMORY_BYTES = 8 << 20
SPOOL_READ_BYTES = 1 << 20
_TABLE_HEADER = ("文件", "位置", "类型", "脱敏值", "置信度")


def _by_value(texts: dict[int, str]) -> list[bytes]:
    """Return a list of the UTF-8 ``texts`` indexed by value, empty where no text is given."""
    return [texts.get(value, "").encode() for value in range(max(texts) + 1)]


# Labels and titles by enum value, in the bytes written for each row.
_KIND_LABELS = _by_value({kind.value: kind.label for kind in Kind})
_CONFIDENCE_LABELS = _by_value({level.value: level.label for level in Confidence})
_CONFIDENCE_TITLES = _by_value({level.value: _CONFIDENCE_ZH[level.label] for level in Confidence})


class ReportWriter:
    """The report of a scan in one output format, built one result at a time.

    The command line adds each result as it arrives, so that JSON and CSV rows are
    formatted while worker processes scan on (the table's at the end), and then writes the
    UTF-8 pieces that :meth:`finish` returns. The text is the same as :func:`write_json`,
    :func:`write_csv` or :func:`render_table` give for :func:`build_report`. Those go
    through a dictionary per finding, which took 12 µs to build and 2 (CSV), 11 (JSON) or
    26 µs (table) more to write. The command took 7 to 22 s for the 64 MiB benchmark
    corpus, which takes 0.4 s to scan. Here the rows of a :class:`FindingTable` are
    formatted from its columns (`shoumi.scanner.row_text`), a group of about
    ``row_text.GROUP_ROWS`` rows at a time.
    """

    def __init__(self, output_format: str) -> None:
        if output_format not in REPORT_FORMATS:
            raise ValueError(
                f"invalid report format {output_format!r}, expected one of {REPORT_FORMATS}"
            )
        self.output_format = output_format
        self.files_scanned = 0
        self.bytes_scanned = 0
        self.finding_count = 0
        self.counts = dict.fromkeys(Kind, 0)
        # JSON entries of the files and of the findings (each followed by ",\n"), or CSV
        # rows. Large reports go to temporary files instead of memory.
        self._files = _Spool()
        self._pieces = _Spool()
        # Files not scanned: counted, and for the table listed with their reasons.
        self.files_not_scanned = 0
        self._skipped: list[tuple[str, str, str]] = []
        # Tables not formatted yet, with their printable paths.
        self._waiting: list[tuple[str, FindingTable]] = []
        self._waiting_rows = 0
        # For the table: each table, or each finding held as a Finding, with its path.
        self._rows: list[tuple[str, FindingTable | Finding]] = []

    @property
    def kinds_found(self) -> set[Kind]:
        return {kind for kind, count in self.counts.items() if count}

    def add(self, result: FileResult) -> None:
        """Count ``result`` and format its findings (for the table, only keep them)."""
        path = printable_path(result.path)
        found = result.finding_count
        self.finding_count += found
        for table in result.tables:
            if not len(table):
                continue
            values, numbers = np.unique(table.kind, return_counts=True)
            for value, number in zip(values.tolist(), numbers.tolist(), strict=True):
                self.counts[Kind(value)] += number
            if self.output_format == "table":
                self._rows.append((path, table))
            else:
                self._waiting.append((path, table))
                self._waiting_rows += len(table)
        if self._waiting_rows >= row_text.GROUP_ROWS:
            self._format_waiting()
        if result.extra_findings:
            self._add_findings(path, result.extra_findings)
        if result.status is FileStatus.SCANNED:
            self.files_scanned += _is_file(result)
            self.bytes_scanned += result.size
        else:
            self.files_not_scanned += 1
            if self.output_format == "table":
                self._skipped.append((path, message_zh(result), result.message))
        if self.output_format == "json":
            self._files.write((_json_entry(_file_entry(path, result, found)) + ",\n").encode())

    def _format_waiting(self) -> None:
        if not self._waiting:
            return
        format_rows = _json_rows if self.output_format == "json" else _csv_rows
        for owners, owner, table in row_text.groups(self._waiting):
            self._pieces.write(format_rows(owners, owner, table))
        self._waiting = []
        self._waiting_rows = 0

    def _add_findings(self, path: str, findings: list[Finding]) -> None:
        for finding in findings:
            self.counts[finding.kind] += 1
        if self.output_format == "table":
            self._rows.extend((path, finding) for finding in findings)
            return
        # Formatted in order, after the tables before them.
        self._format_waiting()
        entries = [_finding_entry(path, finding) for finding in findings]
        if self.output_format == "json":
            self._pieces.write("".join(_json_entry(entry) + ",\n" for entry in entries).encode())
        else:
            buffer = io.StringIO()
            csv.writer(buffer).writerows(
                [entry[column] for column in CSV_COLUMNS] for entry in entries
            )
            self._pieces.write(buffer.getvalue().encode())

    def finish(self, *, started_at: dt.datetime, finished_at: dt.datetime) -> Iterator[bytes]:
        """Return the report's UTF-8 text, in pieces to write one after the other.

        The pieces of a large report are read from temporary files while they are written.
        """
        if self.output_format == "table":
            return iter(self._table())
        self._format_waiting()
        # A full temporary folder fails here, before any of the report is written.
        self._files.flush()
        self._pieces.flush()
        if self.output_format == "csv":
            header = io.StringIO()
            csv.writer(header).writerow(CSV_COLUMNS)
            return itertools.chain([header.getvalue().encode()], self._pieces.read())
        return self._json(started_at, finished_at)

    def _summary(self) -> dict:
        return {
            "files_scanned": self.files_scanned,
            "files_not_scanned": self.files_not_scanned,
            "bytes_scanned": self.bytes_scanned,
            "findings": self.finding_count,
            "findings_by_kind": {kind.label: count for kind, count in self.counts.items()},
        }

    def _json(self, started_at: dt.datetime, finished_at: dt.datetime) -> Iterator[bytes]:
        head = {
            "format": REPORT_FORMAT,
            "version": REPORT_VERSION,
            "started_at": started_at.isoformat(),
            "finished_at": finished_at.isoformat(),
            "summary": self._summary(),
        }
        # The head without its closing brace, then the two lists as json.dump writes them
        # with indent=1.
        yield (json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ",\n").encode()
        for name, entries in ((b"files", self._files), (b"findings", self._pieces)):
            if name == b"findings":
                yield b",\n"
            if not entries.size:
                yield b' "' + name + b'": []'
                continue
            yield b' "' + name + b'": [\n'
            # Every entry ends in ",\n", so the last one's is left out.
            yield from entries.read(entries.size - len(b",\n"))
            yield b"\n ]"
        yield b"\n}\n"

    def _table(self) -> list[bytes]:
        # NOTE: the table keeps every finding table until here (about 30 bytes per finding)
        # and returns its text in one piece, because each column is as wide as its widest
        # cell in the whole report.
        pieces = []
        if self._rows:
            pieces.extend(_table_rows(self._rows))
        out = io.StringIO()
        _write_table_end(out, self._skipped, self._summary())
        pieces.append(out.getvalue().encode())
        return pieces


def _is_file(result: FileResult) -> bool:
    """Tell a file's result from a folder's (whose name was checked or could not be listed)."""
    return result.file_format != FOLDER_FORMAT


def _file_entry(path: str, result: FileResult, findings: int) -> dict:
    """Return a file's entry in the report's ``files`` list."""
    return {
        "path": path,
        "status": result.status.value,
        "format": result.file_format,
        "size": result.size,
        "encoding": result.encoding,
        "message": result.message,
        "message_zh": message_zh(result),
        "findings": findings,
    }


class _Spool:
    """Bytes kept in memory up to ``SPOOL_MEMORY_BYTES``, and in a temporary file beyond.

    The temporary file has no name in the file system and goes away with the process. It
    contains masked values only, as the report does.
    """

    def __init__(self) -> None:
        self._file: tempfile.SpooledTemporaryFile[bytes] | None = None
        self.size = 0

    def write(self, data: bytes) -> None:
        if not data:
            return
        if self._file is None:
            self._file = tempfile.SpooledTemporaryFile(
                max_size=SPOOL_MEMORY_BYTES, prefix="shoumi-report-"
            )
        with self._discarded_on_error():
            self._file.write(data)
        self.size += len(data)

    def flush(self) -> None:
        """Write out what the temporary file buffers, so that a full disk shows now."""
        if self._file is not None:
            with self._discarded_on_error():
                self._file.flush()

    def read(self, limit: int | None = None) -> Iterator[bytes]:
        """Yield the bytes written, up to ``limit``, in pieces of ``SPOOL_READ_BYTES``."""
        if self._file is None:
            return
        left = self.size if limit is None else limit
        self._file.seek(0)
        while left > 0:
            piece = self._file.read(min(left, SPOOL_READ_BYTES))
            if not piece:
                raise OSError(
                    f"temporary report file ended {left} bytes before the {self.size} written"
                )
            left -= len(piece)
            yield piece
        self._file.close()
        self._file = None

    @contextlib.contextmanager
    def _discarded_on_error(self) -> Iterator[None]:
        """Close the temporary file when writing to it fails, and raise the error.

        Closed here, the file's buffer is dropped. Otherwise closing it at exit would try to
        write the buffer again and print the same error as an ignored exception.
        """
        try:
            yield
        except OSError:
            if self._file is not None:
                with contextlib.suppress(OSError):
                    self._file.close()
                self._file = None
            raise


def _finding_entry(path: str, finding: Finding) -> dict:
    """Return a finding's entry in the report's ``findings`` list, with escaped names."""
    entry = {**finding.to_dict(), "path": path}
    # Sheet and part names are the file's own text, escaped like names.
    for key in ("location", "sheet", "part"):
        if key in entry:
            entry[key] = printable_path(entry[key])
    return entry


def _json_entry(entry: dict) -> str:
    """Format ``entry`` as json.dump(indent=1) writes an object two levels down."""
    return "  " + json.dumps(entry, ensure_ascii=False, indent=1).replace("\n", "\n  ")


def _json_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _json_rows(
    owners: list[tuple[str, str | None]], owner: np.ndarray, table: FindingTable
) -> bytes:
    """Format entries of the report's ``findings`` list, each followed by ",\n"."""
    paths, opens, part_lines = [], [], []
    for path, part in owners:
        paths.append(_json_string(path).encode())
        if part is None:
            opens.append(b'"')
            part_lines.append(b"")
            continue
        part_json = _json_string(printable_path(part))
        # str(Location) names a part only if it is not empty. The entry has it if not None.
        opens.append((part_json[:-1] + " ").encode() if part else b'"')
        part_lines.append(f',\n   "part": {part_json}'.encode())
    count = len(table)
    line, column = row_text.numbers(table.line), row_text.numbers(table.column)
    return row_text.pack(
        [
            row_text.constant(count, b'  {\n   "path": '),
            row_text.lookup(paths, owner),
            row_text.constant(count, b',\n   "location": '),
            row_text.lookup(opens, owner),
            line,
            row_text.constant(count, b":"),
            column,
            row_text.constant(count, b'",\n   "line": '),
            line,
            row_text.constant(count, b',\n   "column": '),
            column,
            row_text.lookup(part_lines, owner),
            row_text.constant(count, b',\n   "kind": "'),
            row_text.lookup(_KIND_LABELS, table.kind),
            row_text.constant(count, b'",\n   "masked": "'),
            row_text.masks(table.masked),
            row_text.constant(count, b'",\n   "confidence": "'),
            row_text.lookup(_CONFIDENCE_LABELS, table.confidence),
            row_text.constant(count, b'",\n   "length": '),
            row_text.numbers(table.length),
            row_text.constant(count, b"\n  },\n"),
        ]
    )


def _csv_field(value: str) -> str:
    """Return ``value`` as the csv module writes it in a row, quoted where it has to be."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([value, ""])
    return buffer.getvalue()[: -len(",\r\n")]


def _csv_rows(
    owners: list[tuple[str, str | None]], owner: np.ndarray, table: FindingTable
) -> bytes:
    """Format findings as CSV rows."""
    paths, opens, closes = [], [], []
    for path, part in owners:
        paths.append(_csv_field(path).encode())
        if not part:
            opens.append(b"")
            closes.append(b"")
            continue
        # The location field is the part, a space and line:column, quoted as a whole.
        printable_part = printable_path(part)
        if _csv_field(printable_part) != printable_part:
            opens.append(('"' + printable_part.replace('"', '""') + " ").encode())
            closes.append(b'"')
        else:
            opens.append((printable_part + " ").encode())
            closes.append(b"")
    count = len(table)
    comma = row_text.constant(count, b",")
    return row_text.pack(
        [
            row_text.lookup(paths, owner),
            comma,
            row_text.lookup(opens, owner),
            row_text.numbers(table.line),
            row_text.constant(count, b":"),
            row_text.numbers(table.column),
            row_text.lookup(closes, owner),
            comma,
            row_text.lookup(_KIND_LABELS, table.kind),
            comma,
            row_text.masks(table.masked),
            comma,
            row_text.lookup(_CONFIDENCE_LABELS, table.confidence),
            comma,
            row_text.numbers(table.length),
            row_text.constant(count, b"\r\n"),
        ]
    )


def _table_rows(items: list[tuple[str, FindingTable | Finding]]) -> list[bytes]:
    """Format the findings as :func:`_write_rows` does, under the header row."""
    # The cells of each Finding, and the widest cell of each column.
    cells: dict[int, tuple[str, ...]] = {}
    widths = [display_width(title) for title in _TABLE_HEADER]
    for index, (path, item) in enumerate(items):
        if isinstance(item, Finding):
            location = printable_path(str(item.location))
            cells[index] = (
                path,
                _LOCATION_ZH.get(location, location),
                item.kind.title_zh,
                item.masked,
                _CONFIDENCE_ZH[item.confidence.label],
            )
            cell_widths = [display_width(cell) for cell in cells[index]]
        else:
            part = printable_path(item.part) + " " if item.part else ""
            location = row_text.digit_counts(item.line) + row_text.digit_counts(item.column) + 1
            cell_widths = [
                display_width(path),
                display_width(part) + int(location.max()),
                max(display_width(Kind(kind).title_zh) for kind in np.unique(item.kind).tolist()),
                int(np.char.str_len(item.masked).max()),
                2,
            ]
        widths = [max(width, cell) for width, cell in zip(widths, cell_widths, strict=True)]
    path_width, location_width, kind_width, mask_width, _ = widths

    def pad(cell: str, width: int) -> str:
        return cell + " " * (width - display_width(cell))

    def line_of(cells: tuple[str, ...]) -> bytes:
        padded = (pad(cell, width) for cell, width in zip(cells, widths, strict=True))
        return ("  ".join(padded).rstrip() + "\n").encode()

    titles = _by_value({kind.value: pad(kind.title_zh, kind_width) for kind in Kind})
    pieces = [line_of(_TABLE_HEADER)]
    tables: list[tuple[str, FindingTable]] = []

    def format_tables() -> None:
        for owners, owner, table in row_text.groups(tables):
            paths = [pad(path, path_width).encode() for path, _ in owners]
            parts = [printable_path(part) + " " if part else "" for _, part in owners]
            # Spaces after line:column fill the location cell, whose start is the part.
            rest = np.array([location_width - display_width(part) for part in parts])[owner]
            written = row_text.digit_counts(table.line) + row_text.digit_counts(table.column) + 1
            count = len(table)
            two_spaces = row_text.constant(count, b"  ")
            mask_cells = row_text.masks(table.masked)[:, :mask_width]
            mask_cells = np.where(mask_cells == 0, np.uint8(0x20), mask_cells)
            padding = mask_width - mask_cells.shape[1]
            pieces.append(
                row_text.pack(
                    [
                        row_text.lookup(paths, owner),
                        two_spaces,
                        row_text.lookup([part.encode() for part in parts], owner),
                        row_text.numbers(table.line),
                        row_text.constant(count, b":"),
                        row_text.numbers(table.column),
                        row_text.spaces(rest - written, location_width),
                        two_spaces,
                        row_text.lookup(titles, table.kind),
                        two_spaces,
                        mask_cells,
                        row_text.constant(count, b" " * padding + b"  "),
                        # The confidence is the last cell: not padded (rstrip in line_of).
                        row_text.lookup(_CONFIDENCE_TITLES, table.confidence),
                        row_text.constant(count, b"\n"),
                    ]
                )
            )
        tables.clear()

    for index, (path, item) in enumerate(items):
        if isinstance(item, FindingTable):
            tables.append((path, item))
            continue
        format_tables()
        pieces.append(line_of(cells[index]))
    format_tables()
    return pieces
