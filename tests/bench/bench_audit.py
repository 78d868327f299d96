"""Benchmarks of the audit log on a real database: appends, verification, proofs.

Run from the repository root. It creates a fresh data directory and SQLite
database in a temporary folder (or uses ``--database-url``, which must name
an empty PostgreSQL database), migrates it and fills it with synthetic
events through ``shoumi.audit.services``:

    .venv/bin/python -m tests.bench.bench_audit [--events 1000000]

Measured, with the peer of each row in the same run:

- appends per second, one event per transaction and in batches, against
  inserting the same columns with ``executemany`` into a plain table
  (no encoding, hashing, tags or lock);
- verification of the whole log from the database (``verify_stored_log``),
  against the ledger's ``verify_log`` over the same rows already in memory
  and against only reading the rows;
- inclusion and consistency proofs from the subtree table, against the
  same proofs from an in-memory store of the same tree.

Times are CPU seconds of the process (``time.process_time``, every thread),
except the verification rows, which give wall time too: verification checks
the index columns in a second thread, so its target is wall time. Results are printed and written
to ``tests/bench/out/audit-<database>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUT_DIR = Path(__file__).parent / "out"
PROOF_SAMPLES = 2000
SINGLE_APPENDS = 2000
BATCH_SIZE = 1000
FILL_BATCH_SIZE = 5000


def _configure(database_url: str | None, reuse: Path | None) -> Path:
    data_dir = reuse or Path(tempfile.mkdtemp(prefix="shoumi-bench-audit-"))
    os.environ["SHOUMI_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shoumi.config.settings.test")
    os.environ["SHOUMI_LOG_LEVEL"] = "WARNING"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return data_dir


def _drafts(count: int, start: int = 0) -> list[Any]:
    from shoumi.audit import services

    return [
        services.event_draft(
            action=("reveal", "record_updated", "login_succeeded", "export")[number % 4],
            object_type="clients.person",
            object_id=f"0b6f4c2e-5d0b-4e0e-8f5c-{number:012d}",
            field="resident_id",
            purpose="办理工商年报",
            details={"resident_id_change": "320***********0418 → 330***********019X"},
        )
        for number in range(start, start + count)
    ]


def _timed(function: Callable[[], Any]) -> float:
    """Return the CPU seconds ``function`` took; wall time overstates it on a shared machine."""
    started = time.process_time()
    function()
    return time.process_time() - started


def bench_appends() -> dict[str, Any]:
    from django.db import connection

    from shoumi.audit import services

    singles = _drafts(SINGLE_APPENDS)
    single_seconds = _timed(lambda: [services.append_many([draft]) for draft in singles])

    batches = [_drafts(BATCH_SIZE, first) for first in range(0, 20 * BATCH_SIZE, BATCH_SIZE)]
    batched_seconds = _timed(lambda: [services.append_many(batch) for batch in batches])
    batched_events = sum(len(batch) for batch in batches)

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE plain_events (seq bigint, occurred_at text, actor_id bigint, "
            "actor_employee_number varchar(32), action varchar(48), object_type varchar(48), "
            "object_id varchar(64), result varchar(16), details text)"
        )
    rows = [
        (
            number,
            "2026-03-01 08:00:00",
            None,
            "",
            draft.action,
            draft.object_type,
            draft.object_id,
            draft.result,
            json.dumps(dict(draft.details), ensure_ascii=False),
        )
        for batch in batches
        for number, draft in enumerate(batch)
    ]

    def insert_plain() -> None:
        from django.db import transaction

        for first in range(0, len(rows), BATCH_SIZE):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO plain_events VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    rows[first : first + BATCH_SIZE],
                )

    plain_seconds = _timed(insert_plain)
    return {
        "single_appends": SINGLE_APPENDS,
        "single_appends_per_second": SINGLE_APPENDS / single_seconds,
        "batch_size": BATCH_SIZE,
        "batched_events": batched_events,
        "batched_appends_per_second": batched_events / batched_seconds,
        "peer_plain_inserts_per_second": len(rows) / plain_seconds,
        "ratio_plain_over_batched": (len(rows) / plain_seconds)
        / (batched_events / batched_seconds),
    }


def fill(total: int) -> dict[str, Any]:
    from shoumi.audit import services
    from shoumi.audit.head import current_head

    head = current_head()
    size = head.size if head is not None else 0
    started = time.perf_counter()
    added = 0
    while size < total:
        count = min(FILL_BATCH_SIZE, total - size)
        services.append_many(_drafts(count, size))
        size += count
        added += count
        if added % 100_000 < FILL_BATCH_SIZE:
            elapsed = time.perf_counter() - started
            print(f"  filled {size:,} events ({added / elapsed:,.0f}/s)", flush=True)
    seconds = time.perf_counter() - started
    return {
        "events": total,
        "fill_batch_size": FILL_BATCH_SIZE,
        "fill_appends_per_second": added / seconds if seconds else 0.0,
    }


def _wall_and_cpu(verify: Callable[[], Any]) -> tuple[float, float]:
    """Return wall and CPU seconds of one valid verification; CPU counts every thread."""
    cpu_started = time.process_time()
    started = time.perf_counter()
    outcome = verify()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert outcome.is_valid, outcome.message
    return round(wall, 2), round(cpu, 2)


def bench_verify(runs: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from shoumi.audit import keys
    from shoumi.audit.head import current_head
    from shoumi.audit.models import SignedCheckpoint
    from shoumi.audit.verification import verify_stored_log
    from shoumi.ledger import StoredEvent, verify_log

    ours = []
    for _ in range(runs):
        ours.append(_wall_and_cpu(lambda: verify_stored_log(record=False)))

    def read_rows() -> list[StoredEvent]:
        with connection.chunked_cursor() as cursor:
            cursor.execute(
                "SELECT seq, encoded, leaf_hash, leaf_tag FROM audit_auditevent ORDER BY seq"
            )
            events = []
            while rows := cursor.fetchmany(5000):
                events += [
                    StoredEvent(seq, bytes(encoded), bytes(leaf_hash), bytes(leaf_tag))
                    for seq, encoded, leaf_hash, leaf_tag in rows
                ]
            return events

    started = time.process_time()
    events = read_rows()
    read_seconds = time.process_time() - started
    head = current_head()
    assert head is not None
    notes = list(SignedCheckpoint.objects.order_by("size").values_list("note", flat=True))
    started = time.process_time()
    report = verify_log(
        events,
        notes,
        keys.log_verifier(),
        origin=keys.log_origin(),
        hash_name=head.hash_name,
        leaf_tagger=keys.log_leaf_tagger(head.hash_name),
    )
    memory_seconds = time.process_time() - started
    assert report.is_valid
    import shoumi.audit.verification as verification

    # Inside a transaction the index columns are checked in the verifying
    # thread, as before the check had a thread of its own.
    with transaction.atomic():
        one_thread = _wall_and_cpu(lambda: verify_stored_log(record=False))
    original = verification.index_mismatch, verification.first_column_mismatch
    verification.index_mismatch = lambda row, encoded: None  # type: ignore[assignment]
    verification.first_column_mismatch = lambda: None
    try:
        without_index = _wall_and_cpu(lambda: verify_stored_log(record=False))
    finally:
        verification.index_mismatch, verification.first_column_mismatch = original
    median_wall = statistics.median(wall for wall, _cpu in ours)
    median_cpu = statistics.median(cpu for _wall, cpu in ours)
    return {
        "events": len(events),
        "checkpoints": len(notes),
        "runs_wall_seconds": [round(wall, 2) for wall, _cpu in ours],
        "runs_cpu_seconds": [round(cpu, 2) for _wall, cpu in ours],
        "median_wall_seconds": median_wall,
        "median_cpu_seconds": median_cpu,
        "column_check_in_one_thread_wall_and_cpu_seconds": one_thread,
        "without_index_check_wall_and_cpu_seconds": without_index,
        "peer_read_rows_cpu_seconds": read_seconds,
        "peer_verify_log_in_memory_cpu_seconds": memory_seconds,
        "ratio_ours_wall_over_read_plus_memory": median_wall / (read_seconds + memory_seconds),
    }


def bench_proofs() -> dict[str, Any]:
    from shoumi.audit.head import current_head
    from shoumi.audit.models import AuditEvent
    from shoumi.audit.store import DatabaseHashStore
    from shoumi.ledger import (
        MemoryHashStore,
        TreeAppender,
        consistency_proof,
        get_hasher,
        inclusion_proof,
    )

    head = current_head()
    assert head is not None
    size = head.size
    hasher = get_hasher(head.hash_name)
    store = DatabaseHashStore()
    rng = random.Random(6962)
    indexes = [rng.randrange(size) for _ in range(PROOF_SAMPLES)]
    pairs = [tuple(sorted(rng.sample(range(1, size + 1), 2))) for _ in range(PROOF_SAMPLES)]

    inclusion = _timed(lambda: [inclusion_proof(store, hasher, i, size) for i in indexes])
    consistency = _timed(lambda: [consistency_proof(store, hasher, a, b) for a, b in pairs])

    memory = MemoryHashStore(hasher.digest_size)
    appender = TreeAppender.open(memory, hasher, 0)
    appender.append_leaf_hashes(
        bytes(leaf_hash)
        for leaf_hash in AuditEvent.objects.order_by("seq")
        .values_list("leaf_hash", flat=True)
        .iterator(chunk_size=10_000)
    )
    for index in indexes[:20]:
        assert inclusion_proof(memory, hasher, index, size) == inclusion_proof(
            store, hasher, index, size
        )
    memory_inclusion = _timed(lambda: [inclusion_proof(memory, hasher, i, size) for i in indexes])
    memory_consistency = _timed(lambda: [consistency_proof(memory, hasher, a, b) for a, b in pairs])
    from shoumi.accounts.models import User
    from shoumi.audit import selectors

    auditor = User(employee_number="BENCH-AUDITOR")
    auditor._role_set_cache = frozenset({"audit_admin"})  # type: ignore[attr-defined]
    overview = selectors.log_overview(user=auditor)
    pages = [
        list(AuditEvent.objects.filter(seq__gte=first).order_by("seq")[:50])
        for first in rng.sample(range(size - 50), 20)
    ]
    page_seconds = _timed(
        lambda: [
            selectors.proof_statuses(user=auditor, events=page, overview=overview) for page in pages
        ]
    )
    return {
        "leaves": size,
        "samples": PROOF_SAMPLES,
        "viewer_page_of_50_ms": page_seconds / len(pages) * 1000,
        "inclusion_ms": inclusion / PROOF_SAMPLES * 1000,
        "consistency_ms": consistency / PROOF_SAMPLES * 1000,
        "peer_memory_inclusion_ms": memory_inclusion / PROOF_SAMPLES * 1000,
        "peer_memory_consistency_ms": memory_consistency / PROOF_SAMPLES * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events",
        type=int,
        default=1_000_000,
        help="number of events to fill the log with and verify",
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="number of verification runs; the median is reported"
    )
    parser.add_argument(
        "--database-url", help="an empty PostgreSQL database to use instead of SQLite"
    )
    parser.add_argument(
        "--reuse",
        type=Path,
        metavar="DIR",
        help="data directory of an earlier run: skip the append rows and verify its log",
    )
    options = parser.parse_args(argv)

    data_dir = _configure(options.database_url, options.reuse)
    from django.db import connection

    print(f"database: {connection.vendor}, data directory {data_dir}", flush=True)
    results: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "database": connection.vendor,
    }
    if options.reuse is None:
        print("appends ...", flush=True)
        results["appends"] = bench_appends()
        print(json.dumps(results["appends"], indent=2), flush=True)
    print(f"filling to {options.events:,} events ...", flush=True)
    results["fill"] = fill(options.events)
    print("verification ...", flush=True)
    results["verify"] = bench_verify(options.runs)
    print(json.dumps(results["verify"], indent=2), flush=True)
    print("proofs ...", flush=True)
    results["proofs"] = bench_proofs()
    print(json.dumps(results["proofs"], indent=2), flush=True)
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    OUT_DIR.mkdir(exist_ok=True)
    out_file = OUT_DIR / f"audit-{connection.vendor}.json"
    out_file.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out_file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
