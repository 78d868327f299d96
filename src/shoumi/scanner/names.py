"""Identifiers in file, folder, archive member and attachment names.

A name such as ``张三 身份证 320106197809230418.txt`` is personal data in itself. Every
path a result carries is masked here, with the engine and the masks it uses for file
contents, so no report prints an identifier from a name. An identifier in the name that a
result adds (its file name, or its member name inside an archive) is also reported as a
finding, located by ``part`` (``file name``, ``folder name``, ``member name`` or
``attachment name``). Folders of a scanned tree are checked once each, not with every file.
Identifiers in worksheet names are reported the same way, as ``sheet name``, and the
names are shown with their digits hidden (:mod:`shoumi.scanner.formats`).
"""

from __future__ import annotations

import re
from dataclasses import replace

from shoumi.identifiers.dates import today_digits
from shoumi.scanner.engine import scan_utf8
from shoumi.scanner.kinds import Confidence, Kind
from shoumi.scanner.model import FileResult, Finding, Location, ScanOptions
from shoumi.scanner.text import scan_segments

FILE_NAME = "file name"
FOLDER_NAME = "folder name"
MEMBER_NAME = "member name"
ATTACHMENT_NAME = "attachment name"
SHEET_NAME = "sheet name"

# Parts whose children are named ``parent!child``, by the parent's file format.
_CHILD_PARTS = {"zip": MEMBER_NAME, "eml": ATTACHMENT_NAME}

# Every identifier kind has at least seven digits (the fewest: a passport of two letters and
# seven digits, such as MA1234567), so a name with fewer digits is not scanned.
_DIGIT = re.compile(r"[0-9\uff10-\uff19]")
_MIN_DIGITS = 7


def may_contain_identifier(text: str) -> bool:
    """Return whether ``text`` has enough digits to contain an identifier."""
    return len(_DIGIT.findall(text)) >= _MIN_DIGITS


def hide_digits(text: str) -> str:
    """Return ``text`` with every digit replaced by ``*`` if it has enough digits to contain
    an identifier, else ``text`` itself.

    For names printed in every finding's location, such as worksheet names: masking finds
    only the identifiers the engine finds, and not one glued to letters, split by other
    spaces or written in mixed widths.
    """
    return _DIGIT.sub("*", text) if may_contain_identifier(text) else text


# Path parts with seven digits or more in which the engine found no identifier, such as
# "20240315会议纪要", so that the files of one folder do not each pay an engine call (about
# 0.3 ms) for it. Parts with an identifier are never kept. Emptied when full, and when the
# date changes: a resident ID born on the new day becomes valid then.
_CLEAN_PARTS: set[str] = set()
_CLEAN_PARTS_MAX = 4096
# Longer parts are not kept (most file systems limit a name to 255 bytes, but an archive
# member's name can be 64 KiB), so the set stays small.
_CLEAN_PART_MAX_CHARS = 255
_clean_parts_day = ""


def mask_path(path: str) -> str:
    """Return ``path`` with each identifier replaced by its mask; the rest stays as it is.

    Every kind is masked at every confidence, whatever the scan options report, because a
    path that keeps any value the engine finds is rejected on upload. Parts between
    slashes are masked one by one: a slash ends every form of identifier the engine finds.
    """
    if not may_contain_identifier(path):
        return path
    return "/".join(_mask_part(part) for part in path.split("/"))


def _mask_part(part: str) -> str:
    global _clean_parts_day
    today = today_digits()
    if today != _clean_parts_day:
        _CLEAN_PARTS.clear()
        _clean_parts_day = today
    if part in _CLEAN_PARTS or not may_contain_identifier(part):
        return part
    masked = _mask_text(part)
    if masked == part and len(part) <= _CLEAN_PART_MAX_CHARS:
        if len(_CLEAN_PARTS) >= _CLEAN_PARTS_MAX:
            _CLEAN_PARTS.clear()
        _CLEAN_PARTS.add(part)
    return masked


def _mask_text(text: str) -> str:
    # surrogateescape keeps file names that are not valid UTF-8 byte for byte.
    encoded = text.encode("utf-8", "surrogateescape")
    matches = scan_utf8(encoded)
    if not len(matches):
        return text
    pieces = []
    position = 0
    for start, end, masked in zip(
        matches.start.tolist(), matches.end.tolist(), matches.masked.tolist(), strict=True
    ):
        pieces += [encoded[position:start], masked]
        position = end
    pieces.append(encoded[position:])
    return b"".join(pieces).decode("utf-8", "surrogateescape")


def name_findings(path: str, name_start: int, part: str, options: ScanOptions) -> list[Finding]:
    """Return findings for the identifiers in ``path[name_start:]``, with the path masked."""
    name = path[name_start:]
    if not may_contain_identifier(name):
        return []
    found = scan_segments([name], options)
    if not found:
        return []
    masked_path = mask_path(path)
    return [
        Finding(
            path=masked_path,
            location=Location(part=part),
            kind=Kind(kind),
            masked=masked,
            confidence=Confidence(confidence),
            length=length,
        )
        for _, _, _, kind, confidence, length, masked in found
    ]


def folder_result(path: str, name_start: int, options: ScanOptions) -> list[FileResult]:
    """Return a ``folder`` result for a folder whose name contains an identifier, else nothing."""
    found = name_findings(path, name_start, FOLDER_NAME, options)
    if not found:
        return []
    return [FileResult(path=found[0].path, file_format="folder", extra_findings=found)]


def check_names(results: list[FileResult], name_start: int, options: ScanOptions) -> None:
    """Report identifiers in the names the results add, then mask every result's path.

    ``results`` are those of one file on disk: the file first, then its archive members
    and e-mail attachments, each named ``parent!name`` after a result before it.
    ``name_start`` is where the file's own name begins in its path.
    """
    parents: list[tuple[str, str]] = []
    for index, result in enumerate(results):
        path = result.path
        if index == 0:
            start, part = name_start, FILE_NAME
        else:
            parent, part = max(
                (entry for entry in parents if path.startswith(entry[0] + "!")),
                key=lambda entry: len(entry[0]),
                default=("", FILE_NAME),
            )
            start = len(parent) + 1 if parent else name_start
        if result.file_format in _CHILD_PARTS:
            parents.append((path, _CHILD_PARTS[result.file_format]))
        result.extra_findings.extend(name_findings(path, start, part, options))
    for result in results:
        result.path = mask_path(result.path)
        result.extra_findings = [
            replace(finding, path=result.path) for finding in result.extra_findings
        ]
