"""Scan a large UTF-8 text file in byte ranges, so that several worker processes share it.

:func:`plan_ranges` divides a file into ranges, :func:`scan_range` scans one range (in a
worker) and :func:`merge_ranges` joins the range results into the one result that
:func:`shoumi.scanner.formats.scan_path` returns for the whole file: the same findings in
the same order, with the same offsets, lines, columns and confidence.

That holds because a range is a run of the blocks that the whole-file scan cuts the file
into, and each block is scanned on its own in both cases, with the bytes before it read
for context words only. A range reads those bytes from the file, as the whole-file scan
keeps them from the block before. Line numbers, columns and byte offsets are carried from
one range to the next when the results are merged. Ranges start after a newline, so never
inside a UTF-8 character.

Only files that :func:`shoumi.scanner.text.detect_encoding` reads as UTF-8, with or
without a byte-order mark, are split, because those are scanned as bytes without
decoding. Other encodings, archives, Office files, PDF and e-mail are scanned whole.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import BinaryIO

import numpy as np

from shoumi.scanner.errors import UnreadableFileError
from shoumi.scanner.formats import READ_ERROR_PREFIX, is_plain_text_candidate
from shoumi.scanner.model import FileResult, FileStatus, FindingTable, ScanOptions
from shoumi.scanner.text import (
    SAMPLE_BYTES,
    RangeScan,
    RangeStart,
    detect_encoding,
    scan_utf8_range,
)

_SPLIT_ENCODINGS = ("utf-8", "utf-8-sig")

# Files shorter than the split size plus this (or plus one block, if smaller) are not
# split: their last range would be too short to be worth a job of its own.
MIN_LAST_RANGE_BYTES = 1 << 20

# Bytes read back from the end of a block's window to find its last newline when planning
# ranges. When a window ends in a longer line, the rest of the file stays in one range.
_PLAN_LOOKBACK_BYTES = 1 << 16


@dataclass(frozen=True)
class TextRange:
    """Range ``index`` of the ``count`` ranges of a UTF-8 text file.

    It runs from ``start.offset`` up to byte ``end``, or to the end of the file when ``end``
    is None.
    """

    path: str
    index: int
    count: int
    start: RangeStart
    end: int | None
    encoding: str


@dataclass
class RangeResult:
    """Findings of one range, or ``error``, the message of a failed read, with ``scan`` None."""

    text_range: TextRange
    scan: RangeScan | None
    error: str = ""


def plan_ranges(path: str, options: ScanOptions) -> list[TextRange]:
    """Return the ranges to scan ``path`` in, or an empty list to scan the file whole.

    Files of less than ``options.split_bytes`` plus ``MIN_LAST_RANGE_BYTES`` (or plus one
    block, if smaller) are scanned whole, without reading them here: their last range
    would cost more as a job of its own than it saves. So is every file that cannot be
    opened or read here, so that the whole-file scan reports the error.
    """
    try:
        size = os.path.getsize(path)
        if size < options.split_bytes + min(options.block_bytes, MIN_LAST_RANGE_BYTES):
            return []
        with open(path, "rb") as stream:
            sample = stream.read(SAMPLE_BYTES)
            if not is_plain_text_candidate(sample[:8], path):
                return []
            encoding = detect_encoding(sample)
            if encoding not in _SPLIT_ENCODINGS:
                return []
            starts = plan_utf8_ranges(stream, size, options.block_bytes, options.split_bytes)
    except (OSError, UnreadableFileError):
        return []
    if len(starts) < 2:
        return []
    ends: list[int | None] = [start.offset for start in starts[1:]]
    ends.append(None)
    return [
        TextRange(path, index, len(starts), start, end, encoding)
        for index, (start, end) in enumerate(zip(starts, ends, strict=True))
    ]


def plan_utf8_ranges(
    stream: BinaryIO, size: int, block_bytes: int, range_bytes: int
) -> list[RangeStart]:
    """Divide a UTF-8 file of ``size`` bytes into ranges of about ``range_bytes`` each.

    A range is a run of the blocks that :func:`shoumi.scanner.text.scan_stream` cuts the
    file into. This replays the loop of ``text._scan_utf8_stream`` on file offsets, reading
    only the end of each block's window to find the newline that the block ends with. A
    range ends with the first block that ends past the next multiple of ``range_bytes``.
    The last range runs to the end of the file, and a single range means that the file is
    not worth splitting.
    """
    starts = [RangeStart(0, min(size, SAMPLE_BYTES))]
    start = 0
    read_end = starts[0].read_end
    next_boundary = range_bytes
    while read_end < size:
        read_end = min(size, read_end + block_bytes)
        if read_end - start < block_bytes:
            continue
        window_start = max(start, read_end - _PLAN_LOOKBACK_BYTES)
        stream.seek(window_start)
        newline = stream.read(read_end - window_start).rfind(b"\n")
        if newline < 0:
            # The block ends at an earlier newline or inside a line, and this does not
            # find where, so the rest of the file stays in the last range.
            break
        start = window_start + newline + 1
        if start >= next_boundary and start < size:
            starts.append(RangeStart(start, read_end))
            next_boundary = (start // range_bytes + 1) * range_bytes
    return starts


def scan_range(text_range: TextRange, options: ScanOptions) -> RangeResult:
    """Scan one range of a file. A failed read is returned as an error message, not raised."""
    try:
        with open(text_range.path, "rb") as stream:
            scan = scan_utf8_range(stream, text_range.start, text_range.end, options)
    except OSError as error:
        return RangeResult(text_range, None, error=f"{READ_ERROR_PREFIX} {error.strerror}")
    return RangeResult(text_range, scan)


def merge_ranges(results: list[RangeResult]) -> FileResult:
    """Join the results of all ranges of one file into the result of the whole file.

    If any range could not be read, the file is unreadable, with the message of the first
    such range, as :func:`shoumi.scanner.formats.scan_path` reports a failed read.
    """
    results = sorted(results, key=lambda result: result.text_range.index)
    first = results[0].text_range
    scans = []
    for result in results:
        if result.scan is None:
            return FileResult(path=first.path, status=FileStatus.UNREADABLE, message=result.error)
        scans.append(result.scan)
    # The bytes scanned, as the whole-file scan reports them, also when the file changed
    # after the ranges were planned.
    return FileResult(
        path=first.path,
        file_format="text",
        size=sum(scan.size for scan in scans),
        encoding=first.encoding,
        tables=merge_range_scans(scans),
    )


def merge_range_scans(scans: list[RangeScan]) -> list[FindingTable]:
    """Join the scans of consecutive ranges into the tables that ``scan_stream`` returns.

    Byte offsets and line numbers are shifted by the ranges before, and the columns on a
    range's first line by the characters of a line that the range before left open.
    """
    parts = []
    offset = lines = line_chars = 0
    for scan in scans:
        for table in (table.widened() for table in scan.tables):
            column = table.column
            if line_chars:
                column = column + np.where(table.line == 1, line_chars, 0)
            parts.append(
                replace(
                    table,
                    byte_offset=table.byte_offset + offset,
                    line=table.line + lines,
                    column=column,
                )
            )
        offset += scan.size
        lines += scan.line_count
        if scan.line_count:
            line_chars = scan.last_line_chars
        else:
            line_chars += scan.last_line_chars
    if len(parts) <= 1:
        return parts
    return [FindingTable.joined(parts)]
