"""Small files scanned in batches give the results that scanning each alone gives."""

from __future__ import annotations

import codecs
import dataclasses
import os
import pickle
import random
import zipfile
from multiprocessing.reduction import ForkingPickler

import numpy as np
import pytest

from shoumi.clients.synthetic import SyntheticData
from shoumi.scanner import pool as pool_module
from shoumi.scanner import scan as scan_module
from shoumi.scanner.formats import scan_path, scan_small_files
from shoumi.scanner.model import NARROWED_COLUMNS, FileResult, ScanOptions
from shoumi.scanner.scan import scan_paths
from shoumi.scanner.text import scan_utf8_files

FINDING_COLUMNS = (*NARROWED_COLUMNS, "kind", "confidence", "masked")
# Full-width digits of a mobile number: the full-width form of "13800138000".
FULLWIDTH_MOBILE = "１３８００１３８０００"


def table_rows(result: FileResult) -> list[tuple]:
    """Every finding of a result as plain values, columns in a fixed order."""
    rows = []
    for table in result.tables:
        columns = [getattr(table, name).tolist() for name in FINDING_COLUMNS]
        rows.extend((table.part, *row) for row in zip(*columns, strict=True))
    return rows


def summary(result: FileResult) -> tuple:
    return (
        result.path,
        result.status,
        result.file_format,
        result.size,
        result.encoding,
        result.message,
        table_rows(result),
        [finding.to_dict() for finding in result.extra_findings],
    )


def edge_files(folder) -> list[str]:
    """Files whose findings sit where a batch joins two files, and files it must not join."""
    synthetic = SyntheticData(11)
    card = synthetic.bank_card()
    mobile = synthetic.mobile()
    person = synthetic.resident_id()
    texts = {
        # A context word at the very end, before a file that starts with a number: the
        # word must not raise the next file's finding.
        "a_ends_with_word.txt": "客户资料\n卡号".encode(),
        "b_starts_with_card.txt": f"{card} 已登记".encode(),
        "c_bom_crlf.txt": codecs.BOM_UTF8 + f"身份证号：{person}\r\n手机 {mobile}\r\n".encode(),
        "d_no_final_newline.txt": f"联系电话 {mobile}".encode(),
        "e_empty.txt": b"",
        "f_only_newlines.txt": b"\n\n\n",
        "g_grouped_at_end.txt": f"电话 {mobile[:3]} {mobile[3:7]} {mobile[7:]}".encode(),
        "h_fullwidth.txt": f"{FULLWIDTH_MOBILE}".encode(),
        "i_digits_at_start.txt": f"{person}".encode(),
        "j_gbk.txt": f"身份证号：{person}\n".encode("gbk"),
        "k_binary.bin": b"\x00\x01\x02" * 100 + person.encode(),
        f"l_name_{mobile}.txt": "备注\n".encode(),
        "m_long_line.csv": ("，".join([mobile, card, person] * 400) + "\n").encode(),
    }

    paths = []
    for name, content in texts.items():
        path = os.path.join(folder, name)
        with open(path, "wb") as file:
            file.write(content)
        paths.append(path)

    archive = os.path.join(folder, "n_archive.zip")
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("inner.txt", f"卡号 {card}\n")
    paths.append(archive)
    return paths


def test_batch_equals_each_file_alone(tmp_path):
    paths = edge_files(tmp_path)
    options = ScanOptions()

    batched = scan_small_files(paths, options)
    alone = [scan_path(path, options) for path in paths]

    assert [[summary(result) for result in results] for results in batched] == [
        [summary(result) for result in results] for results in alone
    ]
    assert sum(len(table_rows(results[0])) for results in batched) >= 12


def test_context_word_stays_in_its_own_file():
    synthetic = SyntheticData(3)
    card = synthetic.bank_card()

    [first, second] = scan_utf8_files(["卡号".encode(), card.encode()], ScanOptions())
    [alone] = scan_utf8_files([card.encode()], ScanOptions())

    assert first == []
    assert second[0].confidence.tolist() == alone[0].confidence.tolist()
    assert second[0].byte_offset.tolist() == [0]
    assert (second[0].line.tolist(), second[0].column.tolist()) == ([1], [1])


@pytest.mark.parametrize("seed", range(6))
def test_random_files_batch_as_alone(tmp_path, seed):
    generator = random.Random(seed)
    synthetic = SyntheticData(seed)
    values = [synthetic.mobile, synthetic.bank_card, synthetic.resident_id, synthetic.uscc]
    words = ["身份证号", "卡号", "手机", "信用代码", "备注", "，", " ", "-", "\n", "\r\n", "Ａ"]
    paths = []
    for index in range(40):
        pieces = []
        for _ in range(generator.randrange(0, 30)):
            choice = generator.random()
            if choice < 0.4:
                pieces.append(generator.choice(values)())
            else:
                pieces.append(generator.choice(words))
        content = "".join(pieces).encode("utf-8")
        if generator.random() < 0.2:
            content = codecs.BOM_UTF8 + content
        path = tmp_path / f"{index:02d}.txt"
        path.write_bytes(content)
        paths.append(str(path))
    options = ScanOptions()

    batched = scan_small_files(paths, options)

    assert [[summary(result) for result in results] for results in batched] == [
        [summary(result) for result in scan_path(path, options)] for path in paths
    ]


def test_file_of_a_block_is_not_batched(tmp_path):
    options = ScanOptions(block_bytes=1 << 16)
    exact = tmp_path / "exact.txt"
    exact.write_bytes(b"x" * (options.block_bytes - 1) + b"\n")
    shorter = tmp_path / "shorter.txt"
    shorter.write_bytes(b"x" * 100 + b"\n")

    items = list(scan_module._batch_small_files(scan_module.iter_files([str(tmp_path)]), options))

    batches = [item for item in items if isinstance(item, scan_module._Batch)]
    assert [[entry.path for entry in batch.items] for batch in batches] == [[str(shorter)]]


def test_batch_limits_files(tmp_path, monkeypatch):
    monkeypatch.setattr(scan_module, "BATCH_FILES", 3)
    for index in range(7):
        (tmp_path / f"{index}.txt").write_text("备注\n", encoding="utf-8")

    items = list(
        scan_module._batch_small_files(scan_module.iter_files([str(tmp_path)]), ScanOptions())
    )

    sizes = [
        sum(isinstance(entry, scan_module._File) for entry in item.items)
        for item in items
        if isinstance(item, scan_module._Batch)
    ]
    assert sizes == [3, 3, 1]


@pytest.mark.parametrize("workers", [1, 2])
def test_folder_results_keep_walk_order(tmp_path, workers):
    mobile = SyntheticData(5).mobile()
    for folder in ("a", f"b_{mobile}", "c"):
        (tmp_path / folder).mkdir()
        for index in range(3):
            (tmp_path / folder / f"{index}.txt").write_text(f"手机 {mobile}\n", encoding="utf-8")
    paths = [str(tmp_path / folder / "0.txt") for folder in ("a", f"b_{mobile}", "c")]
    # A file longer than a block is a second job, so that two workers start.
    (tmp_path / "long.txt").write_text("备注\n" * 200, encoding="utf-8")
    options = ScanOptions(workers=workers, block_bytes=1024)

    results = list(scan_paths([*paths, str(tmp_path / "long.txt")], options))

    batched = [result for result in results if not result.path.endswith("long.txt")]
    assert [result.file_format for result in batched] == ["text", "folder", "text", "text"]
    assert len(results) == 5
    assert all(mobile not in result.path for result in results)


def test_many_small_files_match_with_two_workers(tmp_path):
    paths = edge_files(tmp_path)
    nested = tmp_path / "nested"
    nested.mkdir()
    for index, path in enumerate(paths * 3):
        with open(path, "rb") as source:
            (nested / f"{index:03d}_{os.path.basename(path)}").write_bytes(source.read())

    one_worker = sorted(summary(result) for result in scan_paths([str(tmp_path)], ScanOptions()))
    two_workers = sorted(
        summary(result) for result in scan_paths([str(tmp_path)], ScanOptions(workers=2))
    )

    assert one_worker == two_workers
    assert len(one_worker) > 50


def test_packed_results_arrive_as_list(tmp_path):
    paths = edge_files(tmp_path)
    results = [result for batch in scan_small_files(paths, ScanOptions()) for result in batch]

    received = pickle.loads(pickle.dumps(scan_module._PackedResults(results)))  # noqa: S301

    assert isinstance(received, list)
    assert [summary(result) for result in received] == [summary(result) for result in results]
    assert all(isinstance(table.kind, np.ndarray) for result in received for table in result.tables)


@pytest.mark.parametrize("stem", ["a" * 60, "客户名单" * 15])
def test_batch_job_fits_pool_limit(tmp_path, stem):
    for index in range(200):
        (tmp_path / f"{index:03d}{stem}.txt").write_text("备注\n", encoding="utf-8")
    walk = scan_module.iter_files([str(tmp_path)])

    batches = [
        item
        for item in scan_module._batch_small_files(walk, ScanOptions())
        if isinstance(item, scan_module._Batch)
    ]

    # Four jobs of this size fit under the pool's limit on jobs in flight.
    sizes = [len(ForkingPickler.dumps((1000, batch))) for batch in batches]
    assert max(sizes) <= pool_module.MAX_JOB_BYTES // 4
    assert sum(len(batch.items) for batch in batches) == 200


def test_folders_fill_batch_too(tmp_path):
    # The walk yields a/x.txt, which opens a batch, then the 600 folders inside b.
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("备注\n", encoding="utf-8")
    for index in range(600):
        (tmp_path / "b" / f"folder{index:03d}").mkdir(parents=True)
    walk = scan_module.iter_files([str(tmp_path)])

    items = list(scan_module._batch_small_files(walk, ScanOptions()))

    batches = [item for item in items if isinstance(item, scan_module._Batch)]
    assert len(batches) == 1
    assert 1 < len(batches[0].items) < 100
    assert sum(isinstance(item, scan_module._Folder) for item in items) > 500


def test_file_turned_folder_is_unsupported(tmp_path):
    folder = tmp_path / "was_a_file.txt"
    folder.mkdir()

    [results] = scan_small_files([str(folder)], ScanOptions())

    assert [summary(result) for result in results] == [
        summary(result) for result in scan_path(str(folder), ScanOptions())
    ]
    assert results[0].message == "not a regular file (FIFO, socket or device)"


def test_packed_results_carry_every_field():
    # _PackedResults sends each result's fields as a tuple: a new field must be added there.
    names = [field.name for field in dataclasses.fields(FileResult)]

    assert names == [
        "path",
        "status",
        "file_format",
        "size",
        "encoding",
        "message",
        "tables",
        "extra_findings",
    ]


@pytest.fixture
def started(monkeypatch) -> list[int]:
    """The number of workers of each pool that scan_paths starts."""
    sizes: list[int] = []

    class RecordingPool(pool_module.WorkerPool):
        def __init__(self, workers, task):
            sizes.append(workers)
            super().__init__(workers, task)

    monkeypatch.setattr(scan_module, "WorkerPool", RecordingPool)
    return sizes


def test_one_job_starts_no_workers(tmp_path, started):
    edge_files(tmp_path)

    alone = sorted(summary(result) for result in scan_paths([str(tmp_path)], ScanOptions()))
    four = sorted(summary(result) for result in scan_paths([str(tmp_path)], ScanOptions(workers=4)))

    assert started == []
    assert four == alone
    assert len(alone) > 10


def test_pool_has_no_more_workers_than_jobs(tmp_path, started):
    # With 1 KiB blocks, each file of 2 KB is a job of its own.
    mobile = SyntheticData(3).mobile()
    for index in range(3):
        (tmp_path / f"{index}.txt").write_text(f"手机 {mobile}\n" * 120, encoding="utf-8")
    options = {"block_bytes": 1024, "split_bytes": 1 << 20}

    alone = sorted(
        summary(result) for result in scan_paths([str(tmp_path)], ScanOptions(**options))
    )
    eight = sorted(
        summary(result) for result in scan_paths([str(tmp_path)], ScanOptions(workers=8, **options))
    )

    assert started == [3]
    assert eight == alone
    assert len(alone) == 3


def test_one_split_file_keeps_its_workers(tmp_path, started):
    mobile = SyntheticData(4).mobile()
    (tmp_path / "big.txt").write_text(f"手机 {mobile}\n" * 20_000, encoding="utf-8")
    options = {"block_bytes": 1 << 16, "split_bytes": 1 << 16}

    [alone] = scan_paths([str(tmp_path / "big.txt")], ScanOptions(**options))
    [two] = scan_paths([str(tmp_path / "big.txt")], ScanOptions(workers=2, **options))

    assert started == [2]
    assert summary(two) == summary(alone)
    assert alone.finding_count == 20_000
