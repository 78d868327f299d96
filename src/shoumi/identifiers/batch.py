"""Parsing many values at once: ``parse_many`` gives what ``parse`` gives for each value.

An import or a data migration parses thousands of values of known kinds. ``parse``
spends most of its time per value on steps that NumPy can take for a whole array, so
``parse_many`` works on the values of one kind together, in chunks:

1. It normalises the chunk as one array of code points. A value made only of letters,
   digits, their full-width and other compatibility forms, the separators ``normalise``
   removes and at most one spreadsheet marker as its first character is normalised
   there. Every other value (a ``.``, a quote, ``×``, a combining mark, scientific
   notation, Excel truncation, nothing left) goes to ``parse`` itself, which keeps its
   exact rules and messages.
2. For the kinds with a check in ``shoumi.identifiers.bulk`` (all but travel permits,
   taxpayer numbers and residence permits asked for as such), it checks every normalised
   value of one length in one call and builds the value object of each accepted value
   directly, with the warnings that need no reviewer (an address code missing from the
   historical table).
3. Every other value goes to the kind's own parser, which gives the exact error, or the
   warnings that need a reviewer. Fixed-line numbers go there unless they are digits
   alone, because ``parse_landline`` looks for an extension in the text as entered.

``tests/identifiers/test_batch.py`` compares ``parse_many`` with ``parse`` on generated,
messy and wrong values of every kind, including the edge cases of ``normalise``.
"""

from __future__ import annotations

import functools
import gc
import operator
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import repeat

import numpy as np

from . import bulk
from .bank_account import MAX_LENGTH as ACCOUNT_MAX_LENGTH
from .bank_account import MIN_LENGTH as ACCOUNT_MIN_LENGTH
from .bank_account import BankAccount
from .bank_card import MAX_LENGTH as CARD_MAX_LENGTH
from .bank_card import MIN_LENGTH as CARD_MIN_LENGTH
from .bank_card import BankCard
from .base import Identifier, IdentifierWarning, Kind, field_setter, warning
from .errors import InvalidIdentifier
from .foreign_permanent_residence_id import ForeignPermanentResidenceId
from .landline import Landline
from .mobile import Mobile, MobilePrefixTable, Operator, get_prefix_table
from .normalise import _REMOVED, _TEXT_MARKERS
from .org_code import OrgCode
from .passport import Passport
from .regions import RESIDENCE_PERMIT_REGIONS, _known_codes
from .registration_number import RegistrationNumber
from .resident_id import ResidentId
from .router import _PARSERS, _TEXT_PARSERS, parse
from .uscc import NATIONAL_DIVISION_CODE, Uscc

Result = Identifier | InvalidIdentifier

# Values handled together. Large enough that NumPy's per-call cost disappears, small
# enough that the arrays of one chunk stay in the processor's cache.
CHUNK_SIZE = 16_384
# Fewer values of one kind than this go to parse one by one, because a chunk costs about
# 0.2 ms whatever its size and saves about 2.5 µs per value (measured on the test host).
MIN_CHUNK = 128
# Longer texts go to parse as they are. The longest identifier has 32 characters, and the
# arrays of a chunk take several bytes per character.
MAX_TEXT_LENGTH = 64

# ---------------------------------------------------------------------------------------
# Normalisation of a chunk. _code_table() maps a code point below U+10000 to what it
# becomes: an ASCII digit or upper-case letter, _DROP for a separator normalise removes,
# _MARKER for a spreadsheet marker (removed as the first character only), _OTHER for
# anything that needs normalise itself.
_OTHER = 0
_DROP = 1
_MARKER = 2


@functools.cache
def _code_table() -> np.ndarray:
    """Return what each code point below U+10000 becomes when ``normalise`` meets it.

    Built on first use (about 0.4 s), so that importing the package stays quick.

    A code point is mapped by the NFKC form of the character alone. That is also its form
    inside a value, unless a combining mark composes with it, and combining marks are
    _OTHER, so such a value goes to ``normalise``. "." is _OTHER because it can start a
    float's ".0", which ``normalise`` removes together with the zeros.
    """
    table = np.zeros(0x10000, dtype=np.uint8)
    removed = set(_REMOVED) - {"."}
    for point in range(0x10000):
        character = chr(point)
        if 0xD800 <= point <= 0xDFFF or unicodedata.combining(character):
            continue
        form = unicodedata.normalize("NFKC", character)
        if len(form) != 1:
            continue
        if form in removed:
            table[point] = _DROP
        elif form in _TEXT_MARKERS:
            # '="…"' needs its quotes, which are _OTHER, so a lone "=" is a plain marker.
            table[point] = _MARKER
        elif form.isascii() and form.isalnum():
            table[point] = ord(form.upper())
    return table


_ORD_0 = ord("0")
_ORD_E = ord("E")


class _Chunk:
    """A chunk of texts cleaned as ``normalise`` cleans them, as one ASCII array.

    ``usable`` is false for a row that only ``normalise`` itself can handle: one with an
    _OTHER character, a marker after its first character, or nothing left. The Excel
    checks on what is left are made per length, by ``excel_damage``.
    """

    __slots__ = ("array", "lengths", "normalised", "starts", "usable")

    def __init__(self, texts: list[str]) -> None:
        count = len(texts)
        raw_lengths = np.fromiter(map(len, texts), dtype=np.int64, count=count)
        too_long = raw_lengths > MAX_TEXT_LENGTH
        if too_long.any():
            # No identifier is that long; leaving such a text out keeps the arrays small.
            texts = [text if len(text) <= MAX_TEXT_LENGTH else "" for text in texts]
            raw_lengths[too_long] = 0

        joined = "".join(texts)
        points: np.ndarray
        if joined.isascii():
            points = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
            codes = _code_table()[points]
        else:
            # A lone surrogate (U+D800 to U+DFFF) is _OTHER in the table, so its value goes
            # to parse, which gives its error.
            encoded = joined.encode("utf-32-le", "surrogatepass")
            points = np.frombuffer(encoded, dtype=np.uint32)
            codes = _code_table()[np.minimum(points, 0xFFFF)]
            codes[points > 0xFFFF] = _OTHER

        raw_starts = np.cumsum(raw_lengths) - raw_lengths
        filled = raw_lengths > 0
        # np.add.reduceat needs a start inside the array for every row, so the arrays get
        # one more character, which nothing keeps. Rows with nothing in them are corrected
        # after each sum.
        codes = np.append(codes, np.uint8(_DROP))
        points = np.append(points, points.dtype.type(_DROP))
        changed_characters = codes != points
        if not changed_characters.any() and codes.all():
            # Every character is a digit or an upper-case ASCII letter, so nothing needs
            # cleaning. NUL is the one _OTHER character equal to its code, hence codes.all().
            self.array = codes[:-1]
            self.lengths = raw_lengths
            self.starts = raw_starts
            self.usable = filled
            self.normalised = list(texts)
            return

        # A marker is removed as the first character only. Anywhere else it is _OTHER.
        first_marker = raw_starts[filled & (codes[raw_starts] == _MARKER)]
        codes[first_marker] = _DROP
        unusable = (codes == _OTHER) | (codes == _MARKER)
        output_characters = codes > _MARKER
        lengths = np.add.reduceat(output_characters, raw_starts, dtype=np.int64) * filled
        unusable_counts = np.add.reduceat(unusable, raw_starts, dtype=np.int64)
        usable = filled & (unusable_counts == 0) & (lengths > 0)
        changed = np.add.reduceat(changed_characters, raw_starts, dtype=np.int64) * filled > 0
        array = codes[output_characters]
        starts = np.cumsum(lengths) - lengths

        # The normalised value of every usable row: the text object itself where normalise
        # would return it unchanged, else a slice of the cleaned chunk.
        normalised = list(texts)
        rewritten = (usable & changed).nonzero()[0]
        if rewritten.size:
            text = array.tobytes().decode("ascii")
            ends = (starts[rewritten] + lengths[rewritten]).tolist()
            for row, start, end in zip(
                rewritten.tolist(), starts[rewritten].tolist(), ends, strict=True
            ):
                normalised[row] = text[start:end]

        self.array = array
        self.lengths = lengths
        self.starts = starts
        self.usable = usable
        self.normalised = normalised

    def values(self, rows: np.ndarray) -> list[str]:
        """Return the normalised values at ``rows``."""
        if rows.size <= 1:
            return [self.normalised[row] for row in rows.tolist()]
        return list(operator.itemgetter(*rows.tolist())(self.normalised))

    def matrix(self, rows: np.ndarray, length: int) -> np.ndarray:
        """Return the values at ``rows``, all ``length`` long, as an ``(n, length)`` array."""
        return self.array[self.starts[rows][:, None] + np.arange(length)]


def excel_damage(matrix: np.ndarray) -> np.ndarray:
    """Mark the rows ``normalise`` rejects as Excel damage, and some it accepts.

    Scientific notation on cleaned letters and digits is a digit, ``E`` and digits, so
    every row with ``E`` second is marked. Excel truncation is 17 or more digits, all zeros
    after the 15th. A marked row is left to ``parse``, which decides.
    """
    count, length = matrix.shape
    damaged = np.zeros(count, dtype=bool)
    if length >= 3:
        damaged |= matrix[:, 1] == _ORD_E
    if length >= 17:
        digits = (matrix >= _ORD_0) & (matrix <= _ORD_0 + 9)
        zeros = matrix[:, 15:] == _ORD_0
        damaged |= np.logical_and.reduce(digits, axis=1) & np.logical_and.reduce(zeros, axis=1)
    return damaged


Check = Callable[[np.ndarray], np.ndarray]
Builder = Callable[[list[str], np.ndarray], list[Identifier]]

# ---------------------------------------------------------------------------------------
# Builders of value objects for values the bulk checks accept. They set what the kind's
# parse_normalised sets for such a value.
_new_object = object.__new__
_set_value = field_setter(Identifier, "value")
_set_kind = field_setter(Identifier, "kind")
_set_warnings = field_setter(Identifier, "warnings")
_set_converted = field_setter(ResidentId, "converted_from_15")
_set_operator = field_setter(Mobile, "operator")
_set_has_country_code = field_setter(Mobile, "has_country_code")
_RESIDENT_ID = Kind.RESIDENT_ID
_RESIDENCE_PERMIT = Kind.RESIDENCE_PERMIT
_REGION_UNKNOWN = (warning("region_unknown"),)
_DIVISION_UNKNOWN = (warning("division_code_unknown"),)


def _build(
    cls: type[Identifier],
    values: list[str],
    kinds: Iterable[Kind],
    warnings: Iterable[tuple[IdentifierWarning, ...]],
) -> list[Identifier]:
    """Build objects of ``cls`` with these values, kinds and warnings.

    Each field is set by one ``map`` over all objects, which calls the slot's setter from C
    instead of running bytecode per object: half the time of a loop.
    """
    built = list(map(_new_object, repeat(cls, len(values))))
    _exhaust(map(_set_value, built, values))
    _exhaust(map(_set_kind, built, kinds))
    _exhaust(map(_set_warnings, built, warnings))
    return built


def _exhaust(iterator: Iterator[object]) -> None:
    deque(iterator, maxlen=0)


def _number(matrix: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Read columns ``start:stop`` of ASCII digits as decimal numbers."""
    digits = matrix[:, start:stop].T.astype(np.int64) - _ORD_0
    return bulk._number(digits)


@functools.cache
def _known_regions() -> np.ndarray:
    """Return ``is_known_region`` for every six-digit code, indexed by the code."""
    known = np.zeros(1_000_000, dtype=bool)
    known[[int(code) for code in _known_codes() if code.isdigit() and len(code) == 6]] = True
    return known


_PERMIT_CODES = np.array(sorted(int(code) for code in RESIDENCE_PERMIT_REGIONS))


def _build_resident_ids(values: list[str], matrix: np.ndarray) -> list[Identifier]:
    address = _number(matrix, 0, 6)
    permit = np.isin(address, _PERMIT_CODES)
    unknown = ~permit & ~_known_regions()[address]
    built = _build(
        ResidentId,
        values,
        map((_RESIDENT_ID, _RESIDENCE_PERMIT).__getitem__, permit.tolist()),
        map(((), _REGION_UNKNOWN).__getitem__, unknown.tolist()),
    )
    _exhaust(map(_set_converted, built, repeat(False)))
    return built


_operators_cache: tuple[MobilePrefixTable, list[Operator | None]] | None = None


def _operators(table: MobilePrefixTable) -> list[Operator | None]:
    """Return ``table.operator`` for every four-digit prefix."""
    global _operators_cache
    cache = _operators_cache
    if cache is None or cache[0] is not table:
        operators = [table.operator(f"{prefix:04d}") for prefix in range(10_000)]
        cache = _operators_cache = (table, operators)
    return cache[1]


def _build_mobiles(
    values: list[str], matrix: np.ndarray, table: MobilePrefixTable
) -> list[Identifier]:
    count = len(values)
    built = _build(Mobile, values, repeat(Kind.MOBILE, count), repeat((), count))
    operators = _operators(table)
    _exhaust(map(_set_operator, built, map(operators.__getitem__, _number(matrix, 0, 4).tolist())))
    _exhaust(map(_set_has_country_code, built, repeat(False)))
    return built


_NATIONAL_DIVISION = int(NATIONAL_DIVISION_CODE)


def _build_usccs(values: list[str], matrix: np.ndarray) -> list[Identifier]:
    division = _number(matrix, 2, 8)
    unknown = (division != _NATIONAL_DIVISION) & ~_known_regions()[division]
    return _build(
        Uscc,
        values,
        repeat(Kind.USCC, len(values)),
        map(((), _DIVISION_UNKNOWN).__getitem__, unknown.tolist()),
    )


def _builder(cls: type[Identifier], kind: Kind) -> Builder:
    """Return the builder of a kind whose accepted values have no warning and no own field."""

    def build(values: list[str], matrix: np.ndarray) -> list[Identifier]:
        return _build(cls, values, repeat(kind, len(values)), repeat((), len(values)))

    return build


def _bank_account_check(matrix: np.ndarray) -> np.ndarray:
    """Apply ``is_valid_bank_account`` to rows of one length: digits only."""
    return np.logical_and.reduce((matrix >= _ORD_0) & (matrix <= _ORD_0 + 9), axis=1)


# Kind -> (lengths the check covers, bulk check, builder of the accepted values).
_BULK: dict[str, tuple[range, Check, Builder]] = {
    Kind.RESIDENT_ID: (range(18, 19), bulk.resident_id_18, _build_resident_ids),
    Kind.USCC: (range(18, 19), bulk.uscc, _build_usccs),
    Kind.BANK_CARD: (
        range(CARD_MIN_LENGTH, CARD_MAX_LENGTH + 1),
        bulk.bank_card,
        _builder(BankCard, Kind.BANK_CARD),
    ),
    Kind.FOREIGN_PERMANENT_RESIDENCE_ID: (
        range(18, 19),
        bulk.foreign_permanent_residence_id_18,
        _builder(ForeignPermanentResidenceId, Kind.FOREIGN_PERMANENT_RESIDENCE_ID),
    ),
    Kind.ORG_CODE: (range(9, 10), bulk.org_code, _builder(OrgCode, Kind.ORG_CODE)),
    Kind.REGISTRATION_NUMBER: (
        range(15, 16),
        bulk.registration_number_15,
        _builder(RegistrationNumber, Kind.REGISTRATION_NUMBER),
    ),
    Kind.PASSPORT: (range(9, 10), bulk.passport, _builder(Passport, Kind.PASSPORT)),
    Kind.LANDLINE: (range(11, 13), bulk.landline, _builder(Landline, Kind.LANDLINE)),
    Kind.BANK_ACCOUNT: (
        range(ACCOUNT_MIN_LENGTH, ACCOUNT_MAX_LENGTH + 1),
        _bank_account_check,
        _builder(BankAccount, Kind.BANK_ACCOUNT),
    ),
}


def _bulk_entry(kind: Kind) -> tuple[range, Check, Builder] | None:
    """Return the bulk check of ``kind`` for one chunk, or None.

    Mobile numbers are checked and built with one prefix table, read once here, so that
    ``set_prefix_table`` in another thread cannot give a number the validity of one table
    and the operator of another.
    """
    if kind == Kind.MOBILE:
        table = get_prefix_table()
        return (
            range(11, 12),
            functools.partial(bulk.mobile, table=table),
            functools.partial(_build_mobiles, table=table),
        )
    return _BULK.get(kind)


def parse_many(items: Iterable[tuple[Kind | str, str]]) -> list[Result]:
    """Parse ``(kind, text)`` pairs; return, in order, what ``parse`` returns or raises.

    Each entry of the result is the value object ``parse(kind, text)`` returns, or the
    ``InvalidIdentifier`` it raises (without its traceback, nor those of the errors it was
    raised from). An unknown kind raises ``ValueError`` before anything is parsed. Fewer
    than MIN_CHUNK values of a kind are parsed one by one, which is quicker for them.

    The cyclic garbage collector is paused until the results are returned, because nothing
    built here forms a reference cycle. With the collector running, it walked the growing
    results and the input again every few hundred new objects. That took a third of the
    time for a million values, and splitting a million pairs into kinds and texts took
    0.9 s instead of 0.08 s.
    """
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        pairs = items if isinstance(items, Sequence) else list(items)
        if not pairs:
            return []
        kinds, texts = zip(*pairs, strict=True)
        codes = {kind: Kind(kind) for kind in set(kinds)}
        results = np.empty(len(pairs), dtype=object)
        for kind, indices, group_texts in _groups(kinds, texts, codes):
            if (
                (kind in _TEXT_PARSERS and kind != Kind.LANDLINE)
                or len(group_texts) < MIN_CHUNK
                or set(map(type, group_texts)) != {str}
            ):
                _parse_each(kinds, indices, group_texts, results)
                continue
            for start in range(0, len(group_texts), CHUNK_SIZE):
                end = start + CHUNK_SIZE
                if end - start < MIN_CHUNK:
                    _parse_each(kinds, indices[start:end], group_texts[start:end], results)
                else:
                    chunk_indices, chunk_texts = indices[start:end], group_texts[start:end]
                    _parse_chunk(kind, kinds, chunk_indices, chunk_texts, results)
        return results.tolist()
    finally:
        if collecting:
            gc.enable()


def _groups(
    kinds: Sequence[Kind | str], texts: Sequence[str], codes: dict[Kind | str, Kind]
) -> list[tuple[Kind, np.ndarray, list[str]]]:
    """Split the texts by kind, keeping each one's index in the input."""
    if len(codes) == 1:
        return [(next(iter(codes.values())), np.arange(len(texts)), list(texts))]
    numbers = {kind: number for number, kind in enumerate(codes)}
    kind_numbers = np.fromiter(map(numbers.__getitem__, kinds), dtype=np.intp, count=len(kinds))
    groups: list[tuple[Kind, np.ndarray, list[str]]] = []
    for kind, number in numbers.items():
        indices = (kind_numbers == number).nonzero()[0]
        if indices.size == 1:
            group_texts = [texts[int(indices[0])]]
        else:
            group_texts = list(operator.itemgetter(*indices.tolist())(texts))
        groups.append((codes[kind], indices, group_texts))
    return groups


def _parse_each(
    kinds: Sequence[Kind | str], indices: np.ndarray, texts: list[str], results: np.ndarray
) -> None:
    """Parse each text with ``parse``, with the kind as the caller gave it."""
    for index, text in zip(indices.tolist(), texts, strict=True):
        results[index] = _parse_one(kinds[index], text)


def _parse_one(kind: Kind | str, text: str) -> Result:
    try:
        return parse(kind, text)
    except InvalidIdentifier as error:
        return _detached(error)


def _detached(error: InvalidIdentifier) -> InvalidIdentifier:
    """Return ``error`` without its traceback, nor those of the errors it was raised from.

    A traceback keeps the frames of parse_many alive, and with them the results array,
    which the cyclic collector does not look into: a returned error would then keep the
    whole call in memory.
    """
    linked: list[BaseException] = [error]
    seen: set[int] = set()
    while linked:
        current = linked.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = None
        linked.extend(item for item in (current.__cause__, current.__context__) if item)
    return error


def _parse_chunk(
    kind: Kind,
    kinds: Sequence[Kind | str],
    indices: np.ndarray,
    texts: list[str],
    results: np.ndarray,
) -> None:
    """Normalise a chunk of ``kind`` values, check them in bulk, parse the rest one by one."""
    chunk = _Chunk(texts)
    done = np.zeros(len(texts), dtype=bool)
    # Rows the kind's parser takes in their normalised form; the rest go to parse.
    pending = np.zeros(len(texts), dtype=bool)
    entry = _bulk_entry(kind)
    usable_rows = chunk.usable.nonzero()[0]
    # Rows sorted by length, so that each length is one slice.
    by_length = usable_rows[np.argsort(chunk.lengths[usable_rows], kind="stable")]
    lengths, firsts = np.unique(chunk.lengths[by_length], return_index=True)
    ends = [*firsts[1:].tolist(), by_length.size] if by_length.size else []
    for length, first, end in zip(lengths.tolist(), firsts.tolist(), ends, strict=True):
        rows = by_length[first:end]
        matrix = chunk.matrix(rows, length)
        intact = ~excel_damage(matrix)
        rows, matrix = rows[intact], matrix[intact]
        if entry is not None and length in entry[0]:
            accepted_in = entry[1](matrix)
            accepted = rows[accepted_in]
            if accepted.size:
                built = entry[2](chunk.values(accepted), matrix[accepted_in])
                results[indices[accepted]] = _objects(built)
                done[accepted] = True
            rows = rows[~accepted_in]
        pending[rows] = True

    if kind == Kind.LANDLINE:
        # parse_landline looks for an extension in the text as entered, so only the values
        # the bulk check accepted can skip it.
        pending[:] = False

    parser = _PARSERS[kind]
    rows = pending.nonzero()[0]
    done[rows] = True
    for index, value in zip(indices[rows].tolist(), chunk.values(rows), strict=True):
        try:
            results[index] = parser(value)
        except InvalidIdentifier as error:
            results[index] = _detached(error)

    for row in (~done).nonzero()[0].tolist():
        index = int(indices[row])
        results[index] = _parse_one(kinds[index], texts[row])


def _objects(items: list[Identifier]) -> np.ndarray:
    """Return ``items`` as a one-dimensional object array, to assign many results at once."""
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array
