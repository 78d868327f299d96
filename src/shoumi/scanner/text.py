"""Scan text: encoding detection, block-wise scanning of large files, and lists of short strings."""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import BinaryIO

import numpy as np

from shoumi.scanner.engine import (
    CONTEXT_BYTES,
    PAD_BYTES,
    TAIL_PAD_BYTES,
    Matches,
    scan_padded,
    scan_utf8,
)
from shoumi.scanner.errors import UnreadableFileError
from shoumi.scanner.kinds import Kind
from shoumi.scanner.model import FindingTable, ScanOptions

SAMPLE_BYTES = 1 << 16
# A block that has no newline in its last part is cut after one of these bytes instead; no
# identifier or group separator contains them.
_SAFE_CUT_BYTES = b"\t,;|<>\"'()[]{}"
# Lead bytes of the UTF-8 characters U+2000 to U+9FFF, none of which is in an identifier.
# A block can be cut before one, except the ideographic space U+3000, which separates the
# digit groups of a number. Full-width letters and digits lead with 0xEF.
_CJK_LEAD_FIRST = 0xE2
_CJK_LEAD_LAST = 0xE9
# A sample that does not decode strictly still names its encoding with at most one
# undecodable sequence per this many bytes: 16 in the 64 KiB sample.
_SAMPLE_BYTES_PER_ERROR = 4096


def detect_encoding(sample: bytes) -> str:
    """Name the encoding of a file from its first bytes.

    Order: a byte-order mark (UTF-8, UTF-32, then UTF-16); strict UTF-8; UTF-16
    without a mark (many NUL bytes in alternate positions); strict GB18030,
    which also covers GBK and GB2312; then UTF-8 or GB18030 with a few bytes
    that do not decode. Trying GB18030 before UTF-8 would
    "succeed" on UTF-8 bytes and garble every Chinese character without an
    error. The UTF-32 LE mark (FF FE 00 00) starts with the UTF-16 LE mark, so
    UTF-32 comes first. UTF-32 without a mark is not detected.

    Raises:
        UnreadableFileError: binary data or no encoding that decodes the sample.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    # NOTE: UTF-16 LE text that starts with the character U+0000 also starts with FF FE 00 00.
    # It is read as UTF-32, where its characters do not decode (unless they are control
    # characters below U+0011): they are replaced, so its identifiers are missed, and the
    # file's message counts the replacements.
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
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
    # A few damaged bytes, such as one overwritten in a ledger, leave the rest readable. The
    # scan passes over invalid UTF-8 and replaces what does not decode in other encodings.
    allowed = max(1, len(sample) // _SAMPLE_BYTES_PER_ERROR)
    for encoding in ("utf-8", "gb18030"):
        if _decode_errors(sample, encoding) <= allowed:
            return encoding
    raise UnreadableFileError("unknown text encoding: not UTF-8, UTF-16 or GB18030")


def _decode_errors(sample: bytes, encoding: str) -> int:
    """Count the byte sequences of ``sample`` that do not decode (see ``_decodes``)."""
    before = _replacements[0]
    codecs.getincrementaldecoder(encoding)(errors=_COUNTED_REPLACE).decode(sample, final=False)
    return _replacements[0] - before


def _decodes(sample: bytes, encoding: str) -> bool:
    """Decode strictly, allowing a multi-byte character cut off at the end of the sample."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def scan_stream(
    stream: BinaryIO, options: ScanOptions, notes: list[str] | None = None
) -> tuple[list[FindingTable], str, int]:
    """Scan a text file block by block; return its finding tables, encoding and size in bytes.

    UTF-8 files are scanned as bytes without decoding, so offsets are file
    offsets, and invalid sequences are passed over. Other encodings are decoded and
    re-encoded as UTF-8 first. A byte sequence that does not decode after the sample
    becomes U+FFFD, and the rest is scanned. ``notes``, when given, receives a message
    with the number replaced.

    Raises:
        UnreadableFileError: see :func:`detect_encoding`.
    """
    sample = stream.read(SAMPLE_BYTES)
    encoding = detect_encoding(sample)
    if encoding in ("utf-8", "utf-8-sig"):
        # A byte-order mark is no letter or digit, so it can stay in the scanned bytes, which
        # keeps byte offsets file offsets. The collector takes it off the columns.
        collector = _Collector(options, has_bom=encoding == "utf-8-sig")
        _scan_utf8_stream(stream, sample, options.block_bytes, collector)
    else:
        # The decoders of UTF-16 and UTF-32 drop the byte-order mark.
        collector = _Collector(options)
        replaced = _replacements[0]
        for block in _recoded_blocks(stream, sample, encoding, options.block_bytes):
            collector.add(block)
        _note_replacements(_replacements[0] - replaced, encoding, notes)
    return collector.tables(), encoding, collector.size


def scan_bytes(
    data: bytes, options: ScanOptions, notes: list[str] | None = None
) -> tuple[list[FindingTable], str]:
    """Scan text held in memory (an e-mail part, an archive member); see :func:`scan_stream`."""
    encoding = detect_encoding(data[:SAMPLE_BYTES])
    collector = _Collector(options, has_bom=encoding == "utf-8-sig")
    if encoding in ("utf-8", "utf-8-sig"):
        for block in _cut(data, options.block_bytes):
            collector.add(block)
    else:
        replaced = _replacements[0]
        text = data.decode(encoding, errors=_COUNTED_REPLACE)
        _note_replacements(_replacements[0] - replaced, encoding, notes)
        for block in _cut(text.encode("utf-8"), options.block_bytes):
            collector.add(block)
    return collector.tables(), encoding


# Error handler of the decoders: each byte sequence that does not decode becomes U+FFFD and
# is counted in _replacements, which scan_stream and scan_bytes read before and after.
_COUNTED_REPLACE = "shoumi.scanner.counted-replace"
_replacements = [0]


def _replace_counted(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    _replacements[0] += 1
    return "\ufffd", error.end


codecs.register_error(_COUNTED_REPLACE, _replace_counted)


def _note_replacements(count: int, encoding: str, notes: list[str] | None) -> None:
    if count and notes is not None:
        notes.append(
            f"{count} byte sequence(s) did not decode as {encoding}; "
            "each was replaced with U+FFFD and the rest scanned"
        )


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


# Separator between two files scanned in one batch (see scan_utf8_files): NUL bytes, which
# are no letter, digit or context word, then a newline, so that the next file starts a
# line. The NUL bytes outnumber the context window, as the padding of a single file does.
_FILE_SEPARATOR = b"\x00" * (CONTEXT_BYTES + 1) + b"\n"


def scan_utf8_files(contents: list[bytes], options: ScanOptions) -> list[list[FindingTable]]:
    """Scan several whole UTF-8 files in one pass; return the tables of each, in order.

    Each content must be a whole file that :func:`scan_stream` reads as UTF-8 (with or
    without a byte-order mark) and scans as one block, so shorter than ``options.block_bytes``.
    The findings are then the ones that file gets scanned alone: the engine costs about
    2 ms per call whatever the size, which made small files scan at about 13 MB/s one by
    one.
    """
    if not contents:
        return []
    starts = np.cumsum([0] + [len(content) + len(_FILE_SEPARATOR) for content in contents])
    # Lines before each file: those of the files before it, plus one separator newline each.
    line_bases = np.cumsum([0] + [content.count(b"\n") + 1 for content in contents])
    matches = _filter(scan_utf8(_FILE_SEPARATOR.join(contents)), options)
    owner = np.searchsorted(starts, matches.start, side="right") - 1
    bounds = np.searchsorted(owner, np.arange(len(contents) + 1))
    tables: list[list[FindingTable]] = []
    for index in range(len(contents)):
        rows = slice(int(bounds[index]), int(bounds[index + 1]))
        if rows.start == rows.stop:
            tables.append([])
            continue
        masked = matches.masked[rows]
        # As wide as the file's widest mask. A scan of the file alone gives the width of
        # its widest mask before filtering by kind and confidence, so it may be wider.
        width = int(np.char.str_len(masked).max())
        line = matches.line[rows] - line_bases[index] + 1
        column = matches.column[rows] + 1
        if contents[index].startswith(codecs.BOM_UTF8):
            # The engine counts the byte-order mark as a character of line 1 (see _Collector).
            column = column - (line == 1)
        tables.append(
            [
                FindingTable(
                    byte_offset=matches.start[rows] - starts[index],
                    line=line,
                    column=column,
                    length=matches.length[rows],
                    kind=matches.kind[rows],
                    confidence=matches.confidence[rows],
                    masked=masked.astype(f"S{width}"),
                )
            ]
        )
    return tables


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
        last_line_chars=matches.last_line_chars,
    )


class _Collector:
    """Accumulate block results into one table with file-wide offsets and line numbers.

    ``before`` is the text that precedes the first block, read for context words only.
    ``has_bom`` says that the first block starts with a UTF-8 byte-order mark.
    """

    def __init__(self, options: ScanOptions, before: bytes = b"", has_bom: bool = False) -> None:
        self.options = options
        # The last CONTEXT_BYTES of the text before the next block, so that a context word
        # at the end of one block raises the confidence of a finding at the start of the next.
        self.before = before[-CONTEXT_BYTES:]
        self.size = 0
        self.lines = 0
        # Characters of the current line that earlier blocks contained. The engine counts a
        # byte-order mark as a character of line 1, but it is not part of the text, so it
        # starts at -1 to take the mark off the columns of line 1.
        self.line_chars = -1 if has_bom else 0
        self.parts: list[Matches] = []
        self.offsets: list[int] = []
        self.line_bases: list[int] = []

    def add(self, block: bytes) -> None:
        matches = scan_utf8(block, self.before)
        self.remember(block)
        self.add_matches(matches, len(block))

    def remember(self, block: bytes | bytearray) -> None:
        """Append the end of ``block`` to the context kept for the next block."""
        self.before = (self.before + bytes(block[-CONTEXT_BYTES:]))[-CONTEXT_BYTES:]

    def add_matches(self, matches: Matches, size: int) -> None:
        """Add the matches of the next block, which is ``size`` bytes long."""
        matches = _filter(matches, self.options)
        if len(matches):
            if self.line_chars:
                # The block's first line continues the previous block's last line.
                column = matches.column + np.where(matches.line == 0, self.line_chars, 0)
                matches = replace(matches, column=column)
            self.parts.append(matches)
            self.offsets.append(self.size)
            self.line_bases.append(self.lines)
        self.size += size
        self.lines += matches.line_count
        if matches.line_count:
            self.line_chars = matches.last_line_chars
        else:
            self.line_chars += matches.last_line_chars

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


def _cut_point(block: bytes | bytearray, start: int = 0, end: int | None = None) -> int:
    """Return where to end ``block[start:end]``, counted from ``start``.

    The cut comes after the last newline. Else it comes in the final 4 KiB, after the last
    byte that no identifier contains, or before a character from U+2000 to U+9FFF (CJK
    text and punctuation, but not the ideographic space) or a full-width punctuation
    mark, which Chinese text without ASCII punctuation is made of.
    """
    end = len(block) if end is None else end
    newline = block.rfind(b"\n", start, end)
    if newline >= 0:
        return newline + 1 - start
    for position in range(end - 1, max(end - 4096, start) - 1, -1):
        byte = block[position]
        if byte in _SAFE_CUT_BYTES:
            return position + 1 - start
        if position > start and (
            (
                _CJK_LEAD_FIRST <= byte <= _CJK_LEAD_LAST
                and not _ideographic_space(block, position, end)
            )
            or (byte == 0xEF and position + 2 < end and _fullwidth_punctuation(block, position))
        ):
            return position - start
    # NOTE: no newline, no safe byte and no CJK character or full-width punctuation in the
    # last 4 KiB (numbers joined by spaces, say): an identifier may be split here.
    return end - start


def _ideographic_space(block: bytes | bytearray, position: int, end: int) -> bool:
    """Return whether U+3000, which joins the digit groups of a number, starts here.

    A character cut off at ``end`` (the end of what was read) may be one.
    """
    return b"\xe3\x80\x80".startswith(block[position : min(position + 3, end)])


def _fullwidth_punctuation(block: bytes | bytearray, position: int) -> bool:
    """Return whether a full-width form other than a letter or digit (，：；（）) starts here."""
    second, third = block[position + 1], block[position + 2]
    if second == 0xBC:
        return not (0x90 <= third <= 0x99 or 0xA1 <= third <= 0xBA)
    if second == 0xBD:
        return not 0x81 <= third <= 0x9A
    return False


def _cut(data: bytes, block_bytes: int) -> Iterable[bytes]:
    position = 0
    while position < len(data):
        end = position + block_bytes
        if end >= len(data):
            yield data[position:]
            return
        end = position + _cut_point(data, position, end)
        yield data[position:end]
        position = end


def _scan_utf8_stream(
    stream: BinaryIO,
    head: bytes,
    block_bytes: int,
    collector: _Collector,
    limit: int | None = None,
) -> None:
    """Scan a UTF-8 stream in blocks of at least ``block_bytes``, each ending at ``_cut_point``.

    The stream is read into one buffer laid out as the engine expects (NUL padding, text,
    NUL padding), so no block is copied. The bytes after a block belong to the next one;
    they are set to NUL while the block is scanned and put back afterwards.

    With ``limit``, scanning stops after ``limit`` bytes, and a block that would go past
    them is cut there. :func:`shoumi.scanner.split.plan_utf8_ranges` replays this loop, so
    a change to where blocks are cut here must be made there too.
    """
    buffer = bytearray(PAD_BYTES + len(head) + block_bytes + TAIL_PAD_BYTES)
    buffer[PAD_BYTES : PAD_BYTES + len(head)] = head
    filled = len(head)
    scanned = 0
    while True:
        needed = PAD_BYTES + filled + block_bytes + TAIL_PAD_BYTES
        if needed > len(buffer):
            # The text left over after a cut, plus a full read, does not fit. This happens
            # when a block is cut early, at a newline near its start.
            buffer = buffer + bytes(needed - len(buffer))
        with memoryview(buffer) as view:
            got = _read_into(stream, view[PAD_BYTES + filled : PAD_BYTES + filled + block_bytes])
        if not got:
            if limit is not None:
                filled = min(filled, limit - scanned)
            if filled:
                _scan_buffered(buffer, filled, collector)
            return
        filled += got
        if filled < block_bytes:
            continue
        cut = _cut_point(buffer, PAD_BYTES, PAD_BYTES + filled)
        if limit is not None:
            cut = min(cut, limit - scanned)
        _scan_buffered(buffer, cut, collector)
        scanned += cut
        if scanned == limit:
            return
        buffer[PAD_BYTES : PAD_BYTES + filled - cut] = buffer[PAD_BYTES + cut : PAD_BYTES + filled]
        filled -= cut


def _read_into(stream: BinaryIO, target: memoryview) -> int:
    """Fill ``target`` from ``stream`` like ``readinto``, also for streams that lack it."""
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        return int(readinto(target))
    chunk = stream.read(len(target))
    target[: len(chunk)] = chunk
    return len(chunk)


def _scan_buffered(buffer: bytearray, size: int, collector: _Collector) -> None:
    """Scan the first ``size`` text bytes of ``buffer`` (see ``_scan_utf8_stream``)."""
    end = PAD_BYTES + size
    following = bytes(buffer[end : end + TAIL_PAD_BYTES])
    buffer[end : end + TAIL_PAD_BYTES] = bytes(TAIL_PAD_BYTES)
    arr = np.frombuffer(buffer, dtype=np.uint8, count=end + TAIL_PAD_BYTES)
    try:
        matches = scan_padded(arr, collector.before)
    finally:
        del arr
        buffer[end : end + TAIL_PAD_BYTES] = following
    collector.remember(buffer[max(end - CONTEXT_BYTES, PAD_BYTES) : end])
    collector.add_matches(matches, size)


@dataclass(frozen=True)
class RangeStart:
    """Start of a range of a UTF-8 file, with the bytes after it that are already read then.

    ``read_end`` is the file offset that :func:`scan_stream` has read up to when it cuts the
    block that ends at ``offset``. A scan that starts at ``offset`` with the same bytes
    buffered cuts every later block where the whole-file scan does.
    """

    offset: int
    read_end: int


@dataclass
class RangeScan:
    """Findings of one range of a UTF-8 file, with offsets and lines counted from its start.

    ``line_count`` is the number of newlines in the range and ``last_line_chars`` the
    characters after its last newline, as :class:`~shoumi.scanner.engine.Matches` has them.
    """

    tables: list[FindingTable]
    size: int
    line_count: int
    last_line_chars: int


def scan_utf8_range(
    stream: BinaryIO, start: RangeStart, end: int | None, options: ScanOptions
) -> RangeScan:
    """Scan a UTF-8 file from ``start`` up to byte ``end``, or to its end when ``end`` is None.

    ``start`` must come from :func:`shoumi.scanner.split.plan_utf8_ranges` with
    ``options.block_bytes``, so that the blocks are those of the whole-file scan. The
    ``CONTEXT_BYTES`` before ``start.offset`` are read for context words only, as the
    whole-file scan reads the end of the block before.
    """
    context_start = max(start.offset - CONTEXT_BYTES, 0)
    stream.seek(context_start)
    before = stream.read(start.offset - context_start)
    head = stream.read(start.read_end - start.offset)
    # Only the first range contains the file's byte-order mark, if it has one.
    has_bom = start.offset == 0 and head.startswith(codecs.BOM_UTF8)
    collector = _Collector(options, before, has_bom)
    limit = None if end is None else end - start.offset
    _scan_utf8_stream(stream, head, options.block_bytes, collector, limit)
    return RangeScan(
        tables=collector.tables(),
        size=collector.size,
        line_count=collector.lines,
        last_line_chars=collector.line_chars,
    )


def _recoded_blocks(
    stream: BinaryIO, head: bytes, encoding: str, block_bytes: int
) -> Iterable[bytes]:
    decoder = codecs.getincrementaldecoder(encoding)(errors=_COUNTED_REPLACE)
    pending = b""
    chunk = head
    while chunk:
        pending += decoder.decode(chunk, final=False).encode("utf-8")
        while len(pending) >= block_bytes:
            cut = _cut_point(pending[:block_bytes])
            yield pending[:cut]
            pending = pending[cut:]
        chunk = stream.read(block_bytes)
    pending += decoder.decode(b"", final=True).encode("utf-8")
    if pending:
        yield pending
