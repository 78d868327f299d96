"""Check an uploaded ``shoumi scan --format json`` report before it is stored.

The layout is the one ``shoumi.scanner.report.build_report`` writes, format
``shoumi.scan-report`` version 1, and it is checked strictly: no missing or extra key,
the expected type and range for every value, and summary counts that agree with the
file and finding lists. A report that does not pass was edited or was written by a
version of the scanner that this server does not know, so it is not evidence.

A report must carry masked values only. The scanner engine runs over every key and
string value of the parsed report, so a JSON escape (``\\u0033``) cannot hide an
identifier, and any finding rejects the report. Numbers are not scanned, because a
byte count of a large scan can read as a mobile number. Instead, each number must lie
in the range its field allows: sizes below 2**50 bytes, every other number below 2**31.

Each string is scanned a second time in normal form: NFKC, without format characters
(U+200B, U+00AD, U+FEFF, ...) and combining marks, with every Unicode decimal digit
(Arabic-Indic, full-width, ...) as an ASCII digit and every dash as a hyphen. So these
characters cannot hide an identifier from the engine. Digits written as Chinese numerals
(一二三), or split by other characters that the scanner does not read as group separators
(a dot, or a space after every digit), are still not found.

Each finding's mask must have the exact shape the scanner writes for its kind, so a mask
that shows more characters than the scanner's rules allow is rejected.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shoumi.scanner import Confidence, FileStatus, Kind, ScanOptions, scan_segments
from shoumi.scanner.engine import MASK_KEEP
from shoumi.scanner.model import FOLDER_FORMAT
from shoumi.scanner.names import glued_identifier_kinds
from shoumi.scanner.report import REPORT_FORMAT, REPORT_VERSION
from shoumi.staff.errors import ScanReportRejected

MAX_REPORT_BYTES = 20 * 1024 * 1024
MAX_SIZE = 2**50
MAX_COUNT = 2**31

_TOP_KEYS = frozenset(
    {"format", "version", "started_at", "finished_at", "summary", "files", "findings"}
)
_SUMMARY_KEYS = frozenset(
    {"files_scanned", "files_not_scanned", "bytes_scanned", "findings", "findings_by_kind"}
)
_FILE_KEYS = frozenset(
    {"path", "status", "format", "size", "encoding", "message", "message_zh", "findings"}
)
_FINDING_KEYS = frozenset({"path", "location", "kind", "masked", "confidence", "length"})
# Location fields that a finding carries when they are set (see scanner.model.Location).
_LOCATION_INTEGERS = frozenset({"line", "column", "page"})
_LOCATION_STRINGS = frozenset({"sheet", "cell", "part"})
_KIND_LABELS = frozenset(kind.label for kind in Kind)
_CONFIDENCE_LABELS = frozenset(level.label for level in Confidence)
_STATUSES = frozenset(status.value for status in FileStatus)
_MASK_CHARACTERS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*")
# The scanner hides at least four characters of every value it reports. It hides a value
# completely when keeping its first and last characters (MASK_KEEP) would hide fewer, as
# scanner.engine._visible_columns does.
_MIN_HIDDEN = 4
# Mask widths per kind: the engine masks the value without group separators or a country
# code, so the width is the length of the value as its kind defines it.
_MASK_WIDTHS = {
    Kind.RESIDENT_ID: frozenset({15, 18}),
    Kind.RESIDENCE_PERMIT: frozenset({18}),
    Kind.FOREIGN_PERMANENT_RESIDENCE_ID: frozenset({15, 18}),
    Kind.USCC: frozenset({18}),
    Kind.BANK_CARD: frozenset({16, 17, 18, 19}),
    Kind.MOBILE: frozenset({11}),
    Kind.PASSPORT: frozenset({9}),
}
_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC) + dt.timedelta(days=1)
_LATEST = dt.datetime.max.replace(tzinfo=dt.UTC) - dt.timedelta(days=1)
# A UTF-16 surrogate, which a JSON escape such as \ud800 can produce but UTF-8 cannot encode.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Format characters and combining marks, which are invisible or sit on the character
# before them, so they can split an identifier without hiding it from a reader.
_IGNORED_CATEGORIES = frozenset({"Cf", "Mn", "Me"})
# Dashes (category Pd) and the minus sign look like the hyphen the scanner reads between
# the groups of a number (320106-19780923-0418).
_DASH_CATEGORY = "Pd"
_MINUS_SIGN = "\u2212"


@dataclass(frozen=True)
class CheckedReport:
    """A report that passed every check, with the figures a staff page lists."""

    document: dict[str, Any]
    sha256: str
    size: int
    started_at: dt.datetime
    finished_at: dt.datetime
    files_scanned: int
    files_not_scanned: int
    bytes_scanned: int
    finding_count: int
    findings_by_kind: dict[str, int]


def check_report(data: bytes) -> CheckedReport:
    """Parse and check an uploaded report; raise ``ScanReportRejected`` if it fails a rule."""
    if len(data) > MAX_REPORT_BYTES:
        raise ScanReportRejected(
            _("The report is larger than %(limit)d MiB. Scan fewer folders at a time.")
            % {"limit": MAX_REPORT_BYTES // (1024 * 1024)},
            code="too_large",
        )
    document = _parse(data)
    texts = _strings(document)
    _reject_surrogates(texts)

    # First, so that no later message can repeat a value from the report.
    _reject_plaintext(texts)
    _check_header(document)
    started_at, finished_at = _check_times(document)
    summary = _object(document["summary"], _SUMMARY_KEYS, "summary")
    files = _list(document["files"], "files")
    findings = _list(document["findings"], "findings")
    for index, entry in enumerate(files):
        _check_file(entry, f"files[{index}]")
    paths = {entry["path"] for entry in files}
    for index, finding in enumerate(findings):
        _check_finding(finding, f"findings[{index}]", paths)
    by_kind, files_scanned = _check_summary(summary, files, findings)

    return CheckedReport(
        document=document,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        started_at=started_at,
        finished_at=finished_at,
        files_scanned=files_scanned,
        files_not_scanned=summary["files_not_scanned"],
        bytes_scanned=summary["bytes_scanned"],
        finding_count=summary["findings"],
        findings_by_kind=by_kind,
    )


def _parse(data: bytes) -> Any:
    try:
        # A byte-order mark is not JSON, but Notepad and other Windows editors add one
        # when they save UTF-8.
        return json.loads(data.decode("utf-8-sig"))
    except ValueError as error:
        # UnicodeDecodeError, JSONDecodeError, or the ValueError for an integer of more
        # digits than sys.get_int_max_str_digits() allows (4300 by default).
        raise ScanReportRejected(
            _("The file is not a JSON report. Upload the output of shoumi scan --format json."),
            code="not_json",
        ) from error
    except RecursionError as error:
        # The json module parses nested arrays and objects recursively, up to the
        # interpreter's recursion limit (1000 by default). A scan report nests three levels deep.
        raise ScanReportRejected(
            _(
                "The report has arrays or objects nested too deeply. "
                "Upload the output of shoumi scan --format json unchanged."
            ),
            code="too_deep",
        ) from error


def _reject_surrogates(texts: list[str]) -> None:
    if any(_SURROGATE.search(text) for text in texts):
        raise ScanReportRejected(
            _(
                "The report contains a JSON escape that is not a valid Unicode character "
                "(a lone surrogate such as \\ud800). "
                "Upload the output of shoumi scan --format json unchanged."
            ),
            code="invalid_text",
        )


def _check_header(document: object) -> None:
    if not isinstance(document, dict) or document.get("format") != REPORT_FORMAT:
        raise ScanReportRejected(
            _("The file is not a shoumi scan report (format %(format)s expected).")
            % {"format": REPORT_FORMAT},
            code="wrong_format",
        )
    version = document.get("version")
    if type(version) is not int or version != REPORT_VERSION:
        raise ScanReportRejected(
            _(
                "Report version %(version)s is not supported; "
                "this server reads version %(expected)d."
            )
            % {"version": _describe(version), "expected": REPORT_VERSION},
            code="unsupported_version",
        )
    _object(document, _TOP_KEYS, "")


def _check_times(document: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    started_at = _timestamp(document["started_at"], "started_at")
    finished_at = _timestamp(document["finished_at"], "finished_at")
    if finished_at < started_at:
        raise _invalid("finished_at", _("not before started_at"))
    return started_at, finished_at


def _check_file(entry: object, where: str) -> None:
    entry = _object(entry, _FILE_KEYS, where)
    for key in ("path", "format", "message", "message_zh"):
        _string(entry[key], f"{where}.{key}")
    if not entry["path"]:
        raise _invalid(f"{where}.path", _("a non-empty text"))
    _choice(entry["status"], _STATUSES, f"{where}.status")
    if entry["encoding"] is not None:
        _string(entry["encoding"], f"{where}.encoding")
    _integer(entry["size"], f"{where}.size", MAX_SIZE)
    _integer(entry["findings"], f"{where}.findings", MAX_COUNT)


def _check_finding(finding: object, where: str, paths: set[str]) -> None:
    if not isinstance(finding, dict):
        raise _invalid(where, _("an object"))
    optional = finding.keys() - _FINDING_KEYS
    _object(finding, _FINDING_KEYS | (optional & (_LOCATION_INTEGERS | _LOCATION_STRINGS)), where)
    for key in ("path", "location", "masked"):
        _string(finding[key], f"{where}.{key}")
    if finding["path"] not in paths:
        raise _invalid(f"{where}.path", _("the path of an entry in files"))
    _choice(finding["kind"], _KIND_LABELS, f"{where}.kind")
    _choice(finding["confidence"], _CONFIDENCE_LABELS, f"{where}.confidence")
    length = _integer(finding["length"], f"{where}.length", MAX_COUNT)
    kind = Kind.from_label(finding["kind"])
    masked = finding["masked"]
    if not _is_scanner_mask(masked, kind) or len(masked) > length:
        head, tail = MASK_KEEP[kind]
        raise _invalid(
            f"{where}.masked",
            _(
                "the mask shoumi scan writes for a %(kind)s: %(widths)s characters, the first "
                "%(head)d and the last %(tail)d shown (digits or capital letters) and an "
                "asterisk for each of the others, not longer than length"
            )
            % {
                "kind": kind.title_zh,
                "widths": "/".join(str(width) for width in sorted(_MASK_WIDTHS[kind])),
                "head": head,
                "tail": tail,
            },
        )
    for key in optional:
        if key in _LOCATION_INTEGERS:
            if _integer(finding[key], f"{where}.{key}", MAX_COUNT) < 1:
                raise _invalid(f"{where}.{key}", _("a whole number of 1 or more"))
        else:
            _string(finding[key], f"{where}.{key}")


def _is_scanner_mask(masked: str, kind: Kind) -> bool:
    """Return whether ``masked`` is shaped as the scanner engine masks a value of ``kind``.

    The engine shows the first and last characters that ``MASK_KEEP`` gives for the kind
    and writes ``*`` for each of the others. A value too short for that to hide
    ``_MIN_HIDDEN`` characters is hidden completely.
    """
    width = len(masked)
    if width not in _MASK_WIDTHS[kind]:
        return False
    head, tail = MASK_KEEP[kind]
    if width < head + tail + _MIN_HIDDEN:
        head = tail = 0
    visible = masked[:head] + masked[width - tail :]
    hidden = masked[head : width - tail]
    return hidden == "*" * len(hidden) and "*" not in visible and set(visible) <= _MASK_CHARACTERS


def _check_summary(
    summary: dict[str, Any], files: list[Any], findings: list[Any]
) -> tuple[dict[str, int], int]:
    """Check the summary against the files and findings.

    Returns the counts by kind and the number of files scanned. Folders are not counted
    there, whichever way the report counted them.
    """
    for key in ("files_scanned", "files_not_scanned", "findings"):
        _integer(summary[key], f"summary.{key}", MAX_COUNT)
    _integer(summary["bytes_scanned"], "summary.bytes_scanned", MAX_SIZE)
    by_kind = _object(summary["findings_by_kind"], _KIND_LABELS, "summary.findings_by_kind")
    for label, count in by_kind.items():
        _integer(count, f"summary.findings_by_kind.{label}", MAX_COUNT)

    scanned = [entry for entry in files if entry["status"] == FileStatus.SCANNED.value]
    counted = Counter(finding["kind"] for finding in findings)
    # Reports written before the scanner stopped counting folders (whose names were
    # checked) as scanned files count them; both counts are accepted.
    scanned_files = [entry for entry in scanned if entry["format"] != FOLDER_FORMAT]
    if summary["files_scanned"] not in (len(scanned), len(scanned_files)):
        raise _mismatch("summary.files_scanned")
    expected = {
        "files_not_scanned": len(files) - len(scanned),
        "bytes_scanned": sum(entry["size"] for entry in scanned),
        "findings": len(findings),
    }
    for key, value in expected.items():
        if summary[key] != value:
            raise _mismatch(f"summary.{key}")
    for label in _KIND_LABELS:
        if by_kind[label] != counted[label]:
            raise _mismatch(f"summary.findings_by_kind.{label}")
    if sum(entry["findings"] for entry in files) != len(findings):
        raise _mismatch("files[].findings")
    return {label: by_kind[label] for label in sorted(_KIND_LABELS)}, len(scanned_files)


def _reject_plaintext(texts: list[str]) -> None:
    """Raise when the engine finds an identifier in any of ``texts`` (the keys and string
    values of the report), as written or normalised, or a text contains one glued to
    letters, which ``shoumi scan`` masks in names too."""
    normalised = [_normalised(text) for text in texts]
    changed = [index for index, text in enumerate(normalised) if text != texts[index]]
    options = ScanOptions(min_confidence=Confidence.LOW)
    found_by_text = _found_kinds(texts, options)
    found_normalised = _found_kinds([normalised[index] for index in changed], options)
    # A text's identifiers are counted in the form that shows more of them, so one that
    # is found both as written and normalised counts once.
    for position, in_normalised in found_normalised.items():
        index = changed[position]
        if len(in_normalised) > len(found_by_text.get(index, [])):
            found_by_text[index] = in_normalised
    found = [kind for kinds in found_by_text.values() for kind in kinds]
    # Part by part, as shoumi scan masks paths.
    parts = {part for text in [*texts, *normalised] for part in text.split("/")}
    found += glued_identifier_kinds(sorted(parts))
    if not found:
        return
    kinds = "、".join(sorted({kind.title_zh for kind in found}))
    raise ScanReportRejected(
        ngettext(
            "The report contains %(count)d value that looks like a plaintext identifier "
            "(%(kinds)s). Reports must carry masked values only: scan again with the current "
            "shoumi scan and upload its JSON output.",
            "The report contains %(count)d values that look like plaintext identifiers "
            "(%(kinds)s). Reports must carry masked values only: scan again with the current "
            "shoumi scan and upload its JSON output.",
            len(found),
        )
        % {"count": len(found), "kinds": kinds},
        code="plaintext_found",
    )


def _found_kinds(texts: list[str], options: ScanOptions) -> dict[int, list[Kind]]:
    """Return the kinds the engine finds in each of ``texts``, by index of the text."""
    found: dict[int, list[Kind]] = {}
    for segment in scan_segments(texts, options):
        index, kind = segment[0], segment[3]
        found.setdefault(index, []).append(Kind(kind))
    return found


def _normalised(text: str) -> str:
    """Return ``text`` in NFKC, without format characters and combining marks, and with
    every decimal digit in ASCII and every dash as a hyphen."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).translate(_normalisation_table())


@functools.cache
def _normalisation_table() -> dict[int, str | None]:
    """Return a ``str.translate`` table that drops ``_IGNORED_CATEGORIES``, maps every
    non-ASCII decimal digit to its ASCII digit and every dash to a hyphen. It is built on
    first use because it covers every code point."""
    table: dict[int, str | None] = {}
    for code in range(0x80, sys.maxunicode + 1):
        character = chr(code)
        category = unicodedata.category(character)
        digit = unicodedata.decimal(character, None)
        if category in _IGNORED_CATEGORIES:
            table[code] = None
        elif digit is not None:
            table[code] = str(digit)
        elif category == _DASH_CATEGORY or character == _MINUS_SIGN:
            table[code] = "-"
    return table


def _strings(document: object) -> list[str]:
    """Return every key and string value in a parsed JSON document.

    Iterative, because json.loads accepts a document nested almost to the recursion limit,
    deeper than a recursive walk from here could go.
    """
    texts: list[str] = []
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            texts += value.keys()
            pending += value.values()
        elif isinstance(value, list):
            pending += value
    return texts


def _object(value: object, keys: frozenset[str], where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(where or "report", _("an object"))
    missing = keys - value.keys()
    extra = value.keys() - keys
    if missing or extra:
        # Unexpected keys are counted, not named: they are text from the report.
        problems = [_("missing %(key)s") % {"key": key} for key in sorted(missing)]
        if extra:
            problems.append(
                ngettext("%(count)d unexpected field", "%(count)d unexpected fields", len(extra))
                % {"count": len(extra)}
            )
        raise ScanReportRejected(
            _("The report does not have the expected fields at %(where)s: %(problems)s.")
            % {"where": where or _("top level"), "problems": ", ".join(problems)},
            code="unexpected_fields",
        )
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _invalid(where, _("a list"))
    return value


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise _invalid(where, _("a text"))
    return value


def _choice(value: object, allowed: frozenset[str], where: str) -> str:
    # Text first: a list or object from the report is unhashable, so `in` would raise.
    if not isinstance(value, str) or value not in allowed:
        raise _invalid(where, ", ".join(sorted(allowed)))
    return value


def _integer(value: object, where: str, limit: int) -> int:
    # bool is an int subclass, and JSON true is no count.
    if type(value) is not int or not 0 <= value < limit:
        raise _invalid(where, _("a whole number from 0 to %(limit)d") % {"limit": limit - 1})
    return value


def _timestamp(value: object, where: str) -> dt.datetime:
    expected = _("a date and time in ISO 8601 with its UTC offset")
    if not isinstance(value, str):
        raise _invalid(where, expected)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(where, expected) from None
    if parsed.tzinfo is None:
        raise _invalid(where, expected)
    # The time is stored in UTC and shown in the server's time zone, and either
    # conversion fails outside the years 1 to 9999. A day's margin covers any offset.
    try:
        in_utc = parsed.astimezone(dt.UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not _EARLIEST <= in_utc <= _LATEST:
        raise _invalid(
            where,
            _("a date and time from %(earliest)s to %(latest)s UTC")
            % {"earliest": _EARLIEST.date().isoformat(), "latest": _LATEST.date().isoformat()},
        )
    return parsed


def _describe(value: object) -> str:
    """Describe a version field without repeating text or a long number from the report."""
    if type(value) is int and 0 <= value < 1000:
        return str(value)
    return _("of an unknown form")


def _invalid(where: str, expected: str) -> ScanReportRejected:
    return ScanReportRejected(
        _("The report field %(field)s is invalid: expected %(expected)s.")
        % {"field": where, "expected": expected},
        code="invalid_field",
    )


def _mismatch(where: str) -> ScanReportRejected:
    return ScanReportRejected(
        _("The report's count %(field)s does not match its lists of files and findings.")
        % {"field": where},
        code="count_mismatch",
    )
