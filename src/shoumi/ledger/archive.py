"""Signed archive segments: a range of events moved out of the live table into a file.

Retention moves old events out of the database only as segments, never by
deleting rows in place. A segment for events ``[first, end)`` carries:

- the compact range of ``[0, first)`` (the perfect-subtree hashes of the
  events before it), so its events can be fed into the same tree;
- a signed checkpoint at size ``first`` (absent when ``first`` is 0), whose
  root must equal the root of that compact range;
- a signed checkpoint at size ``end``, whose root must equal the root after
  the segment's events are appended: this binds the events, their order and
  the compact range (a forged range cannot produce the signed root);
- a signed note over the digest of the whole file.

A segment verifies on its own with the public key. Its recomputed compact
range at ``end`` is the starting point for the next segment or for the live
log (:func:`verify_archived_log`), which is how archived and live parts join.

File format (UTF-8 text, one item per line; ``b64`` is standard base64)::

    shoumi-archive-segment/1
    origin <origin>
    hash <sha256 | sm3>
    first <first seq>
    end <end seq, exclusive>
    range [<b64 hash> ...]
    start-checkpoint <b64 signed note | ->
    end-checkpoint <b64 signed note>
    events
    <one canonical encoded event per line>
    signature <b64 signed note over the digest of all lines above>
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from shoumi.ledger.checkpoints import (
    Checkpoint,
    CheckpointSigner,
    CheckpointVerifier,
    parse_signed_note,
)
from shoumi.ledger.errors import (
    ArchiveFormatError,
    CheckpointFormatError,
    SignatureVerificationError,
    TreeStateError,
)
from shoumi.ledger.hashing import get_hasher
from shoumi.ledger.tags import LeafTagger
from shoumi.ledger.tree import CompactRange
from shoumi.ledger.verify import (
    Problem,
    StoredEvent,
    VerificationReport,
    verify_log,
)

SEGMENT_FORMAT: Final = "shoumi-archive-segment/1"


@dataclass(frozen=True)
class ArchiveSegment:
    """The parsed contents of an archive segment file. Nothing in it is verified yet."""

    origin: str
    hash_name: str
    first_seq: int
    end_seq: int
    start_range: tuple[bytes, ...]
    start_checkpoint: str | None
    end_checkpoint: str
    events: tuple[bytes, ...]
    body: bytes
    signature_note: str

    def stored_events(self) -> list[StoredEvent]:
        """Return the events as stored rows numbered from ``first_seq``."""
        return [
            StoredEvent(self.first_seq + offset, encoded)
            for offset, encoded in enumerate(self.events)
        ]


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _segment_note_text(origin: str, first_seq: int, end_seq: int, digest: bytes) -> str:
    return f"{SEGMENT_FORMAT}\n{origin}\n{first_seq}\n{end_seq}\n{_b64(digest)}\n"


def write_archive_segment(
    events: Iterable[bytes],
    *,
    start: CompactRange,
    signer: CheckpointSigner,
    origin: str,
    time: dt.datetime,
) -> bytes:
    """Return a signed segment file holding ``events``, which follow the ``start`` range.

    ``events`` are the canonical encodings of events ``start.size`` onwards,
    in order. ``start`` usually comes from
    :func:`shoumi.ledger.tree.load_compact_range`.

    Raises:
        ArchiveFormatError: there are no events, or an event contains a newline.
    """
    hasher = start.hasher
    state = start.copy()
    event_lines = []
    for encoded in events:
        if b"\n" in encoded:
            raise ArchiveFormatError("an encoded event contains a newline")
        state.append(hasher.hash_leaf(encoded))
        event_lines.append(encoded)
    if not event_lines:
        raise ArchiveFormatError("an archive segment needs at least one event")

    start_note = "-"
    if start.size:
        start_checkpoint = Checkpoint(origin, start.size, start.root(), time, hasher.name)
        start_note = _b64(signer.sign(start_checkpoint).encode("utf-8"))
    end_checkpoint = Checkpoint(origin, state.size, state.root(), time, hasher.name)
    header = [
        SEGMENT_FORMAT,
        f"origin {origin}",
        f"hash {hasher.name}",
        f"first {start.size}",
        f"end {state.size}",
        " ".join(["range", *(_b64(node_hash) for node_hash in start.hashes)]),
        f"start-checkpoint {start_note}",
        f"end-checkpoint {_b64(signer.sign(end_checkpoint).encode('utf-8'))}",
        "events",
    ]
    body = "".join(line + "\n" for line in header).encode("utf-8")
    body += b"".join(encoded + b"\n" for encoded in event_lines)

    note = signer.sign_note(_segment_note_text(origin, start.size, state.size, hasher.digest(body)))
    return body + b"signature " + _b64(note.encode("utf-8")).encode("ascii") + b"\n"


def _field(line: bytes, name: str) -> str:
    prefix = name + " "
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise ArchiveFormatError(f"segment line {name!r} is not UTF-8") from None
    if not text.startswith(prefix):
        raise ArchiveFormatError(f"segment line {name!r} is missing or out of place")
    return text[len(prefix) :]


def _int_field(line: bytes, name: str) -> int:
    value = _field(line, name)
    if not value.isdigit() or (value.startswith("0") and value != "0"):
        raise ArchiveFormatError(f"segment line {name!r} is not a decimal number")
    return int(value)


def _decode_b64(value: str, name: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ArchiveFormatError(f"segment line {name!r} is not valid base64") from None


def read_archive_segment(data: bytes) -> ArchiveSegment:
    """Parse a segment file without verifying it.

    Raises:
        ArchiveFormatError: the file is not a segment in the expected format.
    """
    if not data.endswith(b"\n"):
        raise ArchiveFormatError("segment file does not end with a newline")
    lines = data[:-1].split(b"\n")
    if len(lines) < 11 or lines[0] != SEGMENT_FORMAT.encode() or lines[8] != b"events":
        raise ArchiveFormatError(f"file is not a {SEGMENT_FORMAT} archive segment")

    origin = _field(lines[1], "origin")
    hash_name = _field(lines[2], "hash")
    first_seq = _int_field(lines[3], "first")
    end_seq = _int_field(lines[4], "end")
    range_text = _field(lines[5] + b" ", "range").split()
    start_range = tuple(_decode_b64(value, "range") for value in range_text)
    start_text = _field(lines[6], "start-checkpoint")
    start_note = None if start_text == "-" else _decode_b64(start_text, "start-checkpoint")
    end_note = _decode_b64(_field(lines[7], "end-checkpoint"), "end-checkpoint")
    events = tuple(lines[9:-1])
    signature_note = _decode_b64(_field(lines[-1], "signature"), "signature")
    if end_seq - first_seq != len(events):
        raise ArchiveFormatError(
            f"segment declares events {first_seq}..{end_seq - 1} but contains {len(events)}"
        )
    body_length = len(data) - len(lines[-1]) - 1
    try:
        return ArchiveSegment(
            origin=origin,
            hash_name=hash_name,
            first_seq=first_seq,
            end_seq=end_seq,
            start_range=start_range,
            start_checkpoint=None if start_note is None else start_note.decode("utf-8"),
            end_checkpoint=end_note.decode("utf-8"),
            events=events,
            body=data[:body_length],
            signature_note=signature_note.decode("utf-8"),
        )
    except UnicodeDecodeError:
        raise ArchiveFormatError("a segment checkpoint is not UTF-8") from None


def _failed(
    problem: Problem, message: str, hash_name: str, first_bad_seq: int | None = None
) -> VerificationReport:
    return VerificationReport(
        is_valid=False,
        hash_name=hash_name,
        tree_size=0,
        root_hash=b"",
        range_hashes=(),
        checkpoints_verified=0,
        covered_size=0,
        problem=problem,
        first_bad_seq=first_bad_seq,
        last_bad_seq=first_bad_seq,
        message=message,
    )


def _checkpoint_size(note: str) -> int | None:
    """Return the size a note claims, without verifying it, or ``None`` if unreadable."""
    try:
        return Checkpoint.from_body(parse_signed_note(note)[0]).size
    except CheckpointFormatError:
        return None


def verify_archive_segment(
    data: bytes,
    verifier: CheckpointVerifier,
    *,
    origin: str,
    hash_name: str = "sha256",
    previous: CompactRange | None = None,
    checkpoint_notes: Sequence[str] = (),
) -> VerificationReport:
    """Verify a segment file on its own, and its join to ``previous`` when given.

    ``previous`` is the compact range where the preceding segment ended, from
    its report. Without it the segment's own start range is used, checked
    against its signed start checkpoint. ``checkpoint_notes`` are further
    signed checkpoints of the log, and those with sizes inside the segment
    are checked too. The report's :meth:`~VerificationReport.compact_range`
    continues verification with the next segment or the live log.

    Returns a report; it raises nothing for a tampered or malformed segment.
    """
    try:
        segment = read_archive_segment(data)
    except ArchiveFormatError as error:
        return _failed(Problem.UNREADABLE, f"archive segment is malformed: {error}", hash_name)
    if segment.origin != origin or segment.hash_name != hash_name:
        return _failed(
            Problem.WRONG_LOG,
            f"archive segment is for origin {segment.origin!r} with {segment.hash_name}",
            hash_name,
        )
    hasher = get_hasher(hash_name)
    try:
        note_text = verifier.verify_note(segment.signature_note)
    except SignatureVerificationError:
        return _failed(Problem.BAD_SIGNATURE, "archive segment signature failed", hash_name)
    expected_text = _segment_note_text(
        origin, segment.first_seq, segment.end_seq, hasher.digest(segment.body)
    )
    if note_text != expected_text:
        return _failed(
            Problem.BAD_SIGNATURE, "archive segment does not match its signed digest", hash_name
        )

    try:
        start = CompactRange(hasher, segment.first_seq, segment.start_range)
    except TreeStateError:
        return _failed(Problem.UNREADABLE, "archive segment has a malformed start range", hash_name)
    if previous is not None and (previous.size != start.size or previous.hashes != start.hashes):
        return _failed(
            Problem.NOT_JOINED,
            f"archive segment starting at {start.size} does not continue the log "
            f"verified up to {previous.size}",
            hash_name,
            previous.size,
        )

    notes = [segment.end_checkpoint]
    if segment.start_checkpoint is not None:
        notes.append(segment.start_checkpoint)
    elif segment.first_seq != 0:
        return _failed(Problem.UNREADABLE, "archive segment lacks its start checkpoint", hash_name)
    for note in checkpoint_notes:
        size = _checkpoint_size(note)
        if size is None or segment.first_seq <= size <= segment.end_seq:
            notes.append(note)
    return verify_log(
        segment.stored_events(),
        notes,
        verifier,
        origin=origin,
        hash_name=hash_name,
        start=start,
    )


def verify_archived_log(
    segments: Iterable[bytes],
    live_events: Iterable[StoredEvent],
    checkpoint_notes: Sequence[str],
    verifier: CheckpointVerifier,
    *,
    origin: str,
    hash_name: str = "sha256",
    leaf_tagger: LeafTagger | None = None,
) -> VerificationReport:
    """Verify archive segments in order, then the live events that follow them.

    The first segment must start at ``seq`` 0 and each later part must start
    where the previous one ended. Checkpoints are checked in whichever part
    contains their size. ``leaf_tagger`` applies to the live events only,
    because segments are bound by their own signed checkpoints.

    Returns the report of the first part that fails, or of the live log.
    """
    state: CompactRange | None = None
    for data in segments:
        start = state if state is not None else CompactRange(get_hasher(hash_name))
        report = verify_archive_segment(
            data,
            verifier,
            origin=origin,
            hash_name=hash_name,
            previous=start,
            checkpoint_notes=checkpoint_notes,
        )
        if not report.is_valid:
            return report
        state = report.compact_range()

    live_notes = []
    for note in checkpoint_notes:
        size = _checkpoint_size(note)
        if state is None or size is None or size >= state.size:
            live_notes.append(note)
    return verify_log(
        live_events,
        live_notes,
        verifier,
        origin=origin,
        hash_name=hash_name,
        start=state,
        leaf_tagger=leaf_tagger,
    )
