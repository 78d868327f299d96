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

import bisect
import re
from dataclasses import replace

from shoumi.identifiers.dates import today_digits
from shoumi.scanner.engine import scan_utf8
from shoumi.scanner.kinds import Confidence, Kind
from shoumi.scanner.model import FOLDER_FORMAT, FileResult, Finding, Location, ScanOptions
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
    [spans] = _identifier_spans([encoded])
    if not spans:
        return text
    pieces = []
    position = 0
    for start, end, masked, _, _ in spans:
        pieces += [encoded[position:start], masked]
        position = end
    pieces.append(encoded[position:])
    return b"".join(pieces).decode("utf-8", "surrogateescape")


def glued_identifier_kinds(texts: list[str]) -> list[Kind]:
    """Return the kinds of the identifiers glued to letters in ``texts``, which paths mask
    (see :func:`_identifier_spans`) and a scan report must not contain either."""
    encoded = [text.encode("utf-8", "surrogateescape") for text in texts]
    return [kind for spans in _identifier_spans(encoded) for _, _, _, kind, glued in spans if glued]


# An ASCII or full-width letter beside an ASCII or full-width digit, either way round.
_GLUE = re.compile(
    "(?:[A-Za-z]|\xef\xbc[\xa1-\xba]|\xef\xbd[\x81-\x9a])"
    "(?:[0-9]|\xef\xbc[\x90-\x99])"
    "|(?:[0-9]|\xef\xbc[\x90-\x99])"
    "(?:[A-Za-z]|\xef\xbc[\xa1-\xba]|\xef\xbd[\x81-\x9a])".encode("latin-1")
)
# ASCII and full-width letters, replaced by spaces of the same length in UTF-8 so that
# offsets stay.
_LETTER = re.compile(rb"[A-Za-z]|\xef\xbc[\xa1-\xba]|\xef\xbd[\x81-\x9a]")
# The check character X as it may end an identity number: x, X, ｘ or Ｘ.
_CHECK_X = frozenset({b"x", b"X", "ｘ".encode(), "Ｘ".encode()})
_DIGIT_BYTES = re.compile(rb"[0-9]|\xef\xbc[\x90-\x99]")


def _blanked(encoded: bytes, keep_check_x: bool) -> bytes:
    """Return ``encoded`` with its letters as spaces, but for an X right after a digit if
    ``keep_check_x``."""

    def blank(match: re.Match[bytes]) -> bytes:
        letter = match.group()
        if keep_check_x and letter in _CHECK_X and _after_digit(encoded, match.start()):
            return letter
        return b" " * len(letter)

    return _LETTER.sub(blank, encoded)


def _after_digit(encoded: bytes, position: int) -> bool:
    return any(
        _DIGIT_BYTES.fullmatch(encoded, max(position - width, 0), position) for width in (1, 3)
    )


def _identifier_spans(texts: list[bytes]) -> list[list[tuple[int, int, bytes, Kind, bool]]]:
    """Return the identifier spans of each UTF-8 text, in order and not overlapping.

    A span is start, end, mask, kind, and whether the identifier is glued to letters.
    The engine passes over ``ID320106197809230418``, ``tel138-0013-8000`` and
    ``ＩＤ３２０１…``, because the benchmark corpus labels a number glued to letters in
    file contents as no identifier. Names are masked all the same, because a mask too many
    hides part of a name and one too few prints an identifier. So a text with a letter
    beside a digit is scanned twice more, with its letters as spaces. The first variant
    keeps an X right after a digit (for ``Alex32010619780923104X``), and the second blanks
    it too (for ``…0418Xiaoming``). An identifier found only in a variant is masked but
    not reported as a finding.

    Letters inside an identifier, as in a credit code or a passport number, are blanked
    too, so such an identifier glued to letters stays unmasked. All variants of all texts
    go through one engine call, which takes about 0.3 ms for short texts, mostly a fixed
    cost per call.
    """
    variants: list[tuple[int, int, bytes]] = []  # text index, variant, bytes
    for index, encoded in enumerate(texts):
        variants.append((index, 0, encoded))
        if _GLUE.search(encoded):
            variants.append((index, 1, _blanked(encoded, keep_check_x=True)))
            variants.append((index, 2, _blanked(encoded, keep_check_x=False)))
    starts = []
    offset = 0
    for _, _, data in variants:
        starts.append(offset)
        offset += len(data) + 1
    # Newlines keep the variants apart: no identifier continues across one.
    matches = scan_utf8(b"\n".join(data for _, _, data in variants))
    found: list[list[tuple[int, int, int, bytes, Kind]]] = [[] for _ in texts]
    by_variant = [(index, variant) for index, variant, _ in variants]
    for start, end, kind, masked in zip(
        matches.start.tolist(),
        matches.end.tolist(),
        matches.kind.tolist(),
        matches.masked.tolist(),
        strict=True,
    ):
        position = bisect.bisect_right(starts, start) - 1
        index, variant = by_variant[position]
        base = starts[position]
        found[index].append((variant, start - base, end - base, masked, Kind(kind)))
    return [_without_overlaps(spans) for spans in found]


def _without_overlaps(
    spans: list[tuple[int, int, int, bytes, Kind]],
) -> list[tuple[int, int, bytes, Kind, bool]]:
    """Return the spans found in the text itself, and those of the variants that overlap
    none chosen before, in order of position."""
    chosen: list[tuple[int, int, bytes, Kind, bool]] = []
    for variant, start, end, masked, kind in sorted(spans, key=lambda span: (span[0], span[1])):
        if all(end <= other[0] or start >= other[1] for other in chosen):
            chosen.append((start, end, masked, kind, variant > 0))
    return sorted(chosen, key=lambda span: span[0])


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
    return [FileResult(path=found[0].path, file_format=FOLDER_FORMAT, extra_findings=found)]


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
