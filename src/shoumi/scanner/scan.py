"""Walk paths and scan every file, in parallel worker processes when asked."""

from __future__ import annotations

import functools
import itertools
import os
import stat
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import cast

from shoumi.scanner.formats import (
    BROKEN_LINK_MESSAGE,
    MISSING_PATH_MESSAGE,
    SYMLINK_MESSAGE,
    scan_path,
    scan_small_files,
)
from shoumi.scanner.model import (
    FOLDER_FORMAT,
    FileResult,
    FileStatus,
    Finding,
    FindingTable,
    ScanOptions,
)
from shoumi.scanner.names import (
    FILE_NAME,
    FOLDER_NAME,
    check_names,
    folder_result,
    mask_path,
    name_findings,
)
from shoumi.scanner.pool import WorkerPool
from shoumi.scanner.split import RangeResult, TextRange, merge_ranges, plan_ranges, scan_range

# Limits of a batch of small files scanned together. A worker scans 1 MiB of text in about
# 7 ms, so a batch is a short job, and the last batches spread over the workers.
BATCH_BYTES = 1 << 20
BATCH_FILES = 256
# Estimated bytes of a batch pickled as a job, at most (one long path may exceed it): each
# entry's UTF-8 path plus BATCH_ENTRY_BYTES. The pool keeps the jobs it has sent under
# 16 KiB (shoumi.scanner.pool.MAX_JOB_BYTES), so that four such jobs are in flight for two
# workers. BATCH_ENTRY_BYTES is measured: 40 files with 4,078 characters of ASCII paths
# pickled to 6,204 bytes, 53 bytes per file more than their paths.
BATCH_JOB_BYTES = 4096
BATCH_ENTRY_BYTES = 64


@dataclass(frozen=True)
class _Folder:
    """A folder of the scanned tree, checked for identifiers in its name."""

    path: str
    name_start: int


@dataclass(frozen=True)
class _File:
    """A file to scan; ``name_start`` is where its own name begins in ``path``."""

    path: str
    name_start: int


@dataclass(frozen=True)
class _Link:
    """A symbolic link listed as not scanned: inside a walked folder and not followed, or
    ``broken`` (its target is missing or the links loop)."""

    path: str
    name_start: int
    to_folder: bool = False
    broken: bool = False


@dataclass(frozen=True)
class _Batch:
    """Consecutive small files, scanned together (see :func:`scan_small_files`), and the
    folders met between them, whose results keep their place among the files' results."""

    items: tuple[_File | _Folder, ...]


@dataclass(frozen=True)
class _Piece:
    """A range of a large text file, scanned as a job of its own.

    ``file_number`` identifies the file within one scan, also when a path is given twice.
    """

    file_number: int
    name_start: int
    text_range: TextRange


def iter_files(
    paths: Iterable[str], follow_symlinks: bool = False
) -> Iterator[_File | _Folder | _Link | FileResult]:
    """Yield every file and folder under ``paths`` in sorted order, or a result for a missing path.

    A path given on the command line is checked whole: for a folder, its full path is the
    folder's name, and a file's folder part is checked as a folder. Symbolic links inside
    a folder are yielded as links, unless ``follow_symlinks`` is set. A followed link to a
    folder that was walked already is not walked again, so a link to a folder above it
    does not loop. A file reached through several links is yielded once for each path.
    """
    for root in paths:
        if os.path.isdir(root):
            yield _Folder(root, 0)
            yield from _walk(root, follow_symlinks)
        elif os.path.lexists(root):
            # A file, or a FIFO, socket or device, which scan_path reports as not scanned,
            # or a link whose target is missing.
            folder, _ = os.path.split(root)
            if folder:
                yield _Folder(folder, 0)
            name_start = len(folder) + 1 if folder else 0
            if os.path.exists(root):
                yield _File(root, name_start)
            else:
                yield _Link(root, name_start, broken=True)
        else:
            yield FileResult(
                path=mask_path(root), status=FileStatus.UNREADABLE, message=MISSING_PATH_MESSAGE
            )


def _walk(root: str, follow_symlinks: bool) -> Iterator[_File | _Folder | _Link | FileResult]:
    """Yield the folders, files and links under ``root``, in the order of ``os.walk``.

    In each folder its subfolders come first, then its files, each sorted by name, then
    the contents of each subfolder in turn. The walk keeps its own stack: the ``os.walk``
    of Python 3.11 recurses once per level and raised RecursionError in a tree 1,000
    folders deep. A folder that cannot be listed gets an ``unreadable`` result where its
    contents would have come.
    """
    walked = {_folder_key(root)} if follow_symlinks else set()
    pending = [root]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            yield _unlisted_folder(directory, error)
            continue
        subfolders: list[os.DirEntry] = []
        files: list[os.DirEntry] = []
        for entry in entries:
            (subfolders if _is_folder(entry) else files).append(entry)
        descend = []
        for entry in subfolders:
            name_start = len(entry.path) - len(entry.name)
            if not follow_symlinks and _is_link(entry):
                yield _Link(entry.path, name_start, to_folder=True)
                continue
            yield _Folder(entry.path, name_start)
            if follow_symlinks:
                key = _folder_key(entry.path)
                if key is not None and key in walked:
                    continue
                walked.add(key)
            descend.append(entry.path)
        for entry in files:
            name_start = len(entry.path) - len(entry.name)
            if not _is_link(entry):
                yield _File(entry.path, name_start)
            elif not os.path.exists(entry.path):
                yield _Link(entry.path, name_start, broken=True)
            elif follow_symlinks:
                yield _File(entry.path, name_start)
            else:
                yield _Link(entry.path, name_start)
        pending.extend(reversed(descend))


def _is_folder(entry: os.DirEntry) -> bool:
    """Return whether the entry is a folder or a link to one, as ``os.walk`` decides."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_link(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False


def _folder_key(path: str) -> tuple[int, int] | None:
    """Return the device and inode of the folder at ``path``, or None if it cannot be read."""
    try:
        details = os.stat(path)
    except OSError:
        return None
    return details.st_dev, details.st_ino


def _unlisted_folder(path: str, error: OSError) -> FileResult:
    """Return the ``unreadable`` result of a folder whose contents could not be listed."""
    return FileResult(
        path=mask_path(path),
        status=FileStatus.UNREADABLE,
        file_format=FOLDER_FORMAT,
        message=f"cannot list folder: {error.strerror or type(error).__name__}",
    )


def scan_paths(
    paths: Iterable[str],
    options: ScanOptions | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> Iterator[FileResult]:
    """Scan files and folders; yield one result per file, archive member and e-mail attachment.

    Paths in the results are masked (see :mod:`shoumi.scanner.names`). A folder whose name
    contains an identifier gets a result of its own, with format ``folder``, and so does a
    folder that cannot be listed (status ``unreadable``). A symbolic link inside a folder
    gets an ``unsupported`` result with format ``symlink``, unless
    ``options.follow_symlinks`` is set, and a link whose target is missing an
    ``unreadable`` one. Runs of files
    shorter than a block are scanned in batches, the UTF-8 text files of a batch in one
    pass (see :func:`shoumi.scanner.formats.scan_small_files`), with the same results.

    With ``options.workers > 1`` files are scanned in that many processes, or in as many
    as there are jobs if fewer, and results arrive in completion order. A scan of one job
    (a file, or a batch of small files) runs in this process. UTF-8 text files of at least
    ``options.split_bytes`` plus one block are then scanned in ranges of about
    ``options.split_bytes`` (see :mod:`shoumi.scanner.split`),
    and their result arrives when the last range is done. ``on_result`` is called for
    each result before it is yielded (the command line draws its progress bar there).
    """
    options = options or ScanOptions()
    items = _batch_small_files(iter_files(paths, options.follow_symlinks), options)
    if options.workers <= 1:
        yield from _flatten((_scan_item(item, options) for item in items), on_result)
        return
    pieces = _split_large_files(items, options)
    ahead, jobs = _look_ahead(pieces, options.workers)
    if jobs <= 1:
        # One job or none, so no pieces, because a split file has two at least. They are
        # scanned here, without starting processes that would have nothing to do.
        wholes = cast(list[_File | _Batch | _Folder | _Link | FileResult], ahead)
        yield from _flatten((_scan_item(item, options) for item in wholes), on_result)
        return
    # Fewer workers than requested when the scan has fewer jobs.
    with WorkerPool(jobs, functools.partial(_scan_job, options)) as pool:
        outputs = _scan_in_pool(pool, itertools.chain(ahead, pieces), options)
        yield from _flatten(_merge_pieces(outputs, options), on_result)


def _look_ahead(
    items: Iterator[_File | _Batch | _Folder | _Link | FileResult | _Piece], limit: int
) -> tuple[list[_File | _Batch | _Folder | _Link | FileResult | _Piece], int]:
    """Take items until ``limit`` jobs are among them or the items end.

    Returns the items taken and the number of jobs among them, which is below ``limit``
    only when the items ended.
    """
    ahead = []
    jobs = 0
    for item in items:
        ahead.append(item)
        jobs += isinstance(item, _File | _Batch | _Piece)
        if jobs >= limit:
            break
    return ahead, jobs


def _batch_small_files(
    items: Iterable[_File | _Folder | _Link | FileResult], options: ScanOptions
) -> Iterator[_File | _Batch | _Folder | _Link | FileResult]:
    """Group runs of files shorter than a block into batches.

    Folders met while a batch is open join it, so that files given one by one on the
    command line, each after its folder, are batched too. Any other item ends the batch,
    so results keep the order of the walk. A batch contains at most ``BATCH_FILES``
    files and folders, ``BATCH_BYTES`` bytes of files and about ``BATCH_JOB_BYTES`` bytes
    when pickled, so a worker's job stays short and small.
    """
    batch: list[_File | _Folder] = []
    batch_bytes = job_bytes = 0
    for item in items:
        size = _small_file_size(item, options)
        if size is None and not (batch and isinstance(item, _Folder)):
            if batch:
                yield _Batch(tuple(batch))
                batch, batch_bytes, job_bytes = [], 0, 0
            yield item
            continue
        entry = cast(_File | _Folder, item)
        entry_bytes = len(entry.path.encode("utf-8", "surrogateescape")) + BATCH_ENTRY_BYTES
        if batch and (
            len(batch) == BATCH_FILES
            or batch_bytes + (size or 0) > BATCH_BYTES
            or job_bytes + entry_bytes > BATCH_JOB_BYTES
        ):
            yield _Batch(tuple(batch))
            batch, batch_bytes, job_bytes = [], 0, 0
            if size is None:
                # A folder starts no batch.
                yield item
                continue
        batch.append(entry)
        batch_bytes += size or 0
        job_bytes += entry_bytes
    if batch:
        yield _Batch(tuple(batch))


def _small_file_size(
    item: _File | _Folder | _Link | FileResult, options: ScanOptions
) -> int | None:
    """Return the size of a regular file shorter than a block, else None."""
    if not isinstance(item, _File):
        return None
    try:
        details = os.stat(item.path)
    except OSError:
        return None
    if not stat.S_ISREG(details.st_mode) or details.st_size >= options.block_bytes:
        return None
    return details.st_size


def _scan_item(
    item: _File | _Batch | _Folder | _Link | FileResult, options: ScanOptions
) -> list[FileResult]:
    if isinstance(item, FileResult):
        return [item]
    if isinstance(item, _Link):
        return [_link_result(item, options)]
    if isinstance(item, _Folder):
        return folder_result(item.path, item.name_start, options)
    if isinstance(item, _Batch):
        files = [entry for entry in item.items if isinstance(entry, _File)]
        scanned = iter(scan_small_files([file.path for file in files], options))
        merged: list[FileResult] = []
        for entry in item.items:
            if isinstance(entry, _Folder):
                merged.extend(folder_result(entry.path, entry.name_start, options))
                continue
            results = next(scanned)
            check_names(results, entry.name_start, options)
            merged.extend(results)
        return merged
    results = scan_path(item.path, options)
    check_names(results, item.name_start, options)
    return results


def _link_result(link: _Link, options: ScanOptions) -> FileResult:
    """Return the not-scanned result of a link, with the identifiers in its name."""
    part = FOLDER_NAME if link.to_folder else FILE_NAME
    return FileResult(
        path=mask_path(link.path),
        status=FileStatus.UNREADABLE if link.broken else FileStatus.UNSUPPORTED,
        file_format="symlink",
        message=BROKEN_LINK_MESSAGE if link.broken else SYMLINK_MESSAGE,
        extra_findings=name_findings(link.path, link.name_start, part, options),
    )


def _split_large_files(
    items: Iterable[_File | _Batch | _Folder | _Link | FileResult], options: ScanOptions
) -> Iterator[_File | _Batch | _Folder | _Link | FileResult | _Piece]:
    """Yield the items, with each file that :func:`plan_ranges` splits replaced by its pieces."""
    for file_number, item in enumerate(items):
        ranges = plan_ranges(item.path, options) if isinstance(item, _File) else []
        if isinstance(item, _File) and ranges:
            for text_range in ranges:
                yield _Piece(file_number, item.name_start, text_range)
        else:
            yield item


def _scan_in_pool(
    pool: WorkerPool,
    items: Iterable[_File | _Batch | _Folder | _Link | FileResult | _Piece],
    options: ScanOptions,
) -> Iterator[list[FileResult] | tuple[_Piece, RangeResult]]:
    """Scan files, batches and pieces in the pool, and the other folder names and missing
    paths in the parent.

    A folder's name takes about 2 microseconds to check, less than sending it to a worker.
    A folder inside a batch is checked in the worker, with the batch. The parent's
    results are yielded between the workers' outputs.
    """
    parent_results: deque[list[FileResult]] = deque()

    def jobs() -> Iterator[_File | _Batch | _Piece]:
        for item in items:
            if isinstance(item, _File | _Batch | _Piece):
                yield item
            else:
                parent_results.append(_scan_item(item, options))

    for output in pool.run(jobs()):
        while parent_results:
            yield parent_results.popleft()
        yield output
    while parent_results:
        yield parent_results.popleft()


def _scan_job(
    options: ScanOptions, item: _File | _Batch | _Piece
) -> list[FileResult] | tuple[_Piece, RangeResult] | _PackedResults:
    if isinstance(item, _Piece):
        return item, scan_range(item.text_range, options)
    if isinstance(item, _Batch):
        # Arrives in the parent as the list of results (see _PackedResults).
        return _PackedResults(_scan_item(item, options))
    return _scan_item(item, options)


class _PackedResults:
    """A batch's results on their way from a worker, its tables pickled as one table.

    Pickling each small file's table on its own cost the parent about 40 µs per file to
    rebuild seven arrays, more than a batch takes to scan one small file. The parent
    unpickles this as the list of results, each table a slice of the joined one. The
    other fields of each result travel as a tuple, which unpickles faster than the
    dataclass.
    """

    def __init__(self, results: list[FileResult]) -> None:
        self.results = results

    def __reduce__(self) -> tuple[Callable[..., list[FileResult]], tuple]:
        owned = [
            (index, table) for index, result in enumerate(self.results) for table in result.tables
        ]
        shells = [
            (
                result.path,
                result.status.value,
                result.file_format,
                result.size,
                result.encoding,
                result.message,
                result.extra_findings,
            )
            for result in self.results
        ]
        if not owned:
            return _unpack_results, (shells, [], [], [], None)
        joined = FindingTable.joined([table for _, table in owned])
        owners = [index for index, _ in owned]
        parts = [table.part for _, table in owned]
        sizes = [len(table) for _, table in owned]
        return _unpack_results, (shells, owners, parts, sizes, joined)


def _unpack_results(
    shells: list[tuple[str, str, str, int, str | None, str, list[Finding]]],
    owners: list[int],
    parts: list[str | None],
    sizes: list[int],
    joined: FindingTable | None,
) -> list[FileResult]:
    results = [
        FileResult(
            path=path,
            status=FileStatus(status),
            file_format=file_format,
            size=size,
            encoding=encoding,
            message=message,
            extra_findings=extra_findings,
        )
        for path, status, file_format, size, encoding, message, extra_findings in shells
    ]
    start = 0
    for owner, part, size in zip(owners, parts, sizes, strict=True):
        assert joined is not None  # noqa: S101 - owners is empty without a joined table
        results[owner].tables.append(joined.rows(slice(start, start + size), part))
        start += size
    return results


def _merge_pieces(
    outputs: Iterable[list[FileResult] | tuple[_Piece, RangeResult]], options: ScanOptions
) -> Iterator[list[FileResult]]:
    """Pass results on, and hold the pieces of a file until all have arrived, then merge them."""
    arrived: dict[int, list[RangeResult]] = {}
    for output in outputs:
        if isinstance(output, list):
            yield output
            continue
        piece, range_result = output
        pieces = arrived.setdefault(piece.file_number, [])
        pieces.append(range_result)
        if len(pieces) == piece.text_range.count:
            del arrived[piece.file_number]
            results = [merge_ranges(pieces)]
            check_names(results, piece.name_start, options)
            yield results


def _flatten(
    batches: Iterable[list[FileResult]], on_result: Callable[[FileResult], None] | None
) -> Iterator[FileResult]:
    for batch in batches:
        for result in batch:
            if on_result is not None:
                on_result(result)
            yield result
