"""Find and validate identifiers in UTF-8 bytes with vectorised NumPy passes.

The engine never decodes the text and never runs Python code per byte or per
candidate on the common path:

1. One pass over 64 KiB slices (small enough to stay in the CPU cache) finds
   every maximal run of ASCII letters and digits, every full-width letter or
   digit (U+FF10..U+FF19, U+FF21..U+FF3A, U+FF41..U+FF5A) and every newline.
   A maximal run has no letter or digit on either side, which is the
   candidate boundary rule: it needs no ``\\b`` (Python counts CJK characters
   as word characters, so ``\\b`` fails straight after Chinese text).
2. Runs of a candidate length, grouped shapes (``138 1234 5678``,
   ``6222 0212 3456 7890 128``) and runs of full-width characters become
   rows of a ``(n, length)`` matrix of normalised ASCII.
3. :mod:`shoumi.scanner.bulk` validates whole matrices at once; masks and
   confidence are computed the same way, so the plaintext value leaves this
   module only as its mask.

Python runs per candidate only for rare shapes: nine-character tokens that
start with a letter (passports) and 15-character tokens that start with three
letters (old foreign permanent residence IDs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from shoumi.identifiers import bulk, is_valid_foreign_permanent_residence_id, is_valid_passport
from shoumi.scanner.kinds import Confidence, Kind

SLICE_BYTES = 1 << 16
# NUL padding: the front pad covers the context window of a finding at offset 0, the back pad
# the three bytes read after a token's end.
_PAD = 32
_PAD_BYTES = b"\x00" * _PAD
_TAIL_PAD_BYTES = b"\x00" * 4
_COLUMNS = np.arange(64, dtype=np.int64)
_STAR = ord("*")
_SPACE = 0x20
_HYPHEN = 0x2D
_PLUS = ord("+")

# Bytes of context read before a finding: ten CJK characters in UTF-8.
CONTEXT_BYTES = 30

# Context words: two Chinese characters each, so every keyword is six UTF-8 bytes and
# one 48-bit comparison finds it at any offset of the window.
CONTEXT_WORDS = {
    Kind.RESIDENT_ID: ("身份", "证号", "证件", "公民", "户籍"),
    Kind.RESIDENCE_PERMIT: ("身份", "证号", "证件", "居住", "港澳", "台胞"),
    Kind.FOREIGN_PERMANENT_RESIDENCE_ID: ("身份", "证号", "证件", "永居", "居留", "外籍"),
    Kind.USCC: ("信用", "代码", "税号", "识别", "执照", "纳税"),
    Kind.BANK_CARD: ("卡号", "账号", "帐号", "账户", "帐户", "银行", "开户", "银联", "储蓄"),
    Kind.MOBILE: ("手机", "电话", "联系", "致电", "号码", "移动", "联通", "电信"),
    Kind.PASSPORT: ("护照", "证件", "出境", "签证"),
}


def _word_code(word: str) -> int:
    encoded = word.encode("utf-8")
    if len(encoded) != 6:
        raise ValueError(f"context word {word!r} must be two CJK characters (6 UTF-8 bytes)")
    return int.from_bytes(encoded, "little")


_CONTEXT_CODES = {
    kind: np.array([_word_code(word) for word in words], dtype=np.uint64)
    for kind, words in CONTEXT_WORDS.items()
}

# Confidence of a validated value without context words; a context word raises it one level.
# Kinds with a check character and a date or structure start high; a mobile number (prefix
# only), a card (Luhn passes one random number in ten) start medium; shapes without any
# check start low.
_BASE_CONFIDENCE = {
    Kind.RESIDENT_ID: Confidence.HIGH,
    Kind.RESIDENCE_PERMIT: Confidence.HIGH,
    Kind.FOREIGN_PERMANENT_RESIDENCE_ID: Confidence.HIGH,
    Kind.USCC: Confidence.HIGH,
    Kind.BANK_CARD: Confidence.MEDIUM,
    Kind.MOBILE: Confidence.MEDIUM,
    Kind.PASSPORT: Confidence.LOW,
}

# Characters kept visible at the start and end of a mask, per kind.
MASK_KEEP = {
    Kind.RESIDENT_ID: (3, 4),
    Kind.RESIDENCE_PERMIT: (3, 4),
    Kind.FOREIGN_PERMANENT_RESIDENCE_ID: (3, 4),
    Kind.USCC: (3, 4),
    Kind.BANK_CARD: (6, 4),
    Kind.MOBILE: (3, 4),
    Kind.PASSPORT: (1, 3),
}

# _VISIBLE[kind, column]: the column is kept before the tail is added (the head only).
_VISIBLE = np.zeros((len(Kind) + 1, 64), dtype=bool)
for _kind, (_head, _tail) in MASK_KEEP.items():
    _VISIBLE[_kind, :_head] = True

CANDIDATE_LENGTHS = (9, 11, 13, 15, 16, 17, 18, 19)
_IS_CANDIDATE_LENGTH = np.zeros(32, dtype=bool)
_IS_CANDIDATE_LENGTH[list(CANDIDATE_LENGTHS)] = True


@dataclass(frozen=True)
class Matches:
    """Validated findings in one block of UTF-8 text, one array entry per finding.

    ``start`` and ``end`` are byte offsets in the block; ``line`` is the 0-based
    line index in the block and ``column`` the 0-based character offset in
    that line. ``masked`` holds ASCII masks; the plaintext is not kept.
    """

    start: np.ndarray
    end: np.ndarray
    kind: np.ndarray
    confidence: np.ndarray
    masked: np.ndarray
    line: np.ndarray
    column: np.ndarray
    length: np.ndarray
    line_count: int

    def __len__(self) -> int:
        return int(self.start.shape[0])


@dataclass
class _Group:
    start: np.ndarray
    end: np.ndarray
    kind: np.ndarray
    base: np.ndarray
    matrix: np.ndarray
    chars: int


def scan_utf8(block: bytes) -> Matches:
    """Find every valid identifier in ``block`` (UTF-8; invalid sequences are passed over)."""
    arr = np.frombuffer(_PAD_BYTES + block + _TAIL_PAD_BYTES, dtype=np.uint8)
    run_start, run_end, fullwidth, newlines = _locate(arr)
    groups: list[_Group] = []
    groups.extend(_plain_tokens(arr, run_start, run_end))
    groups.extend(_grouped_tokens(arr, run_start, run_end))
    groups.extend(_fullwidth_tokens(arr, fullwidth))
    line_count = int(newlines.shape[0])
    groups = [group for group in groups if group.start.shape[0]]
    if not groups:
        return _empty(line_count)
    return _assemble(arr, groups, newlines, line_count)


def _empty(line_count: int) -> Matches:
    none = np.zeros(0, dtype=np.int64)
    return Matches(
        start=none,
        end=none,
        kind=np.zeros(0, dtype=np.uint8),
        confidence=np.zeros(0, dtype=np.uint8),
        masked=np.zeros(0, dtype="S1"),
        line=none,
        column=none,
        length=none,
        line_count=line_count,
    )


def _locate(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Find runs of ASCII letters and digits, full-width letters and digits, and newlines.

    Returns run starts, run ends, start offsets of full-width characters and newline offsets.
    """
    transitions = []
    fullwidth = []
    newlines = []
    previous = False
    size = arr.shape[0]
    for offset in range(0, size, SLICE_BYTES):
        piece = arr[offset : offset + SLICE_BYTES + 2]
        body = piece[:SLICE_BYTES]
        is_alnum = (body - np.uint8(48)) < 10
        is_alnum |= ((body | np.uint8(0x20)) - np.uint8(97)) < 26
        if bool(is_alnum[0]) != previous:
            transitions.append(np.array([offset], dtype=np.int64))
        transitions.append(np.flatnonzero(is_alnum[1:] != is_alnum[:-1]) + (offset + 1))
        previous = bool(is_alnum[-1])
        newlines.append(np.flatnonzero(body == 10) + offset)
        lead = np.flatnonzero(body == 0xEF)
        lead = lead[lead + 2 < piece.shape[0]]
        if lead.size:
            second = piece[lead + 1]
            third = piece[lead + 2]
            is_fullwidth = (second == 0xBC) & (
                ((third - np.uint8(0x90)) < 10) | ((third - np.uint8(0xA1)) < 26)
            )
            is_fullwidth |= (second == 0xBD) & ((third - np.uint8(0x81)) < 26)
            fullwidth.append(lead[is_fullwidth] + offset)
    if previous:
        transitions.append(np.array([size], dtype=np.int64))
    edges = np.concatenate(transitions) if transitions else np.zeros(0, dtype=np.int64)
    full = np.concatenate(fullwidth) if fullwidth else np.zeros(0, dtype=np.int64)
    return edges[0::2], edges[1::2], full, np.concatenate(newlines)


def _fullwidth_at(arr: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Whether a full-width letter or digit starts at each position."""
    second = arr[position + 1]
    third = arr[position + 2]
    hit = (second == 0xBC) & (((third - np.uint8(0x90)) < 10) | ((third - np.uint8(0xA1)) < 26))
    hit |= (second == 0xBD) & ((third - np.uint8(0x81)) < 26)
    return hit & (arr[position] == 0xEF)


def _is_ascii_alnum(values: np.ndarray) -> np.ndarray:
    return ((values - np.uint8(48)) < 10) | (((values | np.uint8(0x20)) - np.uint8(97)) < 26)


def _rows(arr: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """Copy ``arr[start : start + width]`` for each start into an ``(n, width)`` matrix."""
    return sliding_window_view(arr, width)[starts]


def _gather(arr: np.ndarray, starts: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Rows of bytes at ``start + offsets`` with ASCII letters upper-cased."""
    matrix = _rows(arr, starts, int(offsets[-1]) + 1)
    if offsets.shape[0] != matrix.shape[1]:
        matrix = matrix[:, offsets]
    letters = ((matrix | np.uint8(0x20)) - np.uint8(97)) < 26
    return np.where(letters, matrix & np.uint8(0xDF), matrix)


def _plain_tokens(arr: np.ndarray, run_start: np.ndarray, run_end: np.ndarray) -> list[_Group]:
    """Validate runs of ASCII letters and digits that have a candidate length."""
    lengths = run_end - run_start
    index = np.flatnonzero(
        _IS_CANDIDATE_LENGTH[np.minimum(lengths, _IS_CANDIDATE_LENGTH.shape[0] - 1)]
    )
    starts_all = run_start[index]
    lengths = lengths[index]
    # A full-width letter or digit right before or after the run joins it, so it is no boundary.
    clean = ~_fullwidth_at(arr, starts_all - 3) & ~_fullwidth_at(arr, run_end[index])
    starts_all = starts_all[clean]
    lengths = lengths[clean]
    groups = []
    for length in CANDIDATE_LENGTHS:
        starts = starts_all[lengths == length]
        if starts.size == 0:
            continue
        matrix = _gather(arr, starts, _COLUMNS[:length])
        if length == 13:
            # "+8613812345678": the country code glued to the number.
            glued = (
                (arr[starts - 1] == _PLUS) & (matrix[:, 0] == ord("8")) & (matrix[:, 1] == ord("6"))
            )
            starts, matrix = starts[glued] + 2, matrix[glued, 2:]
            groups.append(_classify(starts, starts + 11, matrix))
        else:
            groups.append(_classify(starts, starts + length, matrix))
    return groups


def _grouped_tokens(arr: np.ndarray, run_start: np.ndarray, run_end: np.ndarray) -> list[_Group]:
    """Validate numbers written in groups: mobile 3-4-4 and cards 4-4-4-4 with an optional tail."""
    count = run_start.shape[0]
    if count < 3:
        return []
    lengths = np.zeros(count + 5, dtype=np.int64)
    lengths[:count] = run_end - run_start
    # joined[i]: run i and run i+1 are separated by exactly one space or hyphen.
    gap = arr[run_end[:-1]]
    joined = np.zeros(count + 5, dtype=bool)
    joined[: count - 1] = (run_start[1:] == run_end[:-1] + 1) & ((gap == _SPACE) | (gap == _HYPHEN))
    groups = []

    def preceded_by_group(index: np.ndarray) -> np.ndarray:
        """A digit group before the number, other than the country code +86 or 0086."""
        previous = np.maximum(index - 1, 0)
        code_start = run_start[previous]
        plus_86 = (
            (lengths[previous] == 2)
            & (arr[code_start - 1] == _PLUS)
            & (arr[code_start] == ord("8"))
            & (arr[code_start + 1] == ord("6"))
        )
        zero_086 = (
            (lengths[previous] == 4)
            & (arr[code_start] == ord("0"))
            & (arr[code_start + 1] == ord("0"))
            & (arr[code_start + 2] == ord("8"))
            & (arr[code_start + 3] == ord("6"))
        )
        return (index > 0) & joined[previous] & ~plus_86 & ~zero_086

    def clean(first: np.ndarray, last: np.ndarray) -> np.ndarray:
        return ~_fullwidth_at(arr, run_start[first] - 3) & ~_fullwidth_at(arr, run_end[last])

    phone = np.flatnonzero(joined & (lengths == 3))
    phone = phone[(lengths[phone + 1] == 4) & (lengths[phone + 2] == 4) & joined[phone + 1]]
    phone = phone[~joined[phone + 2] & ~preceded_by_group(phone)]
    phone = phone[clean(phone, phone + 2)]
    if phone.size:
        starts = run_start[phone]
        offsets = np.array([0, 1, 2, 4, 5, 6, 7, 9, 10, 11, 12], dtype=np.int64)
        matrix = _gather(arr, starts, offsets)
        groups.append(_classify(starts, starts + 13, matrix, only=Kind.MOBILE, chars=13))

    card = np.flatnonzero(joined & (lengths == 4))
    card = card[(lengths[card + 1] == 4) & (lengths[card + 2] == 4) & (lengths[card + 3] == 4)]
    card = card[joined[card + 1] & joined[card + 2] & ~preceded_by_group(card)]
    tail = np.where(joined[card + 3], lengths[card + 4], 0)
    last = np.where(tail > 0, card + 4, card + 3)
    keep = (tail < 4) & ~joined[last] & clean(card, last)
    card, tail = card[keep], tail[keep]
    for size in (0, 1, 2, 3):
        chosen = card[tail == size]
        if chosen.size == 0:
            continue
        starts = run_start[chosen]
        offset_list = [0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13, 15, 16, 17, 18]
        offset_list += [20 + position for position in range(size)]
        matrix = _gather(arr, starts, np.array(offset_list, dtype=np.int64))
        span = 19 + (size + 1 if size else 0)
        groups.append(_classify(starts, starts + span, matrix, only=Kind.BANK_CARD, chars=span))
    return groups


def _fullwidth_tokens(arr: np.ndarray, fullwidth: np.ndarray) -> list[_Group]:
    """Validate maximal runs of full-width letters and digits, read as their ASCII forms (NFKC)."""
    if fullwidth.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(fullwidth) != 3) + 1
    first = np.concatenate(([0], breaks))
    last = np.concatenate((breaks, [fullwidth.shape[0]]))
    starts_all = fullwidth[first]
    counts = last - first
    ends_all = starts_all + 3 * counts
    # NOTE: a run that mixes full-width and ASCII characters is not matched at all.
    clean = ~_is_ascii_alnum(arr[starts_all - 1]) & ~_is_ascii_alnum(arr[ends_all])
    groups = []
    for length in CANDIDATE_LENGTHS:
        if length == 13:
            continue
        starts = starts_all[(counts == length) & clean]
        if starts.size == 0:
            continue
        characters = _rows(arr, starts, 3 * length)
        second = characters[:, 1::3]
        third = characters[:, 2::3]
        matrix = np.where(second == 0xBC, third - np.uint8(0x60), third - np.uint8(0x40))
        groups.append(_classify(starts, starts + 3 * length, matrix))
    return groups


def _classify(
    starts: np.ndarray,
    ends: np.ndarray,
    matrix: np.ndarray,
    only: Kind | None = None,
    chars: int | None = None,
) -> _Group:
    """Validate rows of one length; rows that match no kind are dropped.

    ``chars`` is the length of the written form in characters (with group
    separators); it defaults to the number of columns.
    """
    length = matrix.shape[1]
    kind = np.zeros(matrix.shape[0], dtype=np.uint8)
    base = np.zeros(matrix.shape[0], dtype=np.uint8)

    def assign(valid: np.ndarray, found: Kind, confidence: Confidence) -> None:
        fresh = valid & (kind == 0)
        kind[fresh] = found
        base[fresh] = confidence

    def assign_rest(check, found: Kind, confidence: Confidence) -> None:
        rest = np.flatnonzero(kind == 0)
        if rest.size:
            valid = rest[check(matrix[rest])]
            kind[valid] = found
            base[valid] = confidence

    if only is Kind.MOBILE:
        assign(bulk.mobile(matrix), Kind.MOBILE, Confidence.MEDIUM)
    elif only is Kind.BANK_CARD:
        assign(bulk.bank_card(matrix), Kind.BANK_CARD, Confidence.MEDIUM)
    elif length == 18:
        resident = bulk.resident_id_18(matrix)
        permit = resident & bulk.residence_permit(matrix)
        assign(permit, Kind.RESIDENCE_PERMIT, Confidence.HIGH)
        assign(resident, Kind.RESIDENT_ID, Confidence.HIGH)
        # A value that is both a valid USCC and a valid 2023 permanent residence ID is far more
        # likely a USCC: the birth-date check accepts any year, and USCCs are common.
        assign_rest(bulk.uscc, Kind.USCC, Confidence.HIGH)
        assign_rest(
            bulk.foreign_permanent_residence_id_18,
            Kind.FOREIGN_PERMANENT_RESIDENCE_ID,
            Confidence.HIGH,
        )
        assign_rest(bulk.bank_card, Kind.BANK_CARD, Confidence.MEDIUM)
    elif length == 11:
        assign(bulk.mobile(matrix), Kind.MOBILE, Confidence.MEDIUM)
    elif length == 15:
        # Legacy numbers have no check digit: any 15 digits with a plausible date pass.
        assign(bulk.resident_id_15(matrix), Kind.RESIDENT_ID, Confidence.LOW)
        assign_rest(
            _rows_checked(_old_foreign_id_ok),
            Kind.FOREIGN_PERMANENT_RESIDENCE_ID,
            Confidence.MEDIUM,
        )
    elif length == 9:
        assign(_rows_checked(_passport_ok)(matrix), Kind.PASSPORT, Confidence.LOW)
    elif length in (16, 17, 19):
        assign(bulk.bank_card(matrix), Kind.BANK_CARD, Confidence.MEDIUM)
    keep = kind != 0
    written = length if chars is None else chars
    return _Group(starts[keep], ends[keep], kind[keep], base[keep], matrix[keep], written)


def _rows_checked(check):
    """Wrap a per-value check for the rows that start with a letter (rare shapes only)."""

    def check_rows(matrix: np.ndarray) -> np.ndarray:
        result = np.zeros(matrix.shape[0], dtype=bool)
        for row in np.flatnonzero((matrix[:, 0] - np.uint8(65)) < 26):
            result[row] = check(matrix[row].tobytes().decode("ascii", "replace"))
        return result

    return check_rows


def _passport_ok(value: str) -> bool:
    return is_valid_passport(value)


def _old_foreign_id_ok(value: str) -> bool:
    return len(value) == 15 and is_valid_foreign_permanent_residence_id(value)


def _assemble(
    arr: np.ndarray, groups: list[_Group], newlines: np.ndarray, line_count: int
) -> Matches:
    starts = np.concatenate([group.start for group in groups])
    ends = np.concatenate([group.end for group in groups])
    kinds = np.concatenate([group.kind for group in groups])
    confidence = np.concatenate([group.base for group in groups])
    masked = np.concatenate([_mask(group) for group in groups])
    lengths = np.concatenate([np.full(group.start.shape[0], group.chars) for group in groups])

    _raise_for_context(arr, starts, kinds, confidence)

    order = np.argsort(starts, kind="stable")
    starts, ends, kinds, confidence, masked = (
        starts[order],
        ends[order],
        kinds[order],
        confidence[order],
        masked[order],
    )
    line = np.searchsorted(newlines, starts)
    line_start = np.concatenate(([_PAD - 1], newlines))[line] + 1
    column = _character_columns(arr, line_start, starts)
    return Matches(
        start=starts - _PAD,
        end=ends - _PAD,
        kind=kinds,
        confidence=confidence,
        masked=masked,
        line=line,
        column=column,
        length=lengths[order],
        line_count=line_count,
    )


def _character_columns(arr: np.ndarray, line_start: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Count the UTF-8 characters between each line start and the finding on that line."""
    points = np.concatenate((line_start, starts))
    order = np.argsort(points, kind="stable")
    ordered = points[order]
    low = int(ordered[0])
    is_continuation = ((arr[low : int(ordered[-1]) + 1] & np.uint8(0xC0)) == 0x80).view(np.uint8)
    # uint16 sums are the fastest reduceat here; a gap longer than 65,535 bytes is recounted.
    counts = np.add.reduceat(is_continuation, ordered - low, dtype=np.uint16).astype(np.int64)
    gaps = np.diff(ordered)
    counts[:-1][gaps == 0] = 0
    for index in np.flatnonzero(gaps > 0xFFFF):
        counts[index] = np.count_nonzero(
            is_continuation[ordered[index] - low : ordered[index + 1] - low]
        )
    before_sorted = np.concatenate(([0], np.cumsum(counts[:-1])))
    before = np.empty_like(before_sorted)
    before[order] = before_sorted
    size = line_start.shape[0]
    return (starts - line_start) - (before[size:] - before[:size])


def _mask(group: _Group) -> np.ndarray:
    """Replace the hidden middle of each row with ``*`` and return the rows as byte strings."""
    width = group.matrix.shape[1]
    visible = _VISIBLE[:, :width].copy()
    for kind, (head, tail) in MASK_KEEP.items():
        if width < head + tail + 4:
            visible[kind, :] = False
        else:
            visible[kind, width - tail :] = True
    masked = np.where(visible[group.kind], group.matrix, np.uint8(_STAR))
    return np.ascontiguousarray(masked).view(f"S{width}").ravel()


def _raise_for_context(
    arr: np.ndarray, starts: np.ndarray, kinds: np.ndarray, confidence: np.ndarray
) -> None:
    """Raise confidence one level where a context word lies in the bytes before the finding."""
    rows = np.flatnonzero(confidence < Confidence.HIGH)
    if rows.size == 0:
        return
    first = starts[rows] - CONTEXT_BYTES
    window = _rows(arr, first, CONTEXT_BYTES)
    # Three-byte codes of every offset, then six-byte codes of every pair of characters.
    three = window[:, :-2].astype(np.uint32)
    three |= window[:, 1:-1].astype(np.uint32) << np.uint32(8)
    three |= window[:, 2:].astype(np.uint32) << np.uint32(16)
    codes = three[:, :-3].astype(np.uint64) | (three[:, 3:].astype(np.uint64) << np.uint64(24))
    row_kinds = kinds[rows]
    for kind in np.unique(row_kinds):
        selected = row_kinds == kind
        words = _CONTEXT_CODES[Kind(int(kind))]
        subset = codes[selected]
        found = subset == words[0]
        for word in words[1:]:
            found |= subset == word
        hit = found.any(axis=1)
        confidence[rows[selected][hit]] += 1
