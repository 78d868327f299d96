"""Benchmarks of shoumi.ledger: appends, proof generation and offline verification.

Run from the repository root (takes about 15 minutes on 2 cores). Wall and
CPU seconds are both reported, because on a shared machine the process
waits for a core and the wall time overstates the cost:

    .venv/bin/python -m tests.bench.bench_ledger [--events 1000000]

The peer is pymerkle (``pip install pymerkle``), a pure-Python RFC 9162
Merkle tree, measured on the same entries in the same run. Its roots are
checked against ours before any timing is reported. Results are printed
and written to ``tests/bench/out/ledger.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import resource
import time
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shoumi.ledger.checkpoints import Checkpoint, CheckpointSigner
from shoumi.ledger.events import _dump, decode_event, encode_event
from shoumi.ledger.hashing import get_hasher
from shoumi.ledger.tree import (
    CompactRange,
    MemoryHashStore,
    TreeAppender,
    consistency_proof,
    inclusion_proof,
)
from shoumi.ledger.verify import StoredEvent, verify_log
from tests.ledger.factories import event_fields

ORIGIN = "bench.shoumi/audit"
OUT_DIR = Path(__file__).parent / "out"
CHECKPOINT_EVERY = 1000
PROOF_SAMPLES = 2000


def _event_dict(seq: int) -> dict:
    fields = event_fields(seq)
    fields["time"] = "2026-03-01T08:00:00.000000Z"
    fields["v"] = 1
    return fields


def canonical_events(count: int) -> Iterator[bytes]:
    """Yield ``count`` canonical events quickly, without per-event validation.

    The bytes come from the same serialiser as ``encode_event``; a sample is
    checked against ``encode_event`` and ``decode_event`` below.
    """
    for seq in range(count):
        yield _dump(_event_dict(seq))


def _check_generator() -> None:
    for seq in (0, 1, 12345):
        generated = _dump(_event_dict(seq))
        assert generated == encode_event(_event_dict(seq))
        assert decode_event(generated)["seq"] == seq


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_appends(count: int) -> dict:
    entries = [encode_event(event_fields(seq)) for seq in range(count)]
    hasher = get_hasher("sha256")

    started = time.perf_counter()
    for seq in range(count):
        encode_event(event_fields(seq))
    encode_seconds = time.perf_counter() - started

    appender = TreeAppender.open(MemoryHashStore(), hasher, 0)
    started = time.perf_counter()
    for entry in entries:
        appender.append(entry)
    ours = time.perf_counter() - started

    appender_full = TreeAppender.open(MemoryHashStore(), hasher, 0)
    started = time.perf_counter()
    for seq in range(count):
        appender_full.append(encode_event(event_fields(seq)))
    encode_and_append = time.perf_counter() - started

    appender_batched = TreeAppender.open(MemoryHashStore(), hasher, 0)
    started = time.perf_counter()
    for first in range(0, count, 100):
        appender_batched.append_leaf_hashes(
            hasher.hash_leaf(entry) for entry in entries[first : first + 100]
        )
    batched = time.perf_counter() - started

    result = {
        "entries": count,
        "encode_event_per_second": count / encode_seconds,
        "shoumi_appends_per_second": count / ours,
        "shoumi_encode_and_append_per_second": count / encode_and_append,
        "shoumi_batched_100_appends_per_second": count / batched,
    }
    try:
        from pymerkle import InmemoryTree
    except ImportError:
        return result
    tree = InmemoryTree(algorithm="sha256")
    started = time.perf_counter()
    for entry in entries:
        tree.append_entry(entry)
    peer = time.perf_counter() - started
    assert tree.get_root() == appender.root(), "pymerkle and shoumi roots differ"
    result["pymerkle_appends_per_second"] = count / peer
    result["ratio_shoumi_over_pymerkle"] = peer / ours
    return result


def bench_proofs(count: int) -> dict:
    hasher = get_hasher("sha256")
    store = MemoryHashStore()
    appender = TreeAppender.open(store, hasher, 0)
    appender.append_leaf_hashes(hasher.hash_leaf(entry) for entry in canonical_events(count))
    rng = random.Random(6962)
    indexes = [rng.randrange(count) for _ in range(PROOF_SAMPLES)]
    size_pairs = [tuple(sorted(rng.sample(range(1, count + 1), 2))) for _ in range(PROOF_SAMPLES)]

    started = time.perf_counter()
    for index in indexes:
        inclusion_proof(store, hasher, index, count)
    inclusion_ms = (time.perf_counter() - started) / PROOF_SAMPLES * 1000

    started = time.perf_counter()
    for size1, size2 in size_pairs:
        consistency_proof(store, hasher, size1, size2)
    consistency_ms = (time.perf_counter() - started) / PROOF_SAMPLES * 1000

    result = {
        "leaves": count,
        "samples": PROOF_SAMPLES,
        "shoumi_inclusion_ms": inclusion_ms,
        "shoumi_consistency_ms": consistency_ms,
    }
    try:
        from pymerkle import InmemoryTree
    except ImportError:
        return result
    tree = InmemoryTree(algorithm="sha256")
    for entry in canonical_events(count):
        tree.append_entry(entry)
    assert tree.get_root() == appender.root(), "pymerkle and shoumi roots differ"
    peer_samples = PROOF_SAMPLES // 10
    started = time.perf_counter()
    for index in indexes[:peer_samples]:
        tree.prove_inclusion(index + 1, count)
    peer_inclusion_ms = (time.perf_counter() - started) / peer_samples * 1000
    started = time.perf_counter()
    for size1, size2 in size_pairs[:peer_samples]:
        tree.prove_consistency(size1, size2)
    peer_consistency_ms = (time.perf_counter() - started) / peer_samples * 1000
    result.update(
        {
            "pymerkle_samples": peer_samples,
            "pymerkle_inclusion_ms": peer_inclusion_ms,
            "pymerkle_consistency_ms": peer_consistency_ms,
            "ratio_inclusion_pymerkle_over_shoumi": peer_inclusion_ms / inclusion_ms,
            "ratio_consistency_pymerkle_over_shoumi": peer_consistency_ms / consistency_ms,
        }
    )
    return result


def _write_log(path: Path, count: int, hash_name: str, signer: CheckpointSigner) -> list[str]:
    """Write lines ``<leaf hash hex> <leaf tag hex> <event>``; return the checkpoints."""
    hasher = get_hasher(hash_name)
    tag_leaf = signer.leaf_tagger(hash_name).tag
    state = CompactRange(hasher)
    notes = []
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    with path.open("wb") as handle:
        for encoded in canonical_events(count):
            leaf_hash = hasher.hash_leaf(encoded)
            state.append(leaf_hash)
            leaf_tag = tag_leaf(leaf_hash)
            handle.write(
                b"%s %s %s\n" % (leaf_hash.hex().encode(), leaf_tag.hex().encode(), encoded)
            )
            if state.size % CHECKPOINT_EVERY == 0 or state.size == count:
                checkpoint = Checkpoint(ORIGIN, state.size, state.root(), now, hash_name)
                notes.append(signer.sign(checkpoint))
    return notes


def _read_log(path: Path) -> Iterator[StoredEvent]:
    with path.open("rb") as handle:
        for seq, line in enumerate(handle):
            leaf_hex, tag_hex, encoded = line.rstrip(b"\n").split(b" ", 2)
            yield StoredEvent(
                seq, encoded, bytes.fromhex(leaf_hex.decode()), bytes.fromhex(tag_hex.decode())
            )


def _read_lines_only(path: Path) -> int:
    lines = 0
    with path.open("rb") as handle:
        for line in handle:
            line.rstrip(b"\n").split(b" ", 2)
            lines += 1
    return lines


def bench_verify(count: int, hash_name: str, *, with_tags: bool = False) -> dict:
    OUT_DIR.mkdir(exist_ok=True)
    path = OUT_DIR / f"ledger-{hash_name}-{count}.log"
    signer = CheckpointSigner(ORIGIN, Ed25519PrivateKey.generate())
    notes = _write_log(path, count, hash_name, signer)
    tagger = signer.leaf_tagger(hash_name) if with_tags else None
    hasher = get_hasher(hash_name)

    started = time.perf_counter()
    _read_lines_only(path)
    read_seconds = time.perf_counter() - started

    started = time.perf_counter()
    started_cpu = time.process_time()
    with path.open("rb") as handle:
        for line in handle:
            hasher.hash_leaf(line.rstrip(b"\n").split(b" ", 2)[2])
    hash_only_seconds = time.perf_counter() - started
    hash_only_cpu_seconds = time.process_time() - started_cpu

    rss_before = _peak_rss_mb()
    started = time.perf_counter()
    started_cpu = time.process_time()
    report = verify_log(
        _read_log(path),
        notes,
        signer.verifier(),
        origin=ORIGIN,
        hash_name=hash_name,
        leaf_tagger=tagger,
    )
    verify_seconds = time.perf_counter() - started
    verify_cpu_seconds = time.process_time() - started_cpu
    assert report.is_valid, report.message
    assert report.tree_size == count
    path.unlink()
    return {
        "events": count,
        "hash": hash_name,
        "leaf_tags_checked": with_tags,
        "checkpoints": len(notes),
        "verify_seconds": verify_seconds,
        "verify_cpu_seconds": verify_cpu_seconds,
        "read_file_only_seconds": read_seconds,
        "read_and_leaf_hash_only_seconds": hash_only_seconds,
        "read_and_leaf_hash_only_cpu_seconds": hash_only_cpu_seconds,
        "ratio_verify_over_read_and_hash": verify_seconds / hash_only_seconds,
        "peak_rss_mb_before": rss_before,
        "peak_rss_mb_after": _peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="log size (events)")
    parser.add_argument(
        "--append-events", type=int, default=100_000, help="events in the append benchmark"
    )
    parser.add_argument("--repeat", type=int, default=3, help="verification runs per hash")
    arguments = parser.parse_args()
    _check_generator()

    results: dict = {
        "date": dt.date.today().isoformat(),
        "python": platform.python_version(),
        "machine": platform.processor() or platform.machine(),
    }
    results["verify"] = []
    for hash_name, with_tags in (("sha256", False), ("sm3", False), ("sha256", True)):
        runs = [
            bench_verify(arguments.events, hash_name, with_tags=with_tags)
            for _ in range(arguments.repeat)
        ]
        median_run = sorted(runs, key=lambda run: run["verify_seconds"])[len(runs) // 2]
        median_run["verify_seconds_all_runs"] = [run["verify_seconds"] for run in runs]
        median_run["verify_cpu_seconds_all_runs"] = [run["verify_cpu_seconds"] for run in runs]
        results["verify"].append(median_run)
        print(json.dumps(median_run, indent=2))
    results["proofs"] = bench_proofs(arguments.events)
    print(json.dumps(results["proofs"], indent=2))
    results["appends"] = bench_appends(arguments.append_events)
    print(json.dumps(results["appends"], indent=2))

    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "ledger.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
