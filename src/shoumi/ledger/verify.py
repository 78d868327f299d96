"""Offline verification of a stored log against its signed checkpoints.

:func:`verify_log` reads the stored events once, in sequence order, keeps
only the compact range of the tree (``O(log n)`` hashes), and stops at the
first problem. It checks, for every event:

- the sequence numbers run without gap or repeat (a deleted or inserted row);
- the ``seq`` inside the encoded event equals the stored sequence number (a
  row moved to another position);
- the stored leaf hash, when given, equals the hash of the encoded event (an
  event edited without updating its stored hash);

and, whenever the recomputed tree reaches the size of a signed checkpoint,
that the recomputed root equals the signed root. Each checkpoint signature is
verified first. Every checkpoint is compared with a prefix of one recomputed
sequence, so successive checkpoints that match are consistent with each
other. Two valid checkpoints of the same size with different roots are
reported as a fork.

Limits of what can be located. An attacker who edits an event and rewrites
its stored hashes leaves no trace in the rows themselves, unless the rows
carry leaf tags keyed with a secret the attacker lacks (see
:mod:`shoumi.ledger.tags`). Without tags only a signed checkpoint reveals
the change, so the report then names the range between the last matching
checkpoint and the first failing one: the first modified event lies in
``[first_bad_seq, last_bad_seq]``. Signing checkpoints more often narrows
that range. Events after the last checkpoint
are covered by no signature (see ``VerificationReport.covered_size``).
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from shoumi.ledger.checkpoints import Checkpoint, CheckpointVerifier
from shoumi.ledger.errors import (
    CheckpointFormatError,
    EventEncodingError,
    SignatureVerificationError,
)
from shoumi.ledger.events import SEQ_KEY as _SEQ_KEY
from shoumi.ledger.events import read_event_seq
from shoumi.ledger.hashing import get_hasher
from shoumi.ledger.tags import LeafTagger
from shoumi.ledger.tree import CompactRange


class StoredEvent(NamedTuple):
    """One stored row of the log: sequence number, encoded event, leaf hash and leaf tag.

    A named tuple rather than a frozen dataclass because the verifier reads
    a million of them and tuple construction is about twice as fast.
    """

    seq: int
    encoded: bytes
    leaf_hash: bytes | None = None
    leaf_tag: bytes | None = None


class Problem(enum.StrEnum):
    """Kind of verification failure, named after the check that found it."""

    BAD_SIGNATURE = "bad_signature"
    """A checkpoint's signature or HMAC tag did not verify."""
    WRONG_LOG = "wrong_log"
    """A validly signed checkpoint names another origin or hash algorithm."""
    FORKED_CHECKPOINTS = "forked_checkpoints"
    """Two validly signed checkpoints of one size have different roots."""
    MISSING = "missing"
    """A sequence number is absent: an event was deleted."""
    DUPLICATE = "duplicate"
    """A sequence number appears twice: an event was inserted."""
    OUT_OF_ORDER = "out_of_order"
    """Sequence numbers go backwards: rows were reordered or inserted."""
    UNREADABLE = "unreadable"
    """The encoded event has no canonical ``seq``: it was overwritten."""
    MISPLACED = "misplaced"
    """The event carries a later ``seq`` than its row: rows were deleted, swapped or moved."""
    INSERTED = "inserted"
    """The event carries an earlier ``seq`` than its row: rows were inserted before it."""
    LEAF_HASH_MISMATCH = "leaf_hash_mismatch"
    """The event bytes do not match the stored leaf hash: the event was edited."""
    LEAF_TAG_MISMATCH = "leaf_tag_mismatch"
    """The leaf tag is missing or wrong: the event was edited and rehashed without the key."""
    ROOT_MISMATCH = "root_mismatch"
    """The recomputed root differs from a signed checkpoint, so an event changed without a trace.

    This is how an edit followed by rewriting the stored hashes is found.
    """
    TRUNCATED = "truncated"
    """The log has fewer events than a signed checkpoint: events were removed from the end."""
    NOT_JOINED = "not_joined"
    """An archive segment does not start where the previous part of the log ends."""


@dataclass(frozen=True)
class VerificationReport:
    """Result of verifying a log.

    ``first_bad_seq`` and ``last_bad_seq`` bound the first tampered event
    (equal when it is known exactly); both are ``None`` for problems with
    the checkpoints themselves. ``covered_size`` is the largest checkpoint
    size that matched: events with ``seq >= covered_size`` are not protected
    by any verified signature.
    """

    is_valid: bool
    hash_name: str
    tree_size: int
    root_hash: bytes
    range_hashes: tuple[bytes, ...]
    checkpoints_verified: int
    covered_size: int
    problem: Problem | None = None
    first_bad_seq: int | None = None
    last_bad_seq: int | None = None
    checkpoint_size: int | None = None
    message: str = "log verified"

    def compact_range(self) -> CompactRange:
        """Return the compact range of the events read, to continue verification after them.

        Raises:
            ValueError: the report is not valid, so its range proves nothing.
        """
        if not self.is_valid:
            raise ValueError("a failed verification has no trustworthy compact range")
        return CompactRange(get_hasher(self.hash_name), self.tree_size, self.range_hashes)


class _Failure(Exception):
    def __init__(
        self,
        problem: Problem,
        message: str,
        first_bad_seq: int | None = None,
        last_bad_seq: int | None = None,
        checkpoint_size: int | None = None,
    ) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message
        self.first_bad_seq = first_bad_seq
        self.last_bad_seq = first_bad_seq if last_bad_seq is None else last_bad_seq
        self.checkpoint_size = checkpoint_size


def _verified_checkpoints(
    notes: Iterable[str],
    verifier: CheckpointVerifier,
    origin: str,
    hash_name: str,
) -> list[Checkpoint]:
    checkpoints = []
    for position, note in enumerate(notes):
        try:
            checkpoint = verifier.verify(note)
        except (SignatureVerificationError, CheckpointFormatError):
            raise _Failure(
                Problem.BAD_SIGNATURE,
                f"checkpoint #{position} failed signature or format verification",
            ) from None
        if checkpoint.origin != origin or checkpoint.hash_name != hash_name:
            raise _Failure(
                Problem.WRONG_LOG,
                f"checkpoint #{position} (size {checkpoint.size}) is for origin "
                f"{checkpoint.origin!r} with {checkpoint.hash_name}, "
                f"expected {origin!r} with {hash_name}",
                checkpoint_size=checkpoint.size,
            )
        checkpoints.append(checkpoint)

    checkpoints.sort(key=lambda checkpoint: checkpoint.size)
    for earlier, later in itertools.pairwise(checkpoints):
        if earlier.size == later.size and earlier.root_hash != later.root_hash:
            raise _Failure(
                Problem.FORKED_CHECKPOINTS,
                f"two signed checkpoints of size {later.size} have different roots",
                checkpoint_size=later.size,
            )
    return checkpoints


def _sequence_failure(seq: int, expected: int) -> _Failure:
    if seq > expected:
        return _Failure(
            Problem.MISSING,
            f"event {expected} is missing (next stored event is {seq})",
            expected,
            seq - 1,
        )
    if seq == expected - 1:
        return _Failure(Problem.DUPLICATE, f"event {seq} is stored twice", seq)
    return _Failure(Problem.OUT_OF_ORDER, f"event {seq} is stored after event {expected - 1}", seq)


def _placement_failure(seq: int, embedded_seq: int) -> _Failure:
    if embedded_seq > seq:
        return _Failure(
            Problem.MISPLACED,
            f"row {seq} contains event {embedded_seq}, so rows were deleted, swapped or moved",
            seq,
        )
    # Every earlier row held its own event, and the event that belongs at
    # ``embedded_seq`` now sits at ``seq``, so rows embedded_seq..seq-1 were added.
    return _Failure(
        Problem.INSERTED,
        f"row {seq} contains event {embedded_seq}, so rows {embedded_seq}..{seq - 1} were inserted",
        embedded_seq,
        seq - 1,
    )


def verify_log(
    events: Iterable[StoredEvent],
    checkpoint_notes: Iterable[str],
    verifier: CheckpointVerifier,
    *,
    origin: str,
    hash_name: str = "sha256",
    start: CompactRange | None = None,
    leaf_tagger: LeafTagger | None = None,
) -> VerificationReport:
    """Verify stored events, in ascending ``seq`` order, against signed checkpoints.

    ``events`` yields :class:`StoredEvent` values or any ``(seq, encoded,
    leaf_hash, leaf_tag)`` tuples, such as database cursor rows. With
    ``leaf_tagger`` every event must carry a valid leaf tag, which locates
    an edit with rewritten hashes exactly (see :mod:`shoumi.ledger.tags`).

    ``start`` is the verified compact range of the events before the first
    one given (from a verified archive segment), and counts as covered;
    without it the log must start at ``seq`` 0. Checkpoints smaller than the
    start size are not checked here.

    Returns a report; it raises nothing for a tampered log.
    """
    hasher = get_hasher(hash_name)
    state = start.copy() if start is not None else CompactRange(hasher)
    if state.hasher.name != hasher.name:
        raise ValueError(f"start range uses {state.hasher.name}, expected {hash_name}")
    start_size = state.size
    checkpoints_verified = 0
    covered_size = start_size

    try:
        checkpoints = _verified_checkpoints(checkpoint_notes, verifier, origin, hash_name)
        checkpoints_verified = len(checkpoints)
        pending = [checkpoint for checkpoint in checkpoints if checkpoint.size >= start_size]
        if pending and pending[0].size == start_size:
            # A mismatch here contradicts the segment that supplied ``start``,
            # so the change can be anywhere before it.
            covered_size = _check_roots(state, pending, start_size, 0)
            pending = [checkpoint for checkpoint in pending if checkpoint.size > start_size]
        covered_size = _replay(events, state, pending, covered_size, start_size, leaf_tagger)
    except _Failure as failure:
        return VerificationReport(
            is_valid=False,
            hash_name=hash_name,
            tree_size=state.size,
            root_hash=state.root(),
            range_hashes=tuple(state.hashes),
            checkpoints_verified=checkpoints_verified,
            covered_size=covered_size,
            problem=failure.problem,
            first_bad_seq=failure.first_bad_seq,
            last_bad_seq=failure.last_bad_seq,
            checkpoint_size=failure.checkpoint_size,
            message=failure.message,
        )
    return VerificationReport(
        is_valid=True,
        hash_name=hash_name,
        tree_size=state.size,
        root_hash=state.root(),
        range_hashes=tuple(state.hashes),
        checkpoints_verified=checkpoints_verified,
        covered_size=covered_size,
    )


def _check_roots(
    state: CompactRange, checkpoints: Sequence[Checkpoint], size: int, covered_size: int
) -> int:
    root = state.root()
    for checkpoint in checkpoints:
        if checkpoint.size != size:
            break
        if checkpoint.root_hash != root:
            raise _Failure(
                Problem.ROOT_MISMATCH,
                f"recomputed root at size {size} differs from the signed checkpoint, "
                f"so an event in {covered_size}..{size - 1} was changed",
                covered_size,
                size - 1,
                checkpoint_size=size,
            )
    return size


def _replay(
    events: Iterable[StoredEvent],
    state: CompactRange,
    checkpoints: list[Checkpoint],
    covered_size: int,
    start_size: int,
    leaf_tagger: LeafTagger | None,
) -> int:
    """Feed every event into ``state``; return the new covered size or raise ``_Failure``.

    This loop runs once per event, so it inlines the ``seq`` check and
    :meth:`CompactRange.append`. Keep it equivalent to them.
    """
    hash_leaf = state.hasher.hash_leaf
    hash_children = state.hasher.hash_children
    tag_leaf = leaf_tagger.tag if leaf_tagger is not None else None
    range_hashes = state.hashes
    sizes = [checkpoint.size for checkpoint in checkpoints]
    position = 0
    next_size = sizes[0] if sizes else -1
    expected = start_size

    try:
        for seq, encoded, stored_hash, stored_tag in events:
            if seq != expected:
                raise _sequence_failure(seq, expected)
            # Fast path of read_event_seq: the last '"seq":' must be followed
            # by this event's number and the comma before "time".
            key_position = encoded.rfind(_SEQ_KEY)
            if key_position < 0 or not encoded.startswith(
                b"%d," % seq, key_position + len(_SEQ_KEY)
            ):
                raise _embedded_seq_failure(seq, encoded)
            leaf_hash = hash_leaf(encoded)
            if stored_hash is not None and stored_hash != leaf_hash:
                raise _Failure(
                    Problem.LEAF_HASH_MISMATCH,
                    f"event {seq} does not match its stored leaf hash",
                    seq,
                )
            if tag_leaf is not None and tag_leaf(leaf_hash) != stored_tag:
                raise _Failure(
                    Problem.LEAF_TAG_MISMATCH, f"event {seq} has a missing or invalid leaf tag", seq
                )

            node_index = expected
            node_hash = leaf_hash
            while node_index & 1:
                node_hash = hash_children(range_hashes.pop(), node_hash)
                node_index >>= 1
            range_hashes.append(node_hash)
            expected += 1

            if expected == next_size:
                state.size = expected
                covered_size = _check_roots(state, checkpoints[position:], expected, covered_size)
                while position < len(sizes) and sizes[position] == expected:
                    position += 1
                next_size = sizes[position] if position < len(sizes) else -1
    finally:
        state.size = expected

    if position < len(sizes):
        largest = sizes[-1]
        raise _Failure(
            Problem.TRUNCATED,
            f"the log ends after {expected} events but a checkpoint was signed at size {largest}",
            expected,
            largest - 1,
            checkpoint_size=largest,
        )
    return covered_size


def _embedded_seq_failure(seq: int, encoded: bytes) -> _Failure:
    try:
        embedded_seq = read_event_seq(encoded)
    except EventEncodingError:
        return _Failure(Problem.UNREADABLE, f"event {seq} has no readable sequence number", seq)
    return _placement_failure(seq, embedded_seq)


def verify_against_checkpoint(
    events: Iterable[StoredEvent],
    checkpoint_note: str,
    verifier: CheckpointVerifier,
    *,
    origin: str,
    hash_name: str = "sha256",
    start: CompactRange | None = None,
    leaf_tagger: LeafTagger | None = None,
) -> VerificationReport:
    """Verify stored events against one externally kept checkpoint (printed or emailed).

    Returns a report as :func:`verify_log` does.
    """
    return verify_log(
        events,
        [checkpoint_note],
        verifier,
        origin=origin,
        hash_name=hash_name,
        start=start,
        leaf_tagger=leaf_tagger,
    )
