"""Find and validate identifiers in UTF-8 bytes with vectorised NumPy passes.

The engine never decodes the text and never runs Python code per byte or per
candidate on the common path:

1. One pass over 128 KiB slices (small enough to stay in the CPU cache) finds
   every maximal run of ASCII letters and digits, every full-width letter or
   digit (U+FF10..U+FF19, U+FF21..U+FF3A, U+FF41..U+FF5A) and every newline.
   A maximal run has no letter or digit on either side, which is the
   candidate boundary rule: it needs no ``\\b`` (Python counts CJK characters
   as word characters, so ``\\b`` fails straight after Chinese text).
2. Runs of a candidate length, grouped shapes (``138 1234 5678``,
   ``6222 0212 3456 7890 128``, ``320106 19780923 0418``) and runs of
   full-width characters become rows of a ``(n, length)`` matrix of
   normalised ASCII.
3. :mod:`shoumi.scanner.bulk` validates whole matrices at once; masks and
   confidence are computed the same way, so the plaintext value leaves this
   module only as its mask.

Python runs per candidate only for rare shapes: nine-character tokens that
start with a letter (passports), 15-character tokens that start with three
letters (old foreign permanent residence IDs) and runs that mix full-width and
ASCII characters.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace

import numpy as np

from shoumi.identifiers import bulk, is_valid_foreign_permanent_residence_id, is_valid_passport
from shoumi.scanner.kinds import Confidence, Kind

SLICE_BYTES = 1 << 17
# NUL padding around a block: the front pad covers the context window of a finding at offset
# 0, the back pad the three bytes read after a token's end.
PAD_BYTES = 32
TAIL_PAD_BYTES = 4
_PAD = PAD_BYTES
_PAD_BYTES = b"\x00" * PAD_BYTES
_TAIL_PAD_BYTES = b"\x00" * TAIL_PAD_BYTES
_COLUMNS = np.arange(64, dtype=np.int64)
_STAR = ord("*")
_SPACE = 0x20
_HYPHEN = 0x2D
_PLUS = ord("+")

# Bytes of context read before a finding: ten CJK characters in UTF-8.
CONTEXT_BYTES = 30
# Width of a copied context row: the window plus the two bytes that the last 8-byte read
# of a six-byte sequence takes after the window (the finding's first bytes).
_CONTEXT_ROW_BYTES = 32

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
    """Return the word's six UTF-8 bytes as the high 48 bits of a little-endian 64-bit word."""
    encoded = word.encode("utf-8")
    if len(encoded) != 6:
        raise ValueError(f"context word {word!r} must be two CJK characters (6 UTF-8 bytes)")
    return int.from_bytes(b"\x00\x00" + encoded, "little")


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


def _visible_columns(width: int) -> np.ndarray:
    """Return ``visible[kind, column]``: whether a ``width``-character mask shows the column."""
    visible = np.zeros((len(Kind) + 1, width), dtype=bool)
    for kind, (head, tail) in MASK_KEEP.items():
        # Fewer than four hidden characters would give the value away, so all are hidden.
        if width >= head + tail + 4:
            visible[kind, :head] = True
            visible[kind, width - tail :] = True
    return visible


_VISIBLE = {width: _visible_columns(width) for width in range(1, 64)}

CANDIDATE_LENGTHS = (9, 11, 13, 15, 16, 17, 18, 19)

# Kinds that an 18-character value written in groups can be: the 6-8-4 shape is only ever an
# identity number, and 4-4-4-4-2 is an identity number or an 18-digit card. Credit codes
# (USCC) are not matched in groups.
_GROUPED_ID_KINDS = frozenset(
    {Kind.RESIDENT_ID, Kind.RESIDENCE_PERMIT, Kind.FOREIGN_PERMANENT_RESIDENCE_ID}
)
_GROUPED_18_KINDS = _GROUPED_ID_KINDS | {Kind.BANK_CARD}
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
    last_line_chars: int = 0

    def __len__(self) -> int:
        return int(self.start.shape[0])


@dataclass
class _Group:
    """Validated findings of one width: byte spans, written length in characters, kind,
    confidence before context words, and the normalised characters (one row each)."""

    start: np.ndarray
    end: np.ndarray
    chars: np.ndarray
    kind: np.ndarray
    base: np.ndarray
    matrix: np.ndarray


class _Batches:
    """Candidates waiting for validation, gathered per width from every way of writing them.

    Plain, grouped and full-width tokens of one width are validated in one call, because
    each call costs a few dozen NumPy operations whatever the number of rows.
    """

    def __init__(self) -> None:
        self.parts: dict[tuple[int, frozenset[Kind] | None], list[tuple[np.ndarray, ...]]] = {}

    def add(
        self,
        starts: np.ndarray,
        ends: np.ndarray,
        chars: np.ndarray | int,
        matrix: np.ndarray,
        allowed: frozenset[Kind] | None = None,
    ) -> None:
        """Add rows of ``matrix``; ``allowed`` limits their kinds (see ``_classify``)."""
        written = np.broadcast_to(np.asarray(chars, dtype=np.int64), starts.shape)
        key = (matrix.shape[1], allowed)
        self.parts.setdefault(key, []).append((starts, ends, written, matrix))

    def classify(self) -> list[_Group]:
        groups = []
        for (_, allowed), parts in self.parts.items():
            if len(parts) == 1:
                starts, ends, chars, matrix = parts[0]
            else:
                starts, ends, chars, matrix = (
                    np.concatenate(column) for column in zip(*parts, strict=True)
                )
            groups.append(_classify(starts, ends, chars, matrix, allowed))
        return groups


def scan_utf8(block: bytes, before: bytes = b"") -> Matches:
    """Find every valid identifier in ``block`` (UTF-8; invalid sequences are passed over).

    ``before`` holds the text that precedes the block, of which only the last
    ``CONTEXT_BYTES`` are read, for context words (see :func:`scan_padded`).
    """
    return scan_padded(np.frombuffer(_PAD_BYTES + block + _TAIL_PAD_BYTES, dtype=np.uint8), before)


def scan_padded(arr: np.ndarray, before: bytes = b"") -> Matches:
    """Scan a block that sits between ``PAD_BYTES`` and ``TAIL_PAD_BYTES`` NUL bytes.

    ``arr`` is a ``uint8`` array of the padding, the block and the tail padding, so that
    a caller reading a file into one reusable buffer avoids copying each block. Offsets in
    the result are relative to the block, and no result array refers to ``arr``.

    ``before`` holds the text that precedes the block. Its last ``CONTEXT_BYTES`` are read
    only for context words in front of a finding near the block's start. Token boundaries
    still treat the block's start as the start of the text, so callers cut blocks where no
    identifier continues across the cut.
    """
    run_start, run_end, fullwidth, newlines = _locate(arr)
    batches = _Batches()
    _plain_tokens(arr, run_start, run_end, batches)
    _grouped_tokens(arr, run_start, run_end, batches)
    _fullwidth_tokens(arr, fullwidth, run_start, run_end, batches)
    groups = batches.classify()
    line_count = int(newlines.shape[0])
    last_line_start = int(newlines[-1]) + 1 if line_count else _PAD
    last_line = arr[last_line_start : arr.shape[0] - TAIL_PAD_BYTES]
    continuation = np.count_nonzero((last_line & np.uint8(0xC0)) == 0x80)
    last_line_chars = last_line.shape[0] - continuation
    groups = [group for group in groups if group.start.shape[0]]
    if not groups:
        return replace(_empty(line_count), last_line_chars=last_line_chars)
    matches = _assemble(arr, groups, newlines, line_count, before[-CONTEXT_BYTES:])
    return replace(matches, last_line_chars=last_line_chars)


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
    leads = []
    newlines = []
    previous = False
    size = arr.shape[0]
    # Scratch arrays reused by every slice, so the loop allocates only its results.
    scratch = np.empty(SLICE_BYTES, dtype=np.uint8)
    letter = np.empty(SLICE_BYTES, dtype=bool)
    alnum = np.empty(SLICE_BYTES, dtype=bool)
    for offset in range(0, size, SLICE_BYTES):
        body = arr[offset : offset + SLICE_BYTES]
        length = body.shape[0]
        work, is_letter, is_alnum = scratch[:length], letter[:length], alnum[:length]
        np.subtract(body, np.uint8(48), out=work)
        np.less(work, 10, out=is_alnum)
        np.bitwise_or(body, np.uint8(0x20), out=work)
        np.subtract(work, np.uint8(97), out=work)
        np.less(work, 26, out=is_letter)
        is_alnum |= is_letter
        if bool(is_alnum[0]) != previous:
            transitions.append(np.array([offset], dtype=np.int64))
        np.not_equal(is_alnum[1:], is_alnum[:-1], out=is_letter[:-1])
        transitions.append(_positions(is_letter[:-1]) + (offset + 1))
        previous = bool(is_alnum[-1])
        np.equal(body, 10, out=is_letter)
        newlines.append(_positions(is_letter) + offset)
        # 0xEF leads every full-width character (U+F000..U+FFFF); the full-width letters and
        # digits among them are picked out once, after the loop.
        np.equal(body, 0xEF, out=is_letter)
        leads.append(_positions(is_letter) + offset)
    if previous:
        transitions.append(np.array([size], dtype=np.int64))
    edges = np.concatenate(transitions) if transitions else np.zeros(0, dtype=np.int64)
    lead = np.concatenate(leads)
    # The NUL padding after the block keeps lead + 2 inside the array.
    fullwidth = lead[_is_fullwidth_alnum(arr, lead)]
    return edges[0::2], edges[1::2], fullwidth, np.concatenate(newlines)


def _positions(mask: np.ndarray) -> np.ndarray:
    """Indices of the true entries of a 1-D mask (``np.flatnonzero`` without its Python layer)."""
    return mask.nonzero()[0]


def _fullwidth_at(arr: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Whether a full-width letter or digit starts at each position."""
    # Few positions hold a 0xEF lead byte, so the other two bytes are read for those only.
    hit = arr[position] == 0xEF
    leads = _positions(hit)
    if leads.size:
        hit[leads] = _is_fullwidth_alnum(arr, position[leads])
    return hit


def _is_fullwidth_alnum(arr: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """Return whether the character at each 0xEF lead byte is a full-width letter or digit."""
    second = arr[lead + 1]
    third = arr[lead + 2]
    hit = (second == 0xBC) & (((third - np.uint8(0x90)) < 10) | ((third - np.uint8(0xA1)) < 26))
    hit |= (second == 0xBD) & ((third - np.uint8(0x81)) < 26)
    return hit


def _is_ascii_alnum(values: np.ndarray) -> np.ndarray:
    return ((values - np.uint8(48)) < 10) | (((values | np.uint8(0x20)) - np.uint8(97)) < 26)


def _rows(arr: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """Copy ``arr[start : start + width]`` for each start into an ``(n, width)`` matrix."""
    # The same view as sliding_window_view, built without its argument checks, which cost
    # more than the copy for the small batches here.
    windows = np.ndarray(
        (arr.shape[0] - width + 1, width), dtype=np.uint8, buffer=arr, strides=(1, 1)
    )
    return windows[starts]


def _gather(arr: np.ndarray, starts: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Rows of bytes at ``start + offsets`` with ASCII letters upper-cased."""
    matrix = _rows(arr, starts, int(offsets[-1]) + 1)
    if offsets.shape[0] != matrix.shape[1]:
        matrix = matrix[:, offsets]
    # Every byte is an ASCII letter or digit, so only lower-case letters are 0x61 or more.
    lower = matrix >= np.uint8(0x61)
    if lower.any():
        matrix = matrix - lower.view(np.uint8) * np.uint8(0x20)
    return matrix


def _plain_tokens(
    arr: np.ndarray, run_start: np.ndarray, run_end: np.ndarray, batches: _Batches
) -> None:
    """Add runs of ASCII letters and digits that have a candidate length."""
    lengths = run_end - run_start
    index = _positions(_IS_CANDIDATE_LENGTH[np.minimum(lengths, _IS_CANDIDATE_LENGTH.shape[0] - 1)])
    starts_all = run_start[index]
    lengths = lengths[index]
    # A full-width letter or digit right before or after the run joins it, so it is no boundary.
    clean = ~_fullwidth_at(arr, starts_all - 3) & ~_fullwidth_at(arr, run_end[index])
    starts_all = starts_all[clean]
    lengths = lengths[clean]
    for length in CANDIDATE_LENGTHS:
        starts = starts_all[lengths == length]
        if starts.size == 0:
            continue
        matrix = _gather(arr, starts, _COLUMNS[:length])
        _add_tokens(batches, starts, starts + length, matrix, 1)


def _add_tokens(
    batches: _Batches, starts: np.ndarray, ends: np.ndarray, matrix: np.ndarray, char_bytes: int
) -> None:
    """Add tokens of one length, each ``char_bytes`` bytes per character.

    Thirteen characters from 86 (``8613812345678``, also after a +) and fifteen from 0086
    are a mobile number with its country code, and 13 characters are no other kind. No
    15-character identity number starts with 0, as no region code does.
    """
    length = matrix.shape[1]
    if length == 13:
        glued = (matrix[:, 0] == ord("8")) & (matrix[:, 1] == ord("6"))
        batches.add(starts[glued] + 2 * char_bytes, ends[glued], 11, matrix[glued, 2:])
        return
    if length == 15:
        glued = (
            (matrix[:, 0] == ord("0"))
            & (matrix[:, 1] == ord("0"))
            & (matrix[:, 2] == ord("8"))
            & (matrix[:, 3] == ord("6"))
        )
        if glued.any():
            batches.add(starts[glued] + 4 * char_bytes, ends[glued], 11, matrix[glued, 4:])
            starts, ends, matrix = starts[~glued], ends[~glued], matrix[~glued]
    batches.add(starts, ends, length, matrix)


def _grouped_tokens(
    arr: np.ndarray, run_start: np.ndarray, run_end: np.ndarray, batches: _Batches
) -> None:
    """Add numbers written in groups: mobile 3-4-4, identity numbers 6-8-4, and 4-4-4-4 with
    an optional tail of one to three characters (cards, and 4-4-4-4-2 identity numbers)."""
    count = run_start.shape[0]
    if count < 3:
        return
    lengths = np.zeros(count + 5, dtype=np.int64)
    lengths[:count] = run_end - run_start
    # joined[i]: run i and run i+1 are separated by exactly one space, hyphen, no-break
    # space (U+00A0, from web pages and Word) or ideographic space (U+3000, typed with a
    # Chinese input method).
    joined = np.zeros(count + 5, dtype=bool)
    joined[: count - 1] = _separated(arr, run_end[:-1], run_start[1:] - run_end[:-1])
    # A word joined to the number by a space or hyphen, as in "tel 138 0013 8000" or
    # "138-0013-8000 ext", is no digit group of it: a group starts or ends with a digit.
    # Read for the few runs next to candidates only, not for every run of the block.

    def digit_at(offsets: np.ndarray) -> np.ndarray:
        return (arr[offsets] - np.uint8(48)) < 10

    def joined_to_group(index: np.ndarray) -> np.ndarray:
        """Return whether run ``index + 1`` is a digit group joined to run ``index``."""
        following = np.minimum(index + 1, count - 1)
        return joined[index] & digit_at(run_start[following])

    def preceded_by_group(index: np.ndarray, bare_86: bool = False) -> np.ndarray:
        """Return whether a digit group other than the country code +86 or 0086 comes before.

        With ``bare_86`` (mobile numbers), 86 without a plus is the country code too, where
        no digit group comes before it.
        """
        previous = np.maximum(index - 1, 0)
        code_start = run_start[previous]
        before_code = np.maximum(previous - 1, 0)
        plus_86 = (
            (lengths[previous] == 2)
            & (arr[code_start] == ord("8"))
            & (arr[code_start + 1] == ord("6"))
            & (
                (arr[code_start - 1] == _PLUS)
                | (
                    bare_86
                    & ~((previous > 0) & joined[before_code] & digit_at(run_end[before_code] - 1))
                )
            )
        )
        zero_086 = (
            (lengths[previous] == 4)
            & (arr[code_start] == ord("0"))
            & (arr[code_start + 1] == ord("0"))
            & (arr[code_start + 2] == ord("8"))
            & (arr[code_start + 3] == ord("6"))
        )
        ends_in_digit = digit_at(run_end[previous] - 1)
        return (index > 0) & joined[previous] & ends_in_digit & ~plus_86 & ~zero_086

    def clean(first: np.ndarray, last: np.ndarray) -> np.ndarray:
        return ~_fullwidth_at(arr, run_start[first] - 3) & ~_fullwidth_at(arr, run_end[last])

    phone = _positions(joined & (lengths == 3))
    phone = phone[(lengths[phone + 1] == 4) & (lengths[phone + 2] == 4) & joined[phone + 1]]
    phone = phone[~joined_to_group(phone + 2) & ~preceded_by_group(phone, bare_86=True)]
    phone = phone[clean(phone, phone + 2)]
    if phone.size:
        matrix = _gather_groups(arr, run_start, phone, (3, 4, 4))
        # Eleven digits are only ever a mobile number, as a plain token is.
        batches.add(run_start[phone], run_end[phone + 2], 13, matrix)

    identity = _positions(joined & (lengths == 6))
    identity = identity[
        (lengths[identity + 1] == 8) & (lengths[identity + 2] == 4) & joined[identity + 1]
    ]
    identity = identity[~joined_to_group(identity + 2) & ~preceded_by_group(identity)]
    identity = identity[clean(identity, identity + 2)]
    if identity.size:
        matrix = _gather_groups(arr, run_start, identity, (6, 8, 4))
        ends = run_end[identity + 2]
        batches.add(run_start[identity], ends, 20, matrix, allowed=_GROUPED_ID_KINDS)

    card = _positions(joined & (lengths == 4))
    card = card[(lengths[card + 1] == 4) & (lengths[card + 2] == 4) & (lengths[card + 3] == 4)]
    card = card[joined[card + 1] & joined[card + 2] & ~preceded_by_group(card)]
    tail = np.where(joined_to_group(card + 3), lengths[card + 4], 0)
    last = np.where(tail > 0, card + 4, card + 3)
    keep = (tail < 4) & ~joined_to_group(last) & clean(card, last)
    card, tail = card[keep], tail[keep]
    for size in (0, 1, 2, 3):
        chosen = card[tail == size]
        if chosen.size == 0:
            continue
        sizes = (4, 4, 4, 4, size) if size else (4, 4, 4, 4)
        matrix = _gather_groups(arr, run_start, chosen, sizes)
        # Characters written, separators included.
        span = 19 + (size + 1 if size else 0)
        # Plain tokens of 16, 17 and 19 characters are validated as cards only, too.
        allowed = _GROUPED_18_KINDS if matrix.shape[1] == 18 else None
        ends = run_end[chosen + len(sizes) - 1]
        batches.add(run_start[chosen], ends, span, matrix, allowed=allowed)


def _separated(arr: np.ndarray, gap_start: np.ndarray, gap_bytes: np.ndarray) -> np.ndarray:
    """Return whether each gap is one space, hyphen, U+00A0 or U+3000 (in UTF-8 bytes)."""
    first = arr[gap_start]
    joined = (gap_bytes == 1) & ((first == _SPACE) | (first == _HYPHEN))
    # Few gaps start with the lead byte of either wide space, so only those gaps have their
    # second and third bytes read.
    wide = _positions(((gap_bytes == 2) & (first == 0xC2)) | ((gap_bytes == 3) & (first == 0xE3)))
    if wide.size:
        start = gap_start[wide]
        # The NUL padding after the block keeps start + 2 inside the array.
        second, third = arr[start + 1], arr[start + 2]
        sizes = gap_bytes[wide]
        no_break = (sizes == 2) & (second == 0xA0)
        ideographic = (sizes == 3) & (second == 0x80) & (third == 0x80)
        joined[wide] = no_break | ideographic
    return joined


def _gather_groups(
    arr: np.ndarray, run_start: np.ndarray, first: np.ndarray, sizes: tuple[int, ...]
) -> np.ndarray:
    """Rows of the digit groups of runs ``first``, ``first + 1``, ..., joined without their
    separators, with ASCII letters upper-cased."""
    columns = [
        _gather(arr, run_start[first + index], _COLUMNS[:size]) for index, size in enumerate(sizes)
    ]
    return np.concatenate(columns, axis=1)


def _fullwidth_tokens(
    arr: np.ndarray,
    fullwidth: np.ndarray,
    run_start: np.ndarray,
    run_end: np.ndarray,
    batches: _Batches,
) -> None:
    """Add maximal runs of full-width letters and digits, read as their ASCII forms (NFKC).

    Runs joined to ASCII letters or digits are read with them (see :func:`_mixed_tokens`).
    """
    if fullwidth.size == 0:
        return
    breaks = _positions(np.diff(fullwidth) != 3) + 1
    first = np.concatenate(([0], breaks))
    last = np.concatenate((breaks, [fullwidth.shape[0]]))
    starts_all = fullwidth[first]
    counts = last - first
    ends_all = starts_all + 3 * counts
    clean = ~_is_ascii_alnum(arr[starts_all - 1]) & ~_is_ascii_alnum(arr[ends_all])
    if not clean.all():
        mixed = ~clean
        runs = (starts_all[mixed], ends_all[mixed], counts[mixed])
        _mixed_tokens(arr, run_start, run_end, runs, batches)
    for length in CANDIDATE_LENGTHS:
        starts = starts_all[(counts == length) & clean]
        if starts.size == 0:
            continue
        characters = _rows(arr, starts, 3 * length)
        second = characters[:, 1::3]
        third = characters[:, 2::3]
        matrix = np.where(second == 0xBC, third - np.uint8(0x60), third - np.uint8(0x40))
        _add_tokens(batches, starts, starts + 3 * length, matrix, 3)


def _mixed_tokens(
    arr: np.ndarray,
    run_start: np.ndarray,
    run_end: np.ndarray,
    fullwidth_runs: tuple[np.ndarray, np.ndarray, np.ndarray],
    batches: _Batches,
) -> None:
    """Add runs that mix full-width and ASCII letters and digits (``３２０106…``).

    Such runs come from an input method switched between widths in the middle of a
    number. ``fullwidth_runs`` contains the starts, ends and character counts of the
    full-width runs that touch an ASCII letter or digit. They and the ASCII runs they
    touch are joined into mixed runs with NumPy; only mixed runs of a candidate length
    are normalised in Python, one at a time, as they are rare. The ASCII runs inside were
    left out by :func:`_plain_tokens` and :func:`_grouped_tokens`.
    """
    fullwidth_starts, fullwidth_ends, fullwidth_counts = fullwidth_runs
    last_run = run_start.shape[0] - 1
    if last_run < 0:
        return
    before = np.minimum(np.searchsorted(run_end, fullwidth_starts), last_run)
    after = np.minimum(np.searchsorted(run_start, fullwidth_ends), last_run)
    # An ASCII run between two full-width runs touches both; it is taken once.
    is_touching = np.zeros(last_run + 1, dtype=bool)
    is_touching[before[run_end[before] == fullwidth_starts]] = True
    is_touching[after[run_start[after] == fullwidth_ends]] = True
    touching = _positions(is_touching)
    starts = np.concatenate((fullwidth_starts, run_start[touching]))
    order = np.argsort(starts, kind="stable")
    starts = starts[order]
    ends = np.concatenate((fullwidth_ends, run_end[touching]))[order]
    chars = np.concatenate((fullwidth_counts, run_end[touching] - run_start[touching]))[order]
    first = np.concatenate(([0], _positions(ends[:-1] != starts[1:]) + 1))
    last = np.concatenate((first[1:], [starts.shape[0]])) - 1
    lengths = np.add.reduceat(chars, first)
    keep = _IS_CANDIDATE_LENGTH[np.minimum(lengths, _IS_CANDIDATE_LENGTH.shape[0] - 1)]
    rows: dict[int, list[tuple[int, int, bytes]]] = {}
    for start, end, length in zip(
        starts[first[keep]].tolist(), ends[last[keep]].tolist(), lengths[keep].tolist(), strict=True
    ):
        text = arr[start:end].tobytes().decode("utf-8")
        normalised = unicodedata.normalize("NFKC", text).upper().encode("ascii")
        code = _country_code_length(normalised)
        if code is None:
            continue
        start += len(text[:code].encode("utf-8"))
        rows.setdefault(length - code, []).append((start, end, normalised[code:]))
    for length, found in rows.items():
        token_starts = np.array([start for start, _, _ in found], dtype=np.int64)
        token_ends = np.array([end for _, end, _ in found], dtype=np.int64)
        matrix = np.frombuffer(b"".join(row for _, _, row in found), dtype=np.uint8)
        batches.add(token_starts, token_ends, length, matrix.reshape(-1, length).copy())


def _country_code_length(token: bytes) -> int | None:
    """Return the length of a country code before a mobile number, as _add_tokens reads it.

    Returns 0 for a token with no country code, and None for 13 characters that do not
    start with 86, which are no candidate.
    """
    if len(token) == 13:
        return 2 if token.startswith(b"86") else None
    if len(token) == 15 and token.startswith(b"0086"):
        return 4
    return 0


def _classify(
    starts: np.ndarray,
    ends: np.ndarray,
    chars: np.ndarray,
    matrix: np.ndarray,
    allowed: frozenset[Kind] | None = None,
) -> _Group:
    """Validate rows of one length; rows that match no kind are dropped.

    ``chars`` is the length of each written form in characters, with group separators.
    ``allowed`` limits the kinds of 18-character rows, for shapes that only some kinds are
    written in; ``None`` allows every kind.
    """
    length = matrix.shape[1]
    kind = np.zeros(matrix.shape[0], dtype=np.uint8)
    base = np.zeros(matrix.shape[0], dtype=np.uint8)
    candidates = bulk.Candidates(matrix)

    def assign(valid: np.ndarray, found: Kind, confidence: Confidence) -> None:
        fresh = valid & (kind == 0)
        kind[fresh] = found
        base[fresh] = confidence

    def assign_rest(check, found: Kind, confidence: Confidence) -> None:
        rest = _positions(kind == 0)
        if rest.size:
            valid = rest[check(candidates.select(rest))]
            kind[valid] = found
            base[valid] = confidence

    if length == 18:
        kinds = frozenset(Kind) if allowed is None else allowed
        if Kind.RESIDENT_ID in kinds:
            resident = bulk.resident_id_18(candidates)
            permit = resident & bulk.residence_permit(candidates)
            assign(permit, Kind.RESIDENCE_PERMIT, Confidence.HIGH)
            assign(resident, Kind.RESIDENT_ID, Confidence.HIGH)
        # A value that is both a valid USCC and a valid 2023 permanent residence ID is far more
        # likely a USCC: the birth-date check accepts any year, and USCCs are common.
        if Kind.USCC in kinds:
            assign_rest(bulk.uscc, Kind.USCC, Confidence.HIGH)
        if Kind.FOREIGN_PERMANENT_RESIDENCE_ID in kinds:
            assign_rest(
                bulk.foreign_permanent_residence_id_18,
                Kind.FOREIGN_PERMANENT_RESIDENCE_ID,
                Confidence.HIGH,
            )
        if Kind.BANK_CARD in kinds:
            assign_rest(bulk.bank_card, Kind.BANK_CARD, Confidence.MEDIUM)
    elif length == 11:
        assign(bulk.mobile(candidates), Kind.MOBILE, Confidence.MEDIUM)
    elif length == 15:
        # Legacy numbers have no check digit: any 15 digits with a plausible date pass.
        assign(bulk.resident_id_15(candidates), Kind.RESIDENT_ID, Confidence.LOW)
        assign_rest(
            _rows_checked(_old_foreign_id_ok),
            Kind.FOREIGN_PERMANENT_RESIDENCE_ID,
            Confidence.MEDIUM,
        )
    elif length == 9:
        assign(_rows_checked(_passport_ok)(candidates), Kind.PASSPORT, Confidence.LOW)
    elif length in (16, 17, 19):
        assign(bulk.bank_card(candidates), Kind.BANK_CARD, Confidence.MEDIUM)
    keep = kind != 0
    return _Group(starts[keep], ends[keep], chars[keep], kind[keep], base[keep], matrix[keep])


def _rows_checked(check):
    """Wrap a per-value check for the candidates that start with a letter (rare shapes only)."""

    def check_rows(candidates: bulk.Candidates) -> np.ndarray:
        result = np.zeros(candidates.count, dtype=bool)
        chars = candidates.chars
        for row in _positions((chars[0] - np.uint8(65)) < 26):
            result[row] = check(chars[:, row].tobytes().decode("ascii", "replace"))
        return result

    return check_rows


def _passport_ok(value: str) -> bool:
    return is_valid_passport(value)


def _old_foreign_id_ok(value: str) -> bool:
    return len(value) == 15 and is_valid_foreign_permanent_residence_id(value)


def _assemble(
    arr: np.ndarray, groups: list[_Group], newlines: np.ndarray, line_count: int, before: bytes
) -> Matches:
    starts = np.concatenate([group.start for group in groups])
    ends = np.concatenate([group.end for group in groups])
    kinds = np.concatenate([group.kind for group in groups])
    confidence = np.concatenate([group.base for group in groups])
    masked = np.concatenate([_mask(group) for group in groups])
    lengths = np.concatenate([group.chars for group in groups])

    _raise_for_context(arr, starts, kinds, confidence, before)

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
    """Count the UTF-8 characters between each line start and the finding on that line.

    A character column is the byte distance minus the continuation bytes in between.
    Continuation bytes are counted with a bitmap of the block: one bit per byte, packed
    into 64-bit words, with a running popcount per word, so each count is two lookups.
    """
    words = _continuation_bitmap(arr)
    before_word = np.zeros(words.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bitwise_count(words), out=before_word[1:])

    def continuation_before(offsets: np.ndarray) -> np.ndarray:
        index = offsets >> 6
        low_bits = np.left_shift(np.uint64(1), (offsets & 63).astype(np.uint64)) - np.uint64(1)
        return before_word[index] + np.bitwise_count(words[index] & low_bits)

    return (starts - line_start) - (continuation_before(starts) - continuation_before(line_start))


def _continuation_bitmap(arr: np.ndarray) -> np.ndarray:
    """Return one bit per byte of ``arr``, set for UTF-8 continuation bytes, in 64-bit words.

    The block is packed in ``SLICE_BYTES`` slices through one scratch mask, because a mask of
    the whole block and its temporaries would take twice the block's size in the cache.
    """
    size = arr.shape[0]
    words = np.zeros(-(-size // 64), dtype=np.uint64)
    packed = words.view(np.uint8)
    # Continuation bytes are 0x80..0xBF, which are -128..-65 as signed bytes.
    signed = arr.view(np.int8)
    scratch = np.empty(SLICE_BYTES, dtype=bool)
    for offset in range(0, size, SLICE_BYTES):
        body = signed[offset : offset + SLICE_BYTES]
        is_continuation = scratch[: body.shape[0]]
        np.less(body, -64, out=is_continuation)
        bits = np.packbits(is_continuation, bitorder="little")
        packed[offset >> 3 : (offset >> 3) + bits.shape[0]] = bits
    return words


def _mask(group: _Group) -> np.ndarray:
    """Replace the hidden middle of each row with ``*`` and return the rows as byte strings."""
    width = group.matrix.shape[1]
    visible = _VISIBLE[width]
    masked = np.where(visible[group.kind], group.matrix, np.uint8(_STAR))
    return np.ascontiguousarray(masked).view(f"S{width}").ravel()


def _raise_for_context(
    arr: np.ndarray,
    starts: np.ndarray,
    kinds: np.ndarray,
    confidence: np.ndarray,
    before: bytes,
) -> None:
    """Raise confidence one level where a context word lies in the bytes before the finding.

    ``before`` is the text before the block, at most ``CONTEXT_BYTES`` long.
    """
    rows = _positions(confidence < Confidence.HIGH)
    if rows.size == 0:
        return
    head = None
    if before:
        # The start of the block with the text before it in the padding, for the windows
        # that reach into the padding.
        head = arr[: _PAD + CONTEXT_BYTES + _CONTEXT_ROW_BYTES].copy()
        head[_PAD - len(before) : _PAD] = np.frombuffer(before, dtype=np.uint8)
    row_kinds = kinds[rows]
    # The kinds present, by counting: np.unique sorts, and its first call imports numpy.ma
    # (about 12 ms, paid again by every worker process).
    for kind in np.flatnonzero(np.bincount(row_kinds)):
        selected = rows[row_kinds == kind]
        codes = _context_codes(arr, starts[selected], head)
        words = _CONTEXT_CODES[Kind(int(kind))]
        found = codes == words[0]
        matched = np.empty_like(found)
        for word in words[1:]:
            np.equal(codes, word, out=matched)
            found |= matched
        hit = np.logical_or.reduce(found, axis=0)
        confidence[selected[hit]] += 1


def _context_codes(arr: np.ndarray, starts: np.ndarray, head: np.ndarray | None) -> np.ndarray:
    """Return every six-byte sequence of the window before each start as a 48-bit code.

    ``codes[offset, row]`` is the sequence at ``offset`` in the window of row ``row``, in
    the high 48 bits of a 64-bit word. The result is laid out offset by offset, so that
    comparing it with a word and reducing over the offsets are element-wise passes.
    ``head``, when given, replaces the start of ``arr`` for windows that begin in the
    padding.
    """
    # Each code comes from an unaligned little-endian 8-byte read at its offset, and the
    # shift drops the two bytes after the sequence. Rows are 32 bytes wide so that the last
    # read stays in the row.
    window = _rows(arr, starts - CONTEXT_BYTES, _CONTEXT_ROW_BYTES)
    if head is not None:
        early = _positions(starts < _PAD + CONTEXT_BYTES)
        if early.size:
            window[early] = _rows(head, starts[early] - CONTEXT_BYTES, _CONTEXT_ROW_BYTES)
    reads = np.ndarray(
        (CONTEXT_BYTES - 5, starts.shape[0]),
        dtype="<u8",
        buffer=window,
        strides=(1, _CONTEXT_ROW_BYTES),
    )
    codes = np.empty(reads.shape, dtype=np.uint64)
    np.left_shift(reads, np.uint64(16), out=codes)
    return codes
