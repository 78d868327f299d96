"""Scan text: encoding detection, block-wise scanning of large files, and lists of short strings."""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from typing import BinaryIO

import numpy as np

from shoumi.scanner.engine import Matches, scan_utf8
from shoumi.scanner.errors import UnreadableFileError
from shoumi.scanner.kinds import Kind
from shoumi.scanner.model import FindingTable, ScanOptions

SAMPLE_BYTES = 1 << 16
# A block that has no newline in its last part is cut after one of these bytes instead; no
# identifier or group separator contains them.
_SAFE_CUT_BYTES = b"\t,;|<>\"'()[]{}"


def detect_encoding(sample: bytes) -> str:
    """Name the encoding of a file from its first bytes.

    Order: a byte-order mark; strict UTF-8; UTF-16 without a mark (many NUL
    bytes in alternate positions); strict GB18030, which also covers GBK and
    GB2312. Trying GB18030 before UTF-8 would "succeed" on UTF-8 bytes and
    garble every Chinese character without an error.

    Raises:
        UnreadableFileError: binary data or no encoding that decodes the sample.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(sample, "utf-8"):
        if b"\x00" in sample:
            raise UnreadableFileError("binary file (NUL bytes)", status="unsupported")
        return "utf-8"
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = max(len(sample) // 2, 1)
    if odd_nuls > half * 0.3 and even_nuls < half * 0.05 and _decodes(sample, "utf-16-le"):
        return "utf-16-le"
    if even_nuls > half * 0.3 and odd_nuls < half * 0.05 and _decodes(sample, "utf-16-be"):
        return "utf-16-be"
    if b"\x00" in sample:
        raise UnreadableFileError("binary file (NUL bytes)", status="unsupported")
    if _decodes(sample, "gb18030"):
        return "gb18030"
    raise UnreadableFileError("unknown text encoding: not UTF-8, UTF-16 or GB18030")


def _decodes(sample: bytes, encoding: str) -> bool:
    """Decode strictly, allowing a multi-byte character cut off at the end of the sample."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def scan_stream(stream: BinaryIO, options: ScanOptions) -> tuple[list[FindingTable], str, int]:
    """Scan a text file block by block; return its finding tables, encoding and size in bytes.

    UTF-8 files are scanned as bytes without decoding, so offsets are file
    offsets. Other encodings are decoded and re-encoded as UTF-8 first.

    Raises:
        UnreadableFileError: see :func:`detect_encoding`, or the text stops decoding later on.
    """
    sample = stream.read(SAMPLE_BYTES)
    encoding = detect_encoding(sample)
    if encoding in ("utf-8", "utf-8-sig"):
        # A byte-order mark is no letter or digit, so it can stay in the scanned bytes.
        blocks = _utf8_blocks(stream, sample, options.block_bytes)
    else:
        blocks = _recoded_blocks(stream, sample, encoding, options.block_bytes)
    collector = _Collector(options)
    for block in blocks:
        collector.add(block)
    return collector.tables(), encoding, collector.size


def scan_bytes(data: bytes, options: ScanOptions) -> tuple[list[FindingTable], str]:
    """Scan text held in memory (an e-mail part, an archive member); see :func:`scan_stream`."""
    encoding = detect_encoding(data[:SAMPLE_BYTES])
    collector = _Collector(options)
    if encoding in ("utf-8", "utf-8-sig"):
        for block in _cut(data, options.block_bytes):
            collector.add(block)
    else:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as error:
            raise UnreadableFileError(f"text does not decode as {encoding}") from error
        for block in _cut(text.encode("utf-8"), options.block_bytes):
            collector.add(block)
    return collector.tables(), encoding


def scan_segments(
    texts: list[str], options: ScanOptions
) -> list[tuple[int, int, int, int, int, int, str]]:
    """Scan many short strings (cells, paragraphs, pages) in one pass.

    The strings are joined with newlines, so no identifier spans two of them.
    Returns ``(segment index, line in segment, column, kind, confidence,
    length, mask)`` tuples; line and column start at 1.
    """
    if not texts:
        return []
    encoded = [text.encode("utf-8", "replace") for text in texts]
    starts = np.cumsum([0] + [len(chunk) + 1 for chunk in encoded[:-1]])
    first_lines = np.cumsum([0] + [chunk.count(b"\n") + 1 for chunk in encoded[:-1]])
    matches = _filter(scan_utf8(b"\n".join(encoded)), options)
    segment = np.searchsorted(starts, matches.start, side="right") - 1
    line_in_segment = matches.line - first_lines[segment] + 1
    return list(
        zip(
            segment.tolist(),
            line_in_segment.tolist(),
            (matches.column + 1).tolist(),
            matches.kind.tolist(),
            matches.confidence.tolist(),
            matches.length.tolist(),
            [mask.decode("ascii") for mask in matches.masked.tolist()],
            strict=True,
        )
    )


def _filter(matches: Matches, options: ScanOptions) -> Matches:
    keep = matches.confidence >= options.min_confidence
    if len(options.kinds) < len(Kind):
        keep &= np.isin(matches.kind, [int(kind) for kind in options.kinds])
    if keep.all():
        return matches
    return Matches(
        start=matches.start[keep],
        end=matches.end[keep],
        kind=matches.kind[keep],
        confidence=matches.confidence[keep],
        masked=matches.masked[keep],
        line=matches.line[keep],
        column=matches.column[keep],
        length=matches.length[keep],
        line_count=matches.line_count,
    )


class _Collector:
    """Accumulate block results into one table with file-wide offsets and line numbers."""

    def __init__(self, options: ScanOptions) -> None:
        self.options = options
        self.size = 0
        self.lines = 0
        self.parts: list[Matches] = []
        self.offsets: list[int] = []
        self.line_bases: list[int] = []

    def add(self, block: bytes) -> None:
        matches = _filter(scan_utf8(block), self.options)
        if len(matches):
            self.parts.append(matches)
            self.offsets.append(self.size)
            self.line_bases.append(self.lines)
        self.size += len(block)
        self.lines += matches.line_count

    def tables(self) -> list[FindingTable]:
        if not self.parts:
            return []
        return [
            FindingTable(
                byte_offset=np.concatenate(
                    [
                        part.start + offset
                        for part, offset in zip(self.parts, self.offsets, strict=True)
                    ]
                ),
                line=np.concatenate(
                    [
                        part.line + base + 1
                        for part, base in zip(self.parts, self.line_bases, strict=True)
                    ]
                ),
                column=np.concatenate([part.column + 1 for part in self.parts]),
                length=np.concatenate([part.length for part in self.parts]),
                kind=np.concatenate([part.kind for part in self.parts]),
                confidence=np.concatenate([part.confidence for part in self.parts]),
                masked=np.concatenate([part.masked for part in self.parts]),
            )
        ]


def _cut_point(block: bytes | bytearray) -> int:
    """Return where to end a block: after its last newline, or after a byte no identifier has."""
    newline = block.rfind(b"\n")
    if newline >= 0:
        return newline + 1
    for position in range(len(block) - 1, max(len(block) - 4096, 0) - 1, -1):
        if block[position] in _SAFE_CUT_BYTES:
            return position + 1
    # NOTE: no newline and no safe byte in the last 4 KiB: an identifier may be split here.
    return len(block)


def _cut(data: bytes, block_bytes: int) -> Iterable[bytes]:
    position = 0
    while position < len(data):
        end = position + block_bytes
        if end >= len(data):
            yield data[position:]
            return
        end = position + _cut_point(memoryview(data)[position:end].tobytes())
        yield data[position:end]
        position = end


def _utf8_blocks(stream: BinaryIO, head: bytes, block_bytes: int) -> Iterable[bytes]:
    pending = head
    while True:
        chunk = stream.read(block_bytes)
        if not chunk:
            if pending:
                yield pending
            return
        pending += chunk
        if len(pending) < block_bytes:
            continue
        cut = _cut_point(pending)
        yield pending[:cut]
        pending = pending[cut:]


def _recoded_blocks(
    stream: BinaryIO, head: bytes, encoding: str, block_bytes: int
) -> Iterable[bytes]:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    pending = b""
    chunk = head
    try:
        while chunk:
            pending += decoder.decode(chunk, final=False).encode("utf-8")
            while len(pending) >= block_bytes:
                cut = _cut_point(pending[:block_bytes])
                yield pending[:cut]
                pending = pending[cut:]
            chunk = stream.read(block_bytes)
        pending += decoder.decode(b"", final=True).encode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableFileError(
            f"text stops decoding as {encoding} near byte {error.start}"
        ) from error
    if pending:
        yield pending
