"""Report rows of FindingTables, formatted column by column with NumPy.

A dense file has thousands of findings per megabyte, and the report lists each one. Python
formatting one row at a time (an f-string over the columns) took about 0.9 µs per CSV row
and 1.7 µs per JSON entry, as long as the scan itself or longer on the benchmark corpus.
These functions take about 0.35 µs per row. The command line formats in its own process
while workers scan, so this time limits how much faster workers make the whole command.

Each field of a group of rows is a ``(rows, width)`` matrix of UTF-8 bytes in which NUL
means "no byte": numbers are right-aligned after NULs, labels and masks left-aligned
before them. The fields of a row are laid side by side and the NULs dropped, which leaves
the rows one after the other. Paths and part names contain no NUL: they are escaped
(:func:`shoumi.scanner.report.printable_path`) before they get here.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from shoumi.scanner.model import FindingTable

# Rows formatted at once. A group's matrix takes the path's bytes plus about 100 (CSV) to
# 200 (JSON) bytes per row.
GROUP_ROWS = 8192
# Decimal digits of the largest uint64.
_MAX_DIGITS = 20
_POWERS_OF_TEN = [np.uint64(10**power) for power in range(1, _MAX_DIGITS)]
# "0000" to "9999", four bytes each, read as one 32-bit word per number.
_FOUR_DIGITS = np.frombuffer(
    "".join(f"{number:04d}" for number in range(10_000)).encode(), dtype=np.uint32
)


def digit_counts(values: np.ndarray) -> np.ndarray:
    """Count the characters of each integer written in decimal: its digits and any minus."""
    magnitudes = np.abs(values.astype(np.int64)).astype(np.uint64)
    counts = np.ones(values.shape, dtype=np.int64) + (values < 0)
    largest = int(magnitudes.max()) if values.size else 0
    for power in _POWERS_OF_TEN[: len(str(largest)) - 1]:
        counts += magnitudes >= power
    return counts


def numbers(values: np.ndarray) -> np.ndarray:
    """Write integers in decimal digits, right-aligned after NULs, with a minus if negative."""
    negative = values < 0
    magnitudes = np.abs(values.astype(np.int64)).astype(np.uint64)
    counts = digit_counts(magnitudes)
    chunks = -(-int(counts.max()) // 4) if values.size else 1
    # Four digits per division, read from a table of "0000" to "9999" as 32-bit words.
    words = np.empty((values.shape[0], chunks), dtype=np.uint32)
    for chunk in range(chunks - 1, -1, -1):
        magnitudes, low = np.divmod(magnitudes, np.uint64(10_000))
        words[:, chunk] = _FOUR_DIGITS[low]
    digits = words.view(np.uint8)
    # Leading zeros are dropped, but the last digit stays, so 0 is written "0".
    digits *= np.arange(4 * chunks) >= (4 * chunks - counts)[:, None]
    if not negative.any():
        return digits
    # The minus goes before the digits: the NULs between them are dropped.
    sign = np.where(negative, np.uint8(ord("-")), np.uint8(0))
    return np.concatenate((sign[:, None], digits), axis=1)


def constant(count: int, data: bytes) -> np.ndarray:
    """Return ``data`` as the same bytes in each of ``count`` rows."""
    return np.broadcast_to(np.frombuffer(data, dtype=np.uint8), (count, len(data)))


def lookup(values: list[bytes], index: np.ndarray) -> np.ndarray:
    """Return ``values[i]`` for each ``i`` of ``index``, left-aligned before NULs."""
    # As wide as the longest value used: the kind labels run from 6 to 30 bytes.
    used = np.flatnonzero(np.bincount(index, minlength=len(values)))
    width = max(1, max((len(values[position]) for position in used.tolist()), default=0))
    table = np.array([value[:width] for value in values], dtype=f"S{width}")
    return table.view(np.uint8).reshape(len(values), width)[index]


def masks(masked: np.ndarray) -> np.ndarray:
    """Return a FindingTable's masks (ASCII, NUL-padded) as a matrix."""
    masked = np.ascontiguousarray(masked)
    return masked.view(np.uint8).reshape(masked.shape[0], masked.dtype.itemsize)


def spaces(counts: np.ndarray, width: int) -> np.ndarray:
    """Return ``counts[i]`` spaces in row ``i``, in ``width`` columns."""
    columns = np.arange(max(width, 0))
    return np.where(columns < counts[:, None], np.uint8(0x20), np.uint8(0))


def pack(fields: list[np.ndarray]) -> bytes:
    """Join each row's ``fields`` and the rows, dropping the NULs."""
    matrix = np.concatenate(fields, axis=1)
    return matrix[matrix != 0].tobytes()


def groups(
    items: list[tuple[str, FindingTable]],
) -> Iterator[tuple[list[tuple[str, str | None]], np.ndarray, FindingTable]]:
    """Group consecutive tables into runs of about ``GROUP_ROWS`` rows.

    Yields the (path, part) of each table in the group, the index of each row's table in
    that list, and the group's rows as one table. A large table is cut into several groups.
    """
    owners: list[tuple[str, str | None]] = []
    counts: list[int] = []
    pieces: list[FindingTable] = []
    rows = 0
    for path, table in items:
        start = 0
        while start < len(table):
            take = min(len(table) - start, GROUP_ROWS - rows)
            pieces.append(table.rows(slice(start, start + take), table.part))
            owners.append((path, table.part))
            counts.append(take)
            rows += take
            start += take
            if rows >= GROUP_ROWS:
                yield owners, np.repeat(np.arange(len(counts)), counts), _joined(pieces)
                owners, counts, pieces, rows = [], [], [], 0
    if rows:
        yield owners, np.repeat(np.arange(len(counts)), counts), _joined(pieces)


def _joined(pieces: list[FindingTable]) -> FindingTable:
    return pieces[0] if len(pieces) == 1 else FindingTable.joined(pieces)
