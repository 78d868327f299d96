"""Finding tables keep their values and types when worker processes send them pickled."""

import copy
import pickle

import numpy as np
import pytest

from shoumi.scanner.model import FindingTable


def finding_table(byte_offset: list[int], line: list[int], column: list[int]) -> FindingTable:
    count = len(byte_offset)
    return FindingTable(
        byte_offset=np.array(byte_offset, dtype=np.int64),
        line=np.array(line, dtype=np.int64),
        column=np.array(column, dtype=np.int64),
        length=np.full(count, 18, dtype=np.int64),
        kind=np.full(count, 1, dtype=np.uint8),
        confidence=np.full(count, 3, dtype=np.uint8),
        masked=np.array([b"320***********0418"] * count),
        part="sheet1",
    )


@pytest.mark.parametrize(
    ("byte_offset", "line", "column"),
    [
        ([0, 200, 70_000], [1, 2, 300], [1, 40, 255]),
        ([5 << 32, (1 << 63) - 1], [1 << 33, 7], [1, 1 << 40]),
        ([-1, 3], [1, 2], [1, 2]),
        ([], [], []),
    ],
)
def test_pickled_table_keeps_values_and_types(byte_offset, line, column):
    table = finding_table(byte_offset, line, column)

    restored = pickle.loads(pickle.dumps(table))  # noqa: S301 - bytes pickled just above

    widened = restored.widened()
    assert restored.part == widened.part == "sheet1"
    for name in ("byte_offset", "line", "column", "length", "kind", "confidence", "masked"):
        assert getattr(restored, name).tolist() == getattr(table, name).tolist(), name
        assert getattr(widened, name).dtype == getattr(table, name).dtype, name
        assert getattr(widened, name).tolist() == getattr(table, name).tolist(), name


def test_received_table_stays_narrow_until_widened():
    table = finding_table([0, 200, 70_000], [1, 2, 300], [1, 40, 255])

    restored = pickle.loads(pickle.dumps(table))  # noqa: S301 - bytes pickled just above

    assert (restored.byte_offset.dtype, restored.line.dtype, restored.column.dtype) == (
        np.uint32,
        np.uint16,
        np.uint8,
    )
    # Adding to a narrow column wraps around; the widened column does not.
    assert (restored.column + np.uint8(1)).tolist()[-1] == 0
    assert (restored.widened().column + 1).tolist()[-1] == 256
    assert table.widened() is table


def test_pickled_table_sends_small_integers_narrowed():
    count = 10_000
    table = finding_table(list(range(count)), [1] * count, [1] * count)

    size = len(pickle.dumps(table))

    # byte_offset as uint16, line and column as uint8, length as uint8: 5 bytes a row, plus
    # 2 for kind and confidence and 18 for the mask, against 34 + 18 unnarrowed.
    assert size < count * 27


@pytest.mark.parametrize("duplicate", [copy.copy, copy.deepcopy])
def test_copied_table_keeps_int64_columns(duplicate):
    table = finding_table([250, 70_000], [250, 3], [250, 3])

    twin = duplicate(table)

    assert twin.line.dtype == np.int64
    assert (twin.line + 10).tolist() == [260, 13]
    assert twin.part == "sheet1"
    if duplicate is copy.deepcopy:
        twin.masked[0] = b"x"
        assert table.masked[0] == b"320***********0418"
