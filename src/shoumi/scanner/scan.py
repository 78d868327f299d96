"""Walk paths and scan every file, in parallel worker processes when asked."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator

from shoumi.scanner.formats import scan_path
from shoumi.scanner.model import FileResult, FileStatus, ScanOptions


def iter_files(paths: Iterable[str], follow_symlinks: bool = False) -> Iterator[str | FileResult]:
    """Yield every file under ``paths`` in sorted order, or a result for a missing path."""
    for root in paths:
        if os.path.isfile(root):
            yield root
        elif os.path.isdir(root):
            for directory, subdirectories, files in os.walk(root, followlinks=follow_symlinks):
                subdirectories.sort()
                for name in sorted(files):
                    path = os.path.join(directory, name)
                    if follow_symlinks or not os.path.islink(path):
                        yield path
        else:
            yield FileResult(path=root, status=FileStatus.UNREADABLE, message="path not found")


def scan_paths(
    paths: Iterable[str],
    options: ScanOptions | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> Iterator[FileResult]:
    """Scan files and folders; yield one result per file, archive member and e-mail attachment.

    With ``options.workers > 1`` files are scanned in that many processes and
    results arrive in completion order. ``on_result`` is called for each
    result before it is yielded (the command line draws its progress bar there).
    """
    options = options or ScanOptions()
    items = iter_files(paths, options.follow_symlinks)
    if options.workers <= 1:
        results: Iterator[list[FileResult]] = (_scan_item(item, options) for item in items)
        yield from _flatten(results, on_result)
        return
    context = multiprocessing.get_context("spawn" if os.name == "nt" else "fork")
    with context.Pool(options.workers) as pool:
        jobs = ((item, options) for item in items)
        yield from _flatten(pool.imap_unordered(_scan_job, jobs, chunksize=1), on_result)


def _scan_item(item: str | FileResult, options: ScanOptions) -> list[FileResult]:
    if isinstance(item, FileResult):
        return [item]
    return scan_path(item, options)


def _scan_job(job: tuple[str | FileResult, ScanOptions]) -> list[FileResult]:
    return _scan_item(*job)


def _flatten(
    batches: Iterable[list[FileResult]], on_result: Callable[[FileResult], None] | None
) -> Iterator[FileResult]:
    for batch in batches:
        for result in batch:
            if on_result is not None:
                on_result(result)
            yield result
