"""Walk paths and scan every file, in parallel worker processes when asked."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass

from shoumi.scanner.formats import scan_path
from shoumi.scanner.model import FileResult, FileStatus, ScanOptions
from shoumi.scanner.names import check_names, folder_result, mask_path
from shoumi.scanner.split import RangeResult, TextRange, merge_ranges, plan_ranges, scan_range

# Jobs submitted per worker before waiting for a result: enough that the executor has a
# job queued when a worker finishes one, few enough that a large tree does not become
# millions of futures.
_JOBS_PER_WORKER = 4
_PARENT_CHECK_SECONDS = 0.5
# Exit status of a worker whose parent died.
EXIT_PARENT_GONE = 1


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
class _Piece:
    """A range of a large text file, scanned as a job of its own.

    ``file_number`` identifies the file within one scan, also when a path is given twice.
    """

    file_number: int
    name_start: int
    text_range: TextRange


def iter_files(
    paths: Iterable[str], follow_symlinks: bool = False
) -> Iterator[_File | _Folder | FileResult]:
    """Yield every file and folder under ``paths`` in sorted order, or a result for a missing path.

    A path given on the command line is checked whole: for a folder, its full path is the
    folder's name, and a file's folder part is checked as a folder.
    """
    for root in paths:
        if os.path.isfile(root):
            folder, _ = os.path.split(root)
            if folder:
                yield _Folder(folder, 0)
            yield _File(root, len(folder) + 1 if folder else 0)
        elif os.path.isdir(root):
            yield _Folder(root, 0)
            for directory, subdirectories, files in os.walk(root, followlinks=follow_symlinks):
                subdirectories.sort()
                for name in subdirectories:
                    yield _Folder(os.path.join(directory, name), len(directory) + 1)
                for name in sorted(files):
                    path = os.path.join(directory, name)
                    if follow_symlinks or not os.path.islink(path):
                        yield _File(path, len(path) - len(name))
        else:
            yield FileResult(
                path=mask_path(root), status=FileStatus.UNREADABLE, message="path not found"
            )


def scan_paths(
    paths: Iterable[str],
    options: ScanOptions | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> Iterator[FileResult]:
    """Scan files and folders; yield one result per file, archive member and e-mail attachment.

    Paths in the results are masked (see :mod:`shoumi.scanner.names`). A folder whose name
    contains an identifier gets a result of its own, with format ``folder``.

    With ``options.workers > 1`` files are scanned in that many processes and
    results arrive in completion order. UTF-8 text files larger than
    ``options.split_bytes`` are then scanned in ranges (see :mod:`shoumi.scanner.split`),
    and their result arrives when the last range is done. ``on_result`` is called for
    each result before it is yielded (the command line draws its progress bar there).
    """
    options = options or ScanOptions()
    items = iter_files(paths, options.follow_symlinks)
    if options.workers <= 1:
        results: Iterator[list[FileResult]] = (_scan_item(item, options) for item in items)
        yield from _flatten(results, on_result)
        return
    context = multiprocessing.get_context("spawn" if os.name == "nt" else "fork")
    # Not multiprocessing.Pool: in Python 3.11.7 its worker-handler thread also waits on
    # the result pipe (Pool._get_sentinels), so it wakes again and again while results
    # arrive. Measured on the 64 MiB benchmark corpus with two workers: about 0.05 s of CPU
    # time with whole files and 0.13 s with 1 MiB ranges. The executor's manager thread
    # receives the results itself.
    executor = ProcessPoolExecutor(
        options.workers,
        mp_context=context,
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    )
    try:
        outputs = _run_jobs(executor, _split_large_files(items, options), options)
        yield from _flatten(_merge_pieces(outputs, options), on_result)
    finally:
        # After an error, or when the caller stops early, jobs not yet started are
        # cancelled, and the running ones are waited for.
        executor.shutdown(cancel_futures=True)


def _exit_with_parent(parent_pid: int) -> None:
    """Make this worker exit once the process that started it is gone.

    A worker blocks reading its job queue, and a parent killed with SIGKILL never closes
    that queue, because the workers hold copies of its pipe. A thread that checks the
    parent's process id every ``_PARENT_CHECK_SECONDS`` ends the worker instead.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(_PARENT_CHECK_SECONDS)
        os._exit(EXIT_PARENT_GONE)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _scan_item(item: _File | _Folder | FileResult, options: ScanOptions) -> list[FileResult]:
    if isinstance(item, FileResult):
        return [item]
    if isinstance(item, _Folder):
        return folder_result(item.path, item.name_start, options)
    results = scan_path(item.path, options)
    check_names(results, item.name_start, options)
    return results


def _split_large_files(
    items: Iterable[_File | _Folder | FileResult], options: ScanOptions
) -> Iterator[_File | _Folder | FileResult | _Piece]:
    """Yield the items, with each file that :func:`plan_ranges` splits replaced by its pieces."""
    for file_number, item in enumerate(items):
        ranges = plan_ranges(item.path, options) if isinstance(item, _File) else []
        if isinstance(item, _File) and ranges:
            for text_range in ranges:
                yield _Piece(file_number, item.name_start, text_range)
        else:
            yield item


def _run_jobs(
    executor: ProcessPoolExecutor,
    jobs: Iterable[_File | _Folder | FileResult | _Piece],
    options: ScanOptions,
) -> Iterator[list[FileResult] | tuple[_Piece, RangeResult]]:
    """Submit the jobs a few at a time and yield their outputs in completion order."""
    pending: set[Future[list[FileResult] | tuple[_Piece, RangeResult]]] = set()
    for job in jobs:
        pending.add(executor.submit(_scan_job, (job, options)))
        if len(pending) >= options.workers * _JOBS_PER_WORKER:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            yield future.result()


def _scan_job(
    job: tuple[_File | _Folder | FileResult | _Piece, ScanOptions],
) -> list[FileResult] | tuple[_Piece, RangeResult]:
    item, options = job
    if isinstance(item, _Piece):
        return item, scan_range(item.text_range, options)
    return _scan_item(item, options)


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
