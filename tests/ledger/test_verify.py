"""Tampering with a stored log in every way and checking what verify_log reports."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from shoumi.ledger.checkpoints import Checkpoint, CheckpointSigner
from shoumi.ledger.events import decode_event, encode_event
from shoumi.ledger.hashing import get_hasher
from shoumi.ledger.tree import CompactRange
from shoumi.ledger.verify import (
    Problem,
    StoredEvent,
    verify_against_checkpoint,
    verify_log,
)
from tests.ledger.factories import encoded_events, event_fields

ORIGIN = "shoumi.test/audit"
NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
EVENT_COUNT = 20
CHECKPOINT_EVERY = 4
SHARED_SIGNER = CheckpointSigner(ORIGIN, Ed25519PrivateKey.generate())


@dataclasses.dataclass
class StoredLog:
    events: list[StoredEvent]
    checkpoints: list[str]
    signer: CheckpointSigner
    hash_name: str

    def verify(self, **options):
        return verify_log(
            self.events,
            self.checkpoints,
            self.signer.verifier(),
            origin=ORIGIN,
            hash_name=self.hash_name,
            **options,
        )


def build_log(
    count: int = EVENT_COUNT,
    checkpoint_every: int = CHECKPOINT_EVERY,
    hash_name: str = "sha256",
    signer: CheckpointSigner | None = None,
    is_tagged: bool = False,
) -> StoredLog:
    hasher = get_hasher(hash_name)
    signer = signer or CheckpointSigner(ORIGIN, Ed25519PrivateKey.generate())
    tag_leaf = signer.leaf_tagger(hash_name).tag
    state = CompactRange(hasher)
    events, checkpoints = [], []
    for seq, encoded in enumerate(encoded_events(count)):
        leaf_hash = hasher.hash_leaf(encoded)
        state.append(leaf_hash)
        leaf_tag = tag_leaf(leaf_hash) if is_tagged else None
        events.append(StoredEvent(seq, encoded, leaf_hash, leaf_tag))
        if state.size % checkpoint_every == 0 or state.size == count:
            checkpoint = Checkpoint(ORIGIN, state.size, state.root(), NOW, hash_name)
            checkpoints.append(signer.sign(checkpoint))
    return StoredLog(events, checkpoints, signer, hash_name)


def edited(event: StoredEvent, *, rehash: bool, **changes) -> StoredEvent:
    fields = decode_event(event.encoded)
    fields.update(changes)
    encoded = encode_event(fields)
    leaf_hash = get_hasher("sha256").hash_leaf(encoded) if rehash else event.leaf_hash
    return StoredEvent(fields["seq"], encoded, leaf_hash, event.leaf_tag)


def assert_detected(report, problem: Problem, first_bad_seq: int, last_bad_seq: int | None = None):
    assert not report.is_valid
    assert report.problem is problem
    assert report.first_bad_seq == first_bad_seq
    assert report.last_bad_seq == (first_bad_seq if last_bad_seq is None else last_bad_seq)


@pytest.mark.parametrize("hash_name", ["sha256", "sm3"])
def test_untouched_log_verifies(hash_name: str) -> None:
    log = build_log(hash_name=hash_name)

    report = log.verify()

    assert report.is_valid
    assert report.problem is None
    assert report.tree_size == EVENT_COUNT
    assert report.covered_size == EVENT_COUNT
    assert report.checkpoints_verified == EVENT_COUNT // CHECKPOINT_EVERY


def test_log_verifies_without_stored_leaf_hashes() -> None:
    log = build_log()
    log.events = [StoredEvent(event.seq, event.encoded) for event in log.events]

    assert log.verify().is_valid


@pytest.mark.parametrize("seq", [0, 7, EVENT_COUNT - 1])
def test_edit_is_detected_at_its_seq(seq: int) -> None:
    log = build_log()
    log.events[seq] = edited(log.events[seq], rehash=False, result="denied")

    report = log.verify()

    assert_detected(report, Problem.LEAF_HASH_MISMATCH, seq)


@pytest.mark.parametrize("seq", [0, 9, EVENT_COUNT - 1])
def test_edit_and_rehash_is_caught_by_checkpoint(seq: int) -> None:
    log = build_log()
    log.events[seq] = edited(log.events[seq], rehash=True, actor_id="user-intruder")
    interval_start = seq - seq % CHECKPOINT_EVERY

    report = log.verify()

    assert_detected(
        report, Problem.ROOT_MISMATCH, interval_start, interval_start + CHECKPOINT_EVERY - 1
    )
    assert report.first_bad_seq <= seq <= report.last_bad_seq
    assert report.checkpoint_size == interval_start + CHECKPOINT_EVERY


def test_edit_and_rehash_exact_per_event_checkpoint() -> None:
    log = build_log(checkpoint_every=1)
    log.events[13] = edited(log.events[13], rehash=True, purpose="other")

    report = log.verify()

    assert_detected(report, Problem.ROOT_MISMATCH, 13)


@pytest.mark.parametrize("hash_name", ["sha256", "sm3"])
def test_edit_and_rehash_is_exact_with_leaf_tags(hash_name: str) -> None:
    log = build_log(hash_name=hash_name, is_tagged=True)
    fields = decode_event(log.events[9].encoded)
    fields["actor_id"] = "user-intruder"
    encoded = encode_event(fields)
    log.events[9] = StoredEvent(
        9, encoded, get_hasher(hash_name).hash_leaf(encoded), log.events[9].leaf_tag
    )

    report = log.verify(leaf_tagger=log.signer.leaf_tagger(hash_name))

    assert_detected(report, Problem.LEAF_TAG_MISMATCH, 9)


def test_tagged_log_verifies_with_tagger() -> None:
    log = build_log(is_tagged=True)

    report = log.verify(leaf_tagger=log.signer.leaf_tagger())

    assert report.is_valid


def test_missing_leaf_tag_is_detected() -> None:
    log = build_log(is_tagged=True)
    log.events[4] = log.events[4]._replace(leaf_tag=None)

    report = log.verify(leaf_tagger=log.signer.leaf_tagger())

    assert_detected(report, Problem.LEAF_TAG_MISMATCH, 4)


def test_tags_of_other_signer_are_rejected() -> None:
    log = build_log(is_tagged=True)
    other = CheckpointSigner(ORIGIN, Ed25519PrivateKey.generate())

    report = log.verify(leaf_tagger=other.leaf_tagger())

    assert_detected(report, Problem.LEAF_TAG_MISMATCH, 0)


def test_edit_without_stored_hashes_is_caught_by_checkpoint() -> None:
    log = build_log()
    log.events = [StoredEvent(event.seq, event.encoded) for event in log.events]
    log.events[6] = edited(log.events[6], rehash=False, result="failure")

    report = log.verify()

    assert_detected(report, Problem.ROOT_MISMATCH, 4, 7)


@pytest.mark.parametrize("seq", [0, 5, 12])
def test_delete_is_detected_at_missing_seq(seq: int) -> None:
    log = build_log()
    del log.events[seq]

    report = log.verify()

    assert_detected(report, Problem.MISSING, seq)


def test_delete_of_several_rows_names_the_range() -> None:
    log = build_log()
    del log.events[5:8]

    assert_detected(log.verify(), Problem.MISSING, 5, 7)


def test_delete_with_renumbering_is_detected_at_seq() -> None:
    log = build_log()
    kept = log.events[:5] + log.events[6:]
    log.events = [event._replace(seq=seq) for seq, event in enumerate(kept)]

    assert_detected(log.verify(), Problem.MISPLACED, 5)


def test_insert_with_duplicate_seq_is_detected() -> None:
    log = build_log()
    forged = StoredEvent(8, encode_event(event_fields(8, actor_id="user-intruder")))
    log.events.insert(9, forged)

    assert_detected(log.verify(), Problem.DUPLICATE, 8)


def test_insert_with_renumbering_is_detected_at_inserted_seq() -> None:
    log = build_log()
    forged_encoded = encode_event(event_fields(10, actor_id="user-intruder"))
    forged = StoredEvent(10, forged_encoded, get_hasher("sha256").hash_leaf(forged_encoded))
    shifted = [event._replace(seq=event.seq + 1) for event in log.events[10:]]
    log.events = [*log.events[:10], forged, *shifted]

    assert_detected(log.verify(), Problem.INSERTED, 10)


def test_swap_is_detected_at_first_swapped_seq() -> None:
    log = build_log()
    first, second = log.events[6], log.events[7]
    log.events[6] = StoredEvent(6, second.encoded, second.leaf_hash)
    log.events[7] = StoredEvent(7, first.encoded, first.leaf_hash)

    assert_detected(log.verify(), Problem.MISPLACED, 6)


def test_swap_with_rewritten_seqs_is_caught_by_checkpoint() -> None:
    log = build_log()
    first, second = log.events[6], log.events[7]
    log.events[6] = edited(second, rehash=True, seq=6)
    log.events[7] = edited(first, rehash=True, seq=7)

    assert_detected(log.verify(), Problem.ROOT_MISMATCH, 4, 7)


def test_rows_out_of_order_are_detected() -> None:
    log = build_log()
    log.events.insert(12, log.events[3])

    assert_detected(log.verify(), Problem.OUT_OF_ORDER, 3)


def test_truncate_is_detected_at_first_removed_seq() -> None:
    log = build_log()
    del log.events[17:]

    report = log.verify()

    assert_detected(report, Problem.TRUNCATED, 17, EVENT_COUNT - 1)
    assert report.checkpoint_size == EVENT_COUNT


def test_truncate_with_recomputed_last_checkpoint_fails_signature() -> None:
    log = build_log()
    del log.events[17:]
    forger = CheckpointSigner(ORIGIN, Ed25519PrivateKey.generate())
    state = CompactRange(get_hasher("sha256"))
    for event in log.events:
        state.append(event.leaf_hash)
    log.checkpoints[-1] = forger.sign(Checkpoint(ORIGIN, 17, state.root(), NOW))

    report = log.verify()

    assert report.problem is Problem.BAD_SIGNATURE
    assert report.first_bad_seq is None


def test_unreadable_event_is_detected() -> None:
    log = build_log()
    log.events[3] = StoredEvent(3, b"overwritten", None)

    assert_detected(log.verify(), Problem.UNREADABLE, 3)


def test_checkpoint_of_other_origin_is_rejected() -> None:
    log = build_log()
    signer = log.signer
    log.checkpoints.append(signer.sign(Checkpoint("other.test/log", 4, bytes(32), NOW)))

    report = log.verify()

    assert report.problem is Problem.WRONG_LOG


def test_forked_checkpoints_are_reported() -> None:
    log = build_log()
    log.checkpoints.append(log.signer.sign(Checkpoint(ORIGIN, 8, bytes(32), NOW)))

    report = log.verify()

    assert report.problem is Problem.FORKED_CHECKPOINTS
    assert report.checkpoint_size == 8


def test_events_after_last_checkpoint_are_not_covered() -> None:
    log = build_log()
    log.checkpoints = log.checkpoints[:2]

    report = log.verify()

    assert report.is_valid
    assert report.covered_size == 2 * CHECKPOINT_EVERY
    assert report.tree_size == EVENT_COUNT


def test_external_checkpoint_catches_forged_checkpoint_table() -> None:
    """An attacker with the signing key rewrites events and every checkpoint."""
    original = build_log()
    external = original.checkpoints[-1]
    tampered = build_log(signer=original.signer)
    tampered.events[2] = edited(tampered.events[2], rehash=True, result="denied")
    state = CompactRange(get_hasher("sha256"))
    for event in tampered.events:
        state.append(event.leaf_hash)
    tampered.checkpoints = [
        original.signer.sign(Checkpoint(ORIGIN, EVENT_COUNT, state.root(), NOW))
    ]
    assert tampered.verify().is_valid

    report = verify_against_checkpoint(
        tampered.events, external, original.signer.verifier(), origin=ORIGIN
    )

    assert_detected(report, Problem.ROOT_MISMATCH, 0, EVENT_COUNT - 1)


def test_external_checkpoint_verifies_untouched_log() -> None:
    log = build_log()

    report = verify_against_checkpoint(
        log.events, log.checkpoints[2], log.signer.verifier(), origin=ORIGIN
    )

    assert report.is_valid
    assert report.covered_size == 3 * CHECKPOINT_EVERY


def test_gm_mode_log_with_hmac_tags_verifies() -> None:
    signer = CheckpointSigner(ORIGIN, Ed25519PrivateKey.generate(), os.urandom(32))
    log = build_log(hash_name="sm3", signer=signer)

    assert log.verify().is_valid
    log.checkpoints[1] = log.checkpoints[1].rsplit("\n— ", 1)[0] + "\n"
    assert log.verify().problem is Problem.BAD_SIGNATURE


def test_report_message_names_seq_not_content() -> None:
    log = build_log()
    log.events[5] = edited(log.events[5], rehash=False, purpose="年度汇算")

    report = log.verify()

    assert "5" in report.message
    assert "年度汇算" not in report.message


def test_seq_inside_details_does_not_hide_misplaced_event() -> None:
    log = build_log()
    encoded = encode_event(event_fields(6, details={"seq": 5, "time": "x"}))
    log.events[5] = StoredEvent(5, encoded, get_hasher("sha256").hash_leaf(encoded))

    assert_detected(log.verify(), Problem.MISPLACED, 5)


def test_event_number_sharing_digits_with_row_is_misplaced() -> None:
    log = build_log()
    encoded = encode_event(event_fields(10))
    log.events[1] = StoredEvent(1, encoded, get_hasher("sha256").hash_leaf(encoded))

    assert_detected(log.verify(), Problem.MISPLACED, 1)


TAMPER_KINDS = [
    "edit",
    "delete",
    "duplicate",
    "swap",
    "truncate",
    "edit_and_rehash",
    "edit_and_rehash_tagged",
]


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(2, 40),
    checkpoint_every=st.integers(1, 9),
    kind=st.sampled_from(TAMPER_KINDS),
    data=st.data(),
)
def test_any_tampering_is_located(count, checkpoint_every, kind, data) -> None:
    is_tagged = kind == "edit_and_rehash_tagged"
    log = build_log(count, checkpoint_every, signer=SHARED_SIGNER, is_tagged=is_tagged)
    seq = data.draw(st.integers(0, count - 2), label="seq")

    if kind == "edit":
        log.events[seq] = edited(log.events[seq], rehash=False, result="denied")
    elif kind == "delete":
        del log.events[seq]
    elif kind == "duplicate":
        log.events.insert(seq + 1, log.events[seq])
    elif kind == "swap":
        first, second = log.events[seq], log.events[seq + 1]
        log.events[seq] = second._replace(seq=seq)
        log.events[seq + 1] = first._replace(seq=seq + 1)
    elif kind == "truncate":
        del log.events[seq:]
    else:
        log.events[seq] = edited(log.events[seq], rehash=True, result="denied")
    tagger = SHARED_SIGNER.leaf_tagger() if is_tagged else None
    report = log.verify(leaf_tagger=tagger)

    assert not report.is_valid
    assert report.first_bad_seq <= seq <= report.last_bad_seq
    if kind != "edit_and_rehash":
        assert report.first_bad_seq == seq
    else:
        assert report.last_bad_seq - report.first_bad_seq < checkpoint_every
