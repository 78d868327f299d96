from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shoumi.ledger.archive import (
    read_archive_segment,
    verify_archive_segment,
    verify_archived_log,
    write_archive_segment,
)
from shoumi.ledger.checkpoints import Checkpoint, CheckpointSigner
from shoumi.ledger.errors import ArchiveFormatError
from shoumi.ledger.hashing import get_hasher
from shoumi.ledger.tree import MemoryHashStore, TreeAppender, load_compact_range, root_hash
from shoumi.ledger.verify import Problem, StoredEvent, verify_log
from tests.ledger.factories import encoded_events

ORIGIN = "shoumi.test/audit"
NOW = dt.datetime(2026, 9, 1, 2, 0, tzinfo=dt.UTC)
HASHER = get_hasher("sha256")


class ArchivedLog:
    """A log of 30 events: segments [0, 10) and [10, 22), live events [22, 30)."""

    def __init__(self) -> None:
        self.signer = CheckpointSigner(ORIGIN, Ed25519PrivateKey.generate())
        self.events = encoded_events(30)
        self.store = MemoryHashStore()
        appender = TreeAppender.open(self.store, HASHER, 0)
        self.checkpoints = []
        for encoded in self.events:
            appender.append(encoded)
            if appender.size % 5 == 0:
                checkpoint = Checkpoint(ORIGIN, appender.size, appender.root(), NOW)
                self.checkpoints.append(self.signer.sign(checkpoint))
        self.segments = [self.segment(0, 10), self.segment(10, 22)]
        self.live = [
            StoredEvent(seq, self.events[seq], HASHER.hash_leaf(self.events[seq]))
            for seq in range(22, 30)
        ]

    def segment(self, first: int, end: int) -> bytes:
        return write_archive_segment(
            self.events[first:end],
            start=load_compact_range(self.store, HASHER, first),
            signer=self.signer,
            origin=ORIGIN,
            time=NOW,
        )

    def verify(self):
        return verify_archived_log(
            self.segments, self.live, self.checkpoints, self.signer.verifier(), origin=ORIGIN
        )


@pytest.fixture
def archived() -> ArchivedLog:
    return ArchivedLog()


def test_segment_verifies_on_its_own(archived: ArchivedLog) -> None:
    report = verify_archive_segment(archived.segments[1], archived.signer.verifier(), origin=ORIGIN)

    assert report.is_valid
    assert report.tree_size == 22
    assert report.covered_size == 22


def test_segment_round_trips(archived: ArchivedLog) -> None:
    segment = read_archive_segment(archived.segments[1])

    assert segment.first_seq == 10
    assert segment.end_seq == 22
    assert list(segment.events) == archived.events[10:22]
    assert len(segment.start_range) == 2


def test_segments_join_with_live_log(archived: ArchivedLog) -> None:
    report = archived.verify()

    assert report.is_valid
    assert report.tree_size == 30
    assert report.covered_size == 30
    assert report.root_hash == root_hash(archived.store, HASHER, 30)


def test_edited_segment_event_fails_signature(archived: ArchivedLog) -> None:
    tampered = archived.segments[1].replace(b'"result":"success"', b'"result":"failure"', 1)

    report = verify_archive_segment(tampered, archived.signer.verifier(), origin=ORIGIN)

    assert report.problem is Problem.BAD_SIGNATURE


def test_resigned_edited_segment_fails_checkpoint(archived: ArchivedLog) -> None:
    """Someone re-signs a segment with their own key; the log's key rejects it."""
    forger = CheckpointSigner(ORIGIN, Ed25519PrivateKey.generate())
    events = list(archived.events[10:22])
    events[3] = events[3].replace(b'"result":"success"', b'"result":"failure"')
    forged = write_archive_segment(
        events,
        start=load_compact_range(archived.store, HASHER, 10),
        signer=forger,
        origin=ORIGIN,
        time=NOW,
    )

    report = verify_archive_segment(forged, archived.signer.verifier(), origin=ORIGIN)

    assert report.problem is Problem.BAD_SIGNATURE


def test_key_holder_segment_edit_caught_live(
    archived: ArchivedLog,
) -> None:
    """An attacker with the signing key rewrites a segment, and the live checkpoints catch it."""
    events = list(archived.events[10:22])
    events[3] = events[3].replace(b'"result":"success"', b'"result":"failure"')
    archived.segments[1] = write_archive_segment(
        events,
        start=load_compact_range(archived.store, HASHER, 10),
        signer=archived.signer,
        origin=ORIGIN,
        time=NOW,
    )

    report = archived.verify()

    assert report.problem is Problem.ROOT_MISMATCH
    assert report.first_bad_seq == 10
    assert report.last_bad_seq == 14
    assert report.first_bad_seq <= 13 <= report.last_bad_seq


def test_missing_segment_is_not_joined(archived: ArchivedLog) -> None:
    archived.segments = [archived.segments[1]]

    report = archived.verify()

    assert report.problem is Problem.NOT_JOINED
    assert report.first_bad_seq == 0


def test_gap_between_segments_is_not_joined(archived: ArchivedLog) -> None:
    archived.segments = [archived.segment(0, 8), archived.segments[1]]

    report = archived.verify()

    assert report.problem is Problem.NOT_JOINED
    assert report.first_bad_seq == 8


def test_live_log_must_continue_last_segment(archived: ArchivedLog) -> None:
    del archived.live[0]

    report = archived.verify()

    assert report.problem is Problem.MISSING
    assert report.first_bad_seq == 22


def test_forged_start_range_fails(archived: ArchivedLog) -> None:
    segment = archived.segments[1]
    lines = segment.split(b"\n")
    lines[5] = b"range " + base64.b64encode(bytes(32)) + b" " + base64.b64encode(bytes(32))
    forged_body = b"\n".join(lines[:-2]) + b"\n"
    note = archived.signer.sign_note(
        f"shoumi-archive-segment/1\n{ORIGIN}\n10\n22\n"
        f"{base64.b64encode(HASHER.digest(forged_body)).decode()}\n"
    )
    forged = forged_body + b"signature " + base64.b64encode(note.encode()) + b"\n"

    report = verify_archive_segment(forged, archived.signer.verifier(), origin=ORIGIN)

    assert not report.is_valid
    assert report.problem is Problem.ROOT_MISMATCH


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a segment\n",
        b"shoumi-archive-segment/1\norigin x\n",
    ],
)
def test_malformed_segment_is_reported(data: bytes) -> None:
    signer = CheckpointSigner(ORIGIN, Ed25519PrivateKey.generate())

    report = verify_archive_segment(data, signer.verifier(), origin=ORIGIN)

    assert report.problem is Problem.UNREADABLE
    with pytest.raises(ArchiveFormatError):
        read_archive_segment(data)


def test_empty_segment_is_refused(archived: ArchivedLog) -> None:
    with pytest.raises(ArchiveFormatError):
        write_archive_segment(
            [],
            start=load_compact_range(archived.store, HASHER, 0),
            signer=archived.signer,
            origin=ORIGIN,
            time=NOW,
        )


def test_segment_of_other_origin_is_rejected(archived: ArchivedLog) -> None:
    report = verify_archive_segment(
        archived.segments[0], archived.signer.verifier(), origin="other.test/log"
    )

    assert report.problem is Problem.WRONG_LOG


def test_checkpoint_contradicting_segment_names_whole_prefix(archived: ArchivedLog) -> None:
    segment_report = verify_archive_segment(
        archived.segments[1], archived.signer.verifier(), origin=ORIGIN
    )
    contradicting = archived.signer.sign(Checkpoint(ORIGIN, 22, bytes(32), NOW))

    report = verify_log(
        archived.live,
        [contradicting],
        archived.signer.verifier(),
        origin=ORIGIN,
        start=segment_report.compact_range(),
    )

    assert report.problem is Problem.ROOT_MISMATCH
    assert report.first_bad_seq == 0
    assert report.last_bad_seq == 21


def test_failed_report_has_no_compact_range(archived: ArchivedLog) -> None:
    archived.segments = [archived.segments[1]]

    with pytest.raises(ValueError):
        archived.verify().compact_range()
