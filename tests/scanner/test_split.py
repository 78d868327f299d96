"""Large UTF-8 text files scanned in ranges by two workers give the one-worker results."""

import codecs
import io
import itertools
import json
import re

import pytest

from shoumi.clients.synthetic import SyntheticData
from shoumi.scanner import FileStatus, Kind, ScanOptions, scan_paths
from shoumi.scanner.cli import main
from shoumi.scanner.formats import scan_path
from shoumi.scanner.model import SPLIT_BYTES
from shoumi.scanner.split import (
    MIN_LAST_RANGE_BYTES,
    merge_range_scans,
    merge_ranges,
    plan_ranges,
    plan_utf8_ranges,
    scan_range,
)
from shoumi.scanner.text import scan_stream, scan_utf8_range

# Small sizes, so that a file of a few MiB is cut into many blocks and ranges.
SMALL = {"block_bytes": 1 << 16, "split_bytes": 1 << 18}
# A size that the default options cut into three ranges.
THREE_RANGES = 2 * SPLIT_BYTES + SPLIT_BYTES // 4
FILLER = (
    "本所已对客户提供的资料进行初步审核，尚需补充近三个月的银行流水。",
    "以上信息仅用于办理涉税事项，未经客户书面同意不得向第三方提供。",
    "会议纪要：讨论了季度预缴申报安排及研发费用加计扣除的归集口径。",
)


class Values:
    """Pools of synthetic identifiers, drawn once and then reused by line number."""

    def __init__(self, seed: int) -> None:
        synthetic = SyntheticData(seed)
        self.mobiles = [synthetic.mobile() for _ in range(200)]
        self.resident_ids = [synthetic.resident_id() for _ in range(200)]
        self.bank_cards = [synthetic.bank_card() for _ in range(200)]
        self.usccs = [synthetic.uscc() for _ in range(200)]
        self.names = [synthetic.person_name() for _ in range(50)]

    def all(self) -> list[str]:
        return self.mobiles + self.resident_ids + self.bank_cards + self.usccs

    def line(self, number: int) -> str:
        """Return line ``number`` of the text, without its line ending.

        Each line contains exactly one resident ID. It starts with a mobile number or a bank
        card, and ends with the context word for the value that starts the next line, or
        with an identifier, so identifiers and context words sit at every block boundary.
        """
        pick = number % 200
        leading = self.mobiles[pick] if number % 2 == 0 else self.bank_cards[pick]
        middle = (
            f" 客户{self.names[number % 50]}，身份证号{self.resident_ids[pick]}，"
            f"代码 {self.usccs[pick]}，"
        )
        if number % 5 == 4:
            ending = f"备用 {self.mobiles[(pick + 1) % 200]}"
        elif number % 2 == 0:
            ending = "请核对开户银行卡号"
        else:
            ending = "留言请联系手机"
        return leading + middle + ending


def synthetic_text(
    values: Values, size: int, newline: str = "\r\n", final_newline: bool = True
) -> bytes:
    """Return at least ``size`` bytes of identifier lines, as UTF-8."""
    lines = []
    total = 0
    while total < size:
        line = values.line(len(lines))
        lines.append(line)
        total += len(line.encode("utf-8")) + len(newline)
    text = newline.join(lines) + (newline if final_newline else "")
    return text.encode("utf-8")


@pytest.fixture(scope="module")
def values():
    return Values(seed=7)


def scan(path, **options) -> list:
    return list(scan_paths([str(path)], ScanOptions(**options)))


TABLE_FIELDS = ("byte_offset", "line", "column", "length", "kind", "confidence", "masked")


def outcome(results) -> list[tuple]:
    """Every field of the results and their finding tables, sorted by path.

    The tables are compared as lists, which is much faster than making the findings.
    """
    return [
        (
            result.path,
            result.status,
            result.file_format,
            result.size,
            result.encoding,
            result.message,
            [
                [getattr(table, field).tolist() for field in TABLE_FIELDS] + [table.part]
                for table in result.tables
            ],
            result.extra_findings,
        )
        for result in sorted(results, key=lambda result: result.path)
    ]


@pytest.mark.parametrize(
    ("newline", "final_newline", "prefix"),
    [
        ("\r\n", True, b""),
        ("\r\n", False, b""),
        ("\n", False, b""),
        ("\n", True, b"\xef\xbb\xbf"),
    ],
)
def test_two_workers_match_one_worker(tmp_path, values, newline, final_newline, prefix):
    path = tmp_path / f"客户 {values.mobiles[0]}.txt"
    path.write_bytes(prefix + synthetic_text(values, 2 << 20, newline, final_newline))

    one_worker = scan(tmp_path, workers=1, **SMALL)
    two_workers = scan(tmp_path, workers=2, **SMALL)

    assert len(plan_ranges(str(path), ScanOptions(**SMALL))) >= 7
    assert len(one_worker) == 1
    assert one_worker[0].finding_count > 50_000
    assert len(one_worker[0].extra_findings) == 1
    assert outcome(two_workers) == outcome(one_worker)


def table_locations(result) -> list[tuple]:
    """Return the line, column and mask of every finding in ``result``'s tables."""
    return [
        row
        for table in result.tables
        for row in zip(
            table.line.tolist(), table.column.tolist(), table.masked.tolist(), strict=True
        )
    ]


def test_split_bom_file_matches_plain_file(tmp_path, values):
    # Longer than the split size plus 1 MiB, so the default options split it.
    data = synthetic_text(values, SPLIT_BYTES + (2 << 20))
    plain = tmp_path / "plain.txt"
    plain.write_bytes(data)
    marked = tmp_path / "marked.txt"
    marked.write_bytes(codecs.BOM_UTF8 + data)

    [plain_result] = scan(plain, workers=1)
    [one_worker] = scan(marked, workers=1)
    [two_workers] = scan(marked, workers=2)

    assert len(plan_ranges(str(marked), ScanOptions())) == 2
    assert outcome([two_workers]) == outcome([one_worker])
    assert one_worker.encoding == "utf-8-sig"
    assert table_locations(plain_result)[0][:2] == (1, 1)
    assert table_locations(two_workers) == table_locations(plain_result)


def test_split_bom_file_keeps_file_offsets(tmp_path, values):
    data = codecs.BOM_UTF8 + synthetic_text(values, 3 << 20)
    path = tmp_path / "notes.txt"
    path.write_bytes(data)

    [result] = scan(path, workers=2, **SMALL)

    [table] = result.tables
    assert table.byte_offset.tolist()[0] == 3
    for offset, masked in zip(table.byte_offset.tolist(), table.masked.tolist(), strict=True):
        assert data[offset : offset + 3] == masked[:3]


def test_cli_bom_file_workers_agree(tmp_path, values, capsys):
    path = tmp_path / "notes.txt"
    path.write_bytes(codecs.BOM_UTF8 + synthetic_text(values, SPLIT_BYTES + (2 << 20)))
    arguments = [str(path), "--format", "json"]

    main([*arguments, "--workers", "1"])
    whole = json.loads(capsys.readouterr().out)
    main([*arguments, "--workers", "2"])
    split = json.loads(capsys.readouterr().out)

    assert len(plan_ranges(str(path), ScanOptions())) == 2
    first = whole["findings"][0]
    assert (first["line"], first["column"]) == (1, 1)
    assert split["findings"] == whole["findings"]
    assert split["files"] == whole["files"]


def test_two_workers_match_with_default_sizes(tmp_path, values):
    (tmp_path / "a.log").write_bytes(synthetic_text(values, THREE_RANGES))
    unfinished = synthetic_text(values, SPLIT_BYTES * 3 // 2, final_newline=False)
    (tmp_path / "b.csv").write_bytes(unfinished)
    (tmp_path / "small.txt").write_bytes(synthetic_text(values, 1 << 16))

    one_worker = scan(tmp_path, workers=1)
    two_workers = scan(tmp_path, workers=2)

    assert len(plan_ranges(str(tmp_path / "a.log"), ScanOptions())) == 3
    assert outcome(two_workers) == outcome(one_worker)


def test_split_scan_carries_line_numbers(tmp_path, values):
    path = tmp_path / "notes.txt"
    data = synthetic_text(values, 3 << 20, final_newline=False)
    path.write_bytes(data)

    [result] = scan(path, workers=2, **SMALL)

    line_count = data.count(b"\n") + 1
    resident = [f for f in result.findings if f.kind is Kind.RESIDENT_ID]
    assert [finding.location.line for finding in resident] == list(range(1, line_count + 1))
    columns = {finding.location.column for finding in resident}
    assert len(columns) < 40


def test_split_scan_carries_byte_offsets(tmp_path, values):
    path = tmp_path / "notes.txt"
    data = synthetic_text(values, 3 << 20)
    path.write_bytes(data)

    [result] = scan(path, workers=2, **SMALL)

    [table] = result.tables
    for offset, masked in zip(table.byte_offset.tolist(), table.masked.tolist(), strict=True):
        assert data[offset : offset + 3] == masked[:3]


def test_ranges_start_after_newline_at_identifier(tmp_path, values):
    path = tmp_path / "notes.txt"
    data = synthetic_text(values, 3 << 20)
    path.write_bytes(data)

    ranges = plan_ranges(str(path), ScanOptions(**SMALL))
    [result] = scan(path, workers=1, **SMALL)

    offsets = set(result.tables[0].byte_offset.tolist())
    assert ranges[0].start.offset == 0
    assert ranges[-1].end is None
    for before, after in itertools.pairwise(ranges):
        assert before.end == after.start.offset
        assert data[after.start.offset - 2 : after.start.offset] == b"\r\n"
        assert after.start.offset in offsets


@pytest.mark.parametrize("block_bytes", [8192, 1 << 16, 300_000])
def test_merged_ranges_equal_stream_scan(values, block_bytes):
    # One line far longer than the planner reads back, so planning stops at it.
    long_line = ("，".join(values.resident_ids) * 60).encode("utf-8")
    data = synthetic_text(values, 1 << 20) + long_line + b"\n" + synthetic_text(values, 1 << 20)
    options = ScanOptions(block_bytes=block_bytes, split_bytes=1 << 17)

    whole, _, _ = scan_stream(io.BytesIO(data), options)
    stream = io.BytesIO(data)
    starts = plan_utf8_ranges(stream, len(data), block_bytes, options.split_bytes)
    ends = [start.offset for start in starts[1:]] + [None]
    scans = [
        scan_utf8_range(stream, start, end, options)
        for start, end in zip(starts, ends, strict=True)
    ]
    merged = merge_range_scans(scans)

    assert len(long_line) > 1 << 17
    assert len(starts) >= 3
    assert starts[-1].offset < len(data) // 2 + len(long_line)
    assert len(merged) == len(whole) == 1
    for field in TABLE_FIELDS:
        assert getattr(merged[0], field).tolist() == getattr(whole[0], field).tolist(), field


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("notes.txt", "gb18030"), ("notes.txt", "utf-16"), ("notes.eml", "utf-8")],
)
def test_other_encodings_and_formats_are_not_split(tmp_path, values, name, encoding):
    path = tmp_path / name
    path.write_bytes(synthetic_text(values, 2 << 20).decode("utf-8").encode(encoding))

    assert plan_ranges(str(path), ScanOptions(**SMALL)) == []


def test_small_file_and_single_line_are_not_split(tmp_path, values):
    small = tmp_path / "small.txt"
    small.write_bytes(synthetic_text(values, SMALL["split_bytes"] - 1000))
    single = tmp_path / "single.txt"
    single.write_bytes(("，".join(values.resident_ids) * 400).encode("utf-8"))

    assert plan_ranges(str(small), ScanOptions(**SMALL)) == []
    assert plan_ranges(str(single), ScanOptions(**SMALL)) == []


def test_nearly_split_size_file_scanned_whole(tmp_path, values, monkeypatch):
    options = ScanOptions(**SMALL)
    limit = options.split_bytes + min(options.block_bytes, MIN_LAST_RANGE_BYTES)
    short = tmp_path / "short.txt"
    short.write_bytes(synthetic_text(values, limit - 100)[: limit - 1])
    longer = tmp_path / "longer.txt"
    longer.write_bytes(synthetic_text(values, limit + options.block_bytes))
    opened: list[str] = []
    real_open = open

    def recording_open(file, *arguments, **keywords):
        opened.append(str(file))
        return real_open(file, *arguments, **keywords)

    monkeypatch.setattr("builtins.open", recording_open)

    assert plan_ranges(str(short), options) == []
    assert opened == []
    assert len(plan_ranges(str(longer), options)) == 2


def test_zip_and_missing_files_are_not_split(tmp_path):
    archive = tmp_path / "big.txt"
    archive.write_bytes(b"PK\x03\x04" + b"\n" * (1 << 20))

    assert plan_ranges(str(archive), ScanOptions(**SMALL)) == []
    assert plan_ranges(str(tmp_path / "missing.txt"), ScanOptions(**SMALL)) == []


def test_unreadable_range_makes_file_unreadable(tmp_path, values):
    path = tmp_path / "notes.txt"
    path.write_bytes(synthetic_text(values, 1 << 20))
    ranges = plan_ranges(str(path), ScanOptions(**SMALL))

    first = scan_range(ranges[0], ScanOptions(**SMALL))
    path.unlink()
    rest = [scan_range(text_range, ScanOptions(**SMALL)) for text_range in ranges[1:]]
    merged = merge_ranges([*rest, first])
    [whole] = scan_path(str(path), ScanOptions(**SMALL))

    assert first.scan is not None
    assert merged.status is FileStatus.UNREADABLE
    assert merged.message == "cannot read file: No such file or directory"
    assert merged.status is whole.status
    assert merged.message == whole.message
    assert merged.size == whole.size == 0
    assert merged.finding_count == 0


def test_truncated_file_reports_scanned_size(tmp_path, values):
    path = tmp_path / "shrinking.txt"
    path.write_bytes(synthetic_text(values, 1 << 20))
    ranges = plan_ranges(str(path), ScanOptions(**SMALL))
    with open(path, "r+b") as stream:
        stream.truncate(ranges[1].start.offset + 1000)

    merged = merge_ranges([scan_range(text_range, ScanOptions(**SMALL)) for text_range in ranges])
    [whole] = scan_path(str(path), ScanOptions(**SMALL))

    assert len(ranges) > 2
    assert merged.size == whole.size == path.stat().st_size
    assert merged.finding_count == whole.finding_count


def test_progress_sees_each_file_once(tmp_path, values):
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_bytes(synthetic_text(values, 1 << 20))
    (tmp_path / "small.txt").write_bytes(synthetic_text(values, 4096))
    seen = []

    results = list(
        scan_paths([str(tmp_path)], ScanOptions(workers=2, **SMALL), on_result=seen.append)
    )
    one_worker = scan(tmp_path, workers=1, **SMALL)

    assert len(seen) == 4
    assert [id(result) for result in seen] == [id(result) for result in results]
    assert outcome(seen) == outcome(one_worker)


@pytest.fixture
def sparse_file(tmp_path, values):
    """A file in three ranges with the default options, with identifiers on every 100th line."""
    lines = []
    size = 0
    while size < THREE_RANGES:
        line = values.line(len(lines)) if len(lines) % 100 == 0 else FILLER[len(lines) % 3]
        lines.append(line + "\n")
        size += len(lines[-1].encode("utf-8"))
    path = tmp_path / "notes.txt"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def assert_no_plaintext(output: str, values: Values) -> None:
    digits_only = re.sub(r"[^0-9A-Z]", "", output.upper())
    for value in values.all():
        assert value not in output
        assert value not in digits_only
        if len(value) == 18:
            assert value[3:-4] not in digits_only


@pytest.mark.parametrize("output_format", ["table", "json", "csv"])
def test_cli_split_output_never_contains_plaintext(sparse_file, values, capsys, output_format):
    arguments = [str(sparse_file), "--format", output_format, "--progress", "always"]

    main([*arguments, "--workers", "2"])
    split = capsys.readouterr()
    main([*arguments, "--workers", "1"])
    whole = capsys.readouterr()

    assert len(plan_ranges(str(sparse_file), ScanOptions())) == 3
    assert_no_plaintext(split.out, values)
    assert_no_plaintext(split.err, values)
    assert " 扫描中：1 个文件，" in split.err.rstrip("\n").split("\r")[-1]
    if output_format == "json":
        split_report, whole_report = json.loads(split.out), json.loads(whole.out)
        assert split_report["summary"]["findings"] > 1000
        assert split_report["findings"] == whole_report["findings"]
        assert split_report["files"] == whole_report["files"]
    else:
        assert split.out == whole.out


def test_on_result_error_stops_scan(tmp_path, values):
    for index in range(12):
        (tmp_path / f"{index}.txt").write_bytes(synthetic_text(values, 1 << 16))

    def fail(result):
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        list(scan_paths([str(tmp_path)], ScanOptions(workers=2), on_result=fail))
