"""Walk paths and scan every file, in parallel worker processes when asked."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from shoumi.scanner.formats import scan_path
from shoumi.scanner.model import FileResult, FileStatus, ScanOptions
from shoumi.scanner.names import check_names, folder_result, mask_path


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


def _scan_item(item: _File | _Folder | FileResult, options: ScanOptions) -> list[FileResult]:
    if isinstance(item, FileResult):
        return [item]
    if isinstance(item, _Folder):
        return folder_result(item.path, item.name_start, options)
    results = scan_path(item.path, options)
    check_names(results, item.name_start, options)
    return results


def _scan_job(job: tuple[_File | _Folder | FileResult, ScanOptions]) -> list[FileResult]:
    return _scan_item(*job)


def _flatten(
    batches: Iterable[list[FileResult]], on_result: Callable[[FileResult], None] | None
) -> Iterator[FileResult]:
    for batch in batches:
        for result in batch:
            if on_result is not None:
                on_result(result)
            yield result
