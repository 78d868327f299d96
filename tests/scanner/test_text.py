"""Block-wise scanning of streams must find what one scan of the whole text finds."""

import io

import numpy as np
import pytest

from shoumi.scanner import ScanOptions
from shoumi.scanner.text import SAMPLE_BYTES, scan_stream
from tests.scanner.helpers import bank_card, resident_id, uscc


def table_rows(data: bytes, block_bytes: int) -> list[tuple]:
    tables, encoding, size = scan_stream(io.BytesIO(data), ScanOptions(block_bytes=block_bytes))
    assert encoding == "utf-8"
    assert size == len(data)
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


def test_stream_identifier_at_block_end_is_found():
    value = resident_id()
    head = "a" * (SAMPLE_BYTES + 99) + "\n"
    data = (head + value).encode("utf-8")

    rows = table_rows(data, block_bytes=len(head))

    assert [row[0] for row in rows] == [len(head)]
    assert np.array([row[3] for row in rows]).tolist() == [1]


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
