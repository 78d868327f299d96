"""Block-wise scanning of streams must find what one scan of the whole text finds."""

import codecs
import io

import numpy as np
import pytest

from shoumi.scanner import Confidence, FileStatus, ScanOptions, scan_paths
from shoumi.scanner.text import (
    SAMPLE_BYTES,
    RangeStart,
    detect_encoding,
    scan_bytes,
    scan_stream,
    scan_utf8_files,
    scan_utf8_range,
)
from tests.scanner.helpers import bank_card, resident_id, uscc


def table_rows(data: bytes, block_bytes: int) -> list[tuple]:
    tables, encoding, size = scan_stream(io.BytesIO(data), ScanOptions(block_bytes=block_bytes))
    assert encoding == "utf-8"
    assert size == len(data)
    return rows_of(tables)


def mixed_lines(count: int) -> bytes:
    lines = []
    for index in range(count):
        birth = f"19{50 + index % 40}0{1 + index % 9}1{index % 9}"
        lines.append(
            f"第{index}行 身份证{resident_id(birth=birth)}，卡号 {bank_card()}；"
            f"代码:{uscc()} 手机 138 0013 8000\n"
        )
    return "".join(lines).encode("utf-8")


@pytest.mark.parametrize("block_bytes", [257, 4096, 50_000])
def test_stream_blocks_match_one_block(block_bytes):
    # More than the 64 KiB sample that scan_stream reads first, so later reads happen.
    data = mixed_lines(2500)

    whole = table_rows(data, block_bytes=len(data) * 2)
    blocks = table_rows(data, block_bytes=block_bytes)

    assert len(data) > 3 * SAMPLE_BYTES
    assert len(whole) == 2500 * 4
    assert blocks == whole


def test_stream_long_line_across_blocks():
    # A newline at the start, then one long line: the first block is cut right after the
    # newline, so almost all of it is left over for the next read. The "|" in the
    # separator lets later blocks be cut between identifiers.
    separator = "，客户资料备注|"
    data = ("\n" + separator.join([resident_id()] * 8000)).encode("utf-8")

    whole = table_rows(data, block_bytes=len(data) * 2)
    blocks = table_rows(data, block_bytes=3000)

    assert len(data) > 3 * SAMPLE_BYTES
    assert len(whole) == 8000
    assert {row[1] for row in whole} == {2}
    assert whole[1][2] - whole[0][2] == 18 + len(separator)
    assert blocks == whole


@pytest.mark.parametrize("block_bytes", [777, 4096])
def test_chinese_line_cut_between_characters(block_bytes):
    # One line of Chinese prose with full-width punctuation only, and no newline: no cut
    # may fall inside a number.
    sentence = "客户张三的身份证号码是{}，联系电话{}。"
    data = "".join(
        sentence.format(resident_id(sequence=f"{index % 1000:03d}"), "13800138000")
        for index in range(3000)
    ).encode("utf-8")

    whole = table_rows(data, block_bytes=len(data) * 2)
    blocks = table_rows(data, block_bytes=block_bytes)

    assert b"\n" not in data
    assert len(whole) == 6000
    assert blocks == whole


@pytest.mark.parametrize("block_bytes", [777, 4096])
def test_ideographic_space_groups_not_cut(block_bytes):
    # One line of Chinese text with identifiers in groups joined by U+3000.
    data = "".join(
        f"中文{resident_id(sequence=f'{index % 1000:03d}')[:6]}\u3000"
        f"{resident_id(sequence=f'{index % 1000:03d}')[6:14]}\u3000"
        f"{resident_id(sequence=f'{index % 1000:03d}')[14:]}"
        for index in range(8000)
    ).encode("utf-8")

    rows = table_rows(data, block_bytes=block_bytes)

    assert b"\n" not in data
    assert len(data) > 3 * SAMPLE_BYTES
    assert len(rows) == 8000


@pytest.mark.parametrize("block_bytes", [777, 4096])
def test_fullwidth_comma_list_cut(block_bytes):
    # A one-line export of numbers separated by full-width commas.
    data = "，".join(resident_id(sequence=f"{index % 1000:03d}") for index in range(4000))
    rows = table_rows(data.encode("utf-8"), block_bytes=block_bytes)

    assert len(rows) == 4000


def test_stream_identifier_at_block_end_is_found():
    value = resident_id()
    head = "a" * (SAMPLE_BYTES + 99) + "\n"
    data = (head + value).encode("utf-8")

    rows = table_rows(data, block_bytes=len(head))

    assert [row[0] for row in rows] == [len(head)]
    assert np.array([row[3] for row in rows]).tolist() == [1]


MOBILE = "13800138000"


def context_text() -> str:
    """Return a line that ends with the context word 手机, longer than the stream's sample."""
    return "a" * (SAMPLE_BYTES + 99) + "联系手机\n"


def confidences(tables) -> list[int]:
    return [value for table in tables for value in table.confidence.tolist()]


def test_stream_context_word_in_block_before_raises_confidence():
    head = context_text().encode("utf-8")
    data = head + MOBILE.encode("utf-8")

    tables, _, _ = scan_stream(io.BytesIO(data), ScanOptions(block_bytes=len(head)))
    whole, _, _ = scan_stream(io.BytesIO(data), ScanOptions(block_bytes=len(data) * 2))

    assert [table.byte_offset.tolist() for table in tables] == [[len(head)]]
    assert confidences(tables) == [Confidence.HIGH]
    assert confidences(whole) == [Confidence.HIGH]


def test_bytes_context_word_in_block_before_raises_confidence():
    head = ("会议纪要，" * 20 + "联系手机\n").encode("utf-8")
    data = head + MOBILE.encode("utf-8")

    tables, _ = scan_bytes(data, ScanOptions(block_bytes=len(head)))

    assert [table.byte_offset.tolist() for table in tables] == [[len(head)]]
    assert confidences(tables) == [Confidence.HIGH]


def test_context_word_across_several_short_blocks():
    # Blocks of at most 12 bytes: the 30 bytes before the number span the blocks "手机\n号\n"
    # and "1\n" and the end of the cut-up line of "a".
    head = ("a" * 80 + "\n" + "手机\n" + "号\n" + "1\n").encode("utf-8")
    data = head + MOBILE.encode("utf-8")

    tables, _ = scan_bytes(data, ScanOptions(block_bytes=12))

    assert [table.byte_offset.tolist() for table in tables] == [[len(head)]]
    assert confidences(tables) == [Confidence.HIGH]


def test_range_scan_reads_context_word_before_its_start():
    head = context_text().encode("utf-8")
    data = head + MOBILE.encode("utf-8") + b"\n"
    start = RangeStart(offset=len(head), read_end=len(data))

    scan = scan_utf8_range(io.BytesIO(data), start, None, ScanOptions())

    assert [table.byte_offset.tolist() for table in scan.tables] == [[0]]
    assert confidences(scan.tables) == [Confidence.HIGH]


class ReadOnlyStream:
    """A binary stream with ``read`` but no ``readinto``, returning short reads."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        size = min(size, 5000)
        chunk = self.data[self.position : self.position + size]
        self.position += len(chunk)
        return chunk


def test_stream_without_readinto_is_scanned():
    data = mixed_lines(2500)

    tables, _, size = scan_stream(ReadOnlyStream(data), ScanOptions(block_bytes=4096))

    assert size == len(data)
    assert sum(len(table) for table in tables) == 2500 * 4


def rows_of(tables) -> list[tuple]:
    """Return the byte offset, line, column, kind and mask of every finding in ``tables``."""
    rows = []
    for table in tables:
        rows += list(
            zip(
                table.byte_offset.tolist(),
                table.line.tolist(),
                table.column.tolist(),
                table.kind.tolist(),
                table.masked.tolist(),
                strict=True,
            )
        )
    return rows


def locations(rows: list[tuple]) -> list[tuple]:
    """Return ``rows`` without their byte offsets."""
    return [row[1:] for row in rows]


def long_first_line() -> str:
    """Return a long first line of identifiers, then more lines.

    Small blocks cut the first line several times, so later blocks carry its columns on.
    """
    separator = "，客户资料备注|"
    return separator.join([resident_id()] * 400) + "\n" + mixed_lines(20).decode("utf-8")


UTF32_MARKS = [
    pytest.param(codecs.BOM_UTF32_LE, "utf-32-le", id="little-endian"),
    pytest.param(codecs.BOM_UTF32_BE, "utf-32-be", id="big-endian"),
]


@pytest.mark.parametrize(("mark", "codec"), UTF32_MARKS)
def test_utf32_mark_detected_before_utf16(mark, codec):
    sample = mark + "身份证号".encode(codec)

    assert mark.startswith(codecs.BOM_UTF16_LE) or mark.endswith(codecs.BOM_UTF16_BE)
    assert detect_encoding(sample) == "utf-32"


@pytest.mark.parametrize("block_bytes", [4099, 1 << 20])
@pytest.mark.parametrize(("mark", "codec"), UTF32_MARKS)
def test_utf32_stream_locations_match_utf8(mark, codec, block_bytes):
    # Longer than the 64 KiB sample, and read in blocks that cut the 4-byte characters.
    text = mixed_lines(1000).decode("utf-8")
    data = mark + text.encode(codec)
    utf8, _, _ = scan_stream(io.BytesIO(text.encode("utf-8")), ScanOptions())

    tables, encoding, size = scan_stream(io.BytesIO(data), ScanOptions(block_bytes=block_bytes))

    assert len(data) > 3 * SAMPLE_BYTES
    assert encoding == "utf-32"
    assert size == len(text.encode("utf-8"))
    assert len(rows_of(utf8)) == 1000 * 4
    assert locations(rows_of(tables)) == locations(rows_of(utf8))


@pytest.mark.parametrize(("mark", "codec"), UTF32_MARKS)
def test_utf32_bytes_locations_match_utf8(mark, codec):
    text = "前言\n客户身份证号" + resident_id() + "，手机13800138000。\n"
    utf8, _ = scan_bytes(text.encode("utf-8"), ScanOptions())

    tables, encoding = scan_bytes(mark + text.encode(codec), ScanOptions())

    assert encoding == "utf-32"
    assert [row[1:3] for row in rows_of(tables)] == [(2, 7), (2, 28)]
    assert locations(rows_of(tables)) == locations(rows_of(utf8))


def test_utf32_file_reported_with_findings(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(("客户身份证号" + resident_id() + "\n").encode("utf-32"))

    [result] = scan_paths([str(path)], ScanOptions())

    assert result.status is FileStatus.SCANNED
    assert result.encoding == "utf-32"
    assert [str(finding.location) for finding in result.findings] == ["1:7"]


@pytest.mark.parametrize("block_bytes", [257, 4096, 1 << 20])
def test_bom_excluded_from_stream_columns(block_bytes):
    data = long_first_line().encode("utf-8")
    options = ScanOptions(block_bytes=block_bytes)
    plain, _, _ = scan_stream(io.BytesIO(data), options)

    tables, encoding, size = scan_stream(io.BytesIO(codecs.BOM_UTF8 + data), options)

    assert encoding == "utf-8-sig"
    assert size == len(data) + 3
    assert rows_of(plain)[0][1:3] == (1, 1)
    assert locations(rows_of(tables)) == locations(rows_of(plain))


def test_bom_kept_in_byte_offsets():
    data = long_first_line().encode("utf-8")
    plain, _, _ = scan_stream(io.BytesIO(data), ScanOptions())

    tables, _, _ = scan_stream(io.BytesIO(codecs.BOM_UTF8 + data), ScanOptions())

    offsets = [row[0] for row in rows_of(tables)]
    assert offsets == [row[0] + 3 for row in rows_of(plain)]


@pytest.mark.parametrize("block_bytes", [257, 1 << 20])
def test_bom_excluded_from_bytes_columns(block_bytes):
    data = long_first_line().encode("utf-8")
    options = ScanOptions(block_bytes=block_bytes)
    plain, _ = scan_bytes(data, options)

    tables, encoding = scan_bytes(codecs.BOM_UTF8 + data, options)

    assert encoding == "utf-8-sig"
    assert locations(rows_of(tables)) == locations(rows_of(plain))


def test_bom_excluded_from_batched_columns():
    data = ("身份证号" + resident_id() + "\n手机 13800138000\n").encode("utf-8")

    [plain, with_bom] = scan_utf8_files([data, codecs.BOM_UTF8 + data], ScanOptions())

    assert [row[1:3] for row in rows_of(plain)] == [(1, 5), (2, 4)]
    assert locations(rows_of(with_bom)) == locations(rows_of(plain))
    assert [row[0] for row in rows_of(with_bom)] == [row[0] + 3 for row in rows_of(plain)]


def test_bom_excluded_from_range_columns():
    data = long_first_line().encode("utf-8")
    options = ScanOptions(block_bytes=4096)
    plain, _, _ = scan_stream(io.BytesIO(data), options)
    stream = io.BytesIO(codecs.BOM_UTF8 + data)
    start = RangeStart(offset=0, read_end=SAMPLE_BYTES)

    scan = scan_utf8_range(stream, start, None, options)

    assert locations(rows_of(scan.tables)) == locations(rows_of(plain))


def test_bom_excluded_from_range_line_chars():
    # A range without a newline passes the characters of its line on to the next range.
    data = codecs.BOM_UTF8 + "客户资料".encode()
    start = RangeStart(offset=0, read_end=len(data))

    scan = scan_utf8_range(io.BytesIO(data), start, None, ScanOptions())

    assert scan.line_count == 0
    assert scan.last_line_chars == 4


def test_utf16_bom_excluded_from_columns():
    text = long_first_line()
    plain, _, _ = scan_stream(io.BytesIO(text.encode("utf-8")), ScanOptions())

    tables, encoding, _ = scan_stream(io.BytesIO(text.encode("utf-16")), ScanOptions())

    assert encoding == "utf-16"
    assert locations(rows_of(tables)) == locations(rows_of(plain))
