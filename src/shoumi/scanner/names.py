"""Identifiers in file, folder, archive member and attachment names.

A name such as ``张三 身份证 320106197809230418.txt`` is personal data in itself. Every
path a result carries is masked here, with the engine and the masks it uses for file
contents, so no report prints an identifier from a name. An identifier in the name that a
result adds (its file name, or its member name inside an archive) is also reported as a
finding, located by ``part`` (``file name``, ``folder name``, ``member name`` or
``attachment name``). Folders of a scanned tree are checked once each, not with every file.
Identifiers in worksheet names are reported the same way, as ``sheet name``, and the
names are shown with their digits hidden (:mod:`shoumi.scanner.formats`). Paths also mask
numbers glued to letters that are identifiers on their own, which the engine passes over.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
    return _mask_glued(_mask_found(text))


def _mask_found(text: str) -> str:
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


def _mask_glued(text: str) -> str:
    """Mask each run of digits touching an ASCII letter that is an identifier on its own.

    The engine passes over ``ID320106197809230418`` or ``320106197809230418zs``, because
    the benchmark corpus labels a number glued to letters in file contents as no
    identifier. A name printed in a report is masked all the same:
    a mask too many hides part of a name, one too few prints an identifier. These runs
    are not reported as findings.
    """
    pieces = []
    position = 0
    for start, end, masked, _ in _glued_identifiers(text):
        pieces += [text[position:start], masked]
        position = end
    if not pieces:
        return text
    pieces.append(text[position:])
    return "".join(pieces)


def glued_identifier_kinds(text: str) -> list[Kind]:
    """Return the kinds of the identifiers glued to ASCII letters in ``text`` (see
    :func:`_mask_glued`), which a scan report must not contain either."""
    return [kind for _, _, _, kind in _glued_identifiers(text)]


# A digit next to an ASCII letter, either way round.
_GLUED = re.compile(r"[A-Za-z][0-9]|[0-9][A-Za-z]")
# Runs as long as the shortest identifier of digits only (a mobile number), with the check
# character X that may end an identity number.
_GLUED_RUN = re.compile(r"[0-9]{11,}[Xx]?")


def _glued_identifiers(text: str) -> Iterator[tuple[int, int, str, Kind]]:
    """Yield start, end, mask and kind of each identifier glued to ASCII letters."""
    if not _GLUED.search(text):
        return
    for run in _GLUED_RUN.finditer(text):
        start, end = run.span()
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if not (_is_ascii_letter(before) or _is_ascii_letter(after)):
            continue
        found = _identifier_run(run.group())
        if found is not None:
            masked, kind = found
            yield start, end, masked, kind


def _is_ascii_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _identifier_run(run: str) -> tuple[str, Kind] | None:
    """Return ``run`` masked, and the kind, if the engine finds an identifier spanning it.

    A run ending in X is also tried without it, for an X that begins the next word.
    """
    candidates = [run, run[:-1]] if run[-1] in "Xx" else [run]
    for candidate in candidates:
        matches = scan_utf8(candidate.encode("ascii"))
        if len(matches) == 1 and int(matches.end[0]) - int(matches.start[0]) == len(candidate):
            masked = matches.masked[0].decode("ascii") + run[len(candidate) :]
            return masked, Kind(int(matches.kind[0]))
    return None


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
