"""Benchmark the documents app: upload, marked copy, thumbnail and sealing cost.

Builds a throwaway SQLite database in a temporary data directory and measures
each service against the imaging-engine call it wraps, in the same run, so the
ratio shows what policy, audit, sealing and storage add:

* ``document_upload`` against ``sanitize`` alone, for an A4 page scanned at
  300 dpi (PNG) and a card photo (JPEG);
* ``copy_issue`` (view) against ``mark_document`` alone, on the card;
* ``thumbnail_issue`` against ``make_thumbnail`` alone, on the card;
* sealing 5 MiB with SM4-GCM against AES-256-GCM.

Run: ``.venv/bin/python -m tests.bench.bench_documents [--repeat N]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date

from tests.bench.bench_vault import _setup_django


def _median_ms(function: Callable[[], object], repeat: int) -> float:
    """Return the median CPU time of ``function`` in ms, which other load on the machine
    affects much less than wall time."""
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        function()
        samples.append((time.process_time() - start) * 1000)
    return statistics.median(samples)


def _row(label: str, service_ms: float, engine_ms: float) -> str:
    return f"| {label} | {service_ms:.0f} | {engine_ms:.0f} | {service_ms / engine_ms:.2f}x |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    arguments = parser.parse_args()
    _setup_django(tempfile.mkdtemp(prefix="shoumi-bench-documents-"))

    from shoumi import crypto
    from shoumi.accounts.roles import Role
    from shoumi.documents import services
    from shoumi.documents.imaging import (
        TraceCode,
        VisibleMark,
        make_thumbnail,
        mark_document,
        sanitize,
    )
    from shoumi.documents.models import CopyChannel
    from shoumi.documents.services.common import open_scan
    from tests.accounts.factories import DepartmentFactory, UserFactory
    from tests.clients.factories import make_client
    from tests.documents.helpers import encode, synthetic_scan
    from tests.staff.factories import pass_gates

    department = DepartmentFactory(name="基准部")
    clerk = UserFactory(roles=[Role.CLERK], department=department)
    reviewer = pass_gates(UserFactory(roles=[Role.REVIEWER], department=department))
    client = make_client(department=department)
    a4_page = encode(synthetic_scan(2480, 3508, seed=1), "PNG")
    card = encode(synthetic_scan(1712, 1080, seed=2), "JPEG", quality=92)
    print(f"A4 PNG {len(a4_page) / 1e6:.1f} MB, card JPEG {len(card) / 1e6:.2f} MB")
    repeat = arguments.repeat

    def upload(content: bytes) -> object:
        return services.document_upload(
            actor=clerk, client=client, document_type="id_card_front", content=content
        )

    document = upload(card)
    card_clean = open_scan(document)  # type: ignore[arg-type]
    mark = VisibleMark("办理税务登记", "基准接收方", date(2026, 12, 4), TraceCode.generate())
    recipient = services.Recipient.for_vendor("基准接收方")

    rows = [
        _row(
            "upload, A4 page 2480×3508 PNG",
            _median_ms(lambda: upload(a4_page), repeat),
            _median_ms(lambda: sanitize(a4_page), repeat),
        ),
        _row(
            "upload, card photo 1712×1080 JPEG",
            _median_ms(lambda: upload(card), repeat),
            _median_ms(lambda: sanitize(card), repeat),
        ),
        _row(
            "marked copy (view), card",
            _median_ms(
                lambda: services.copy_issue(
                    actor=reviewer,
                    document=document,  # type: ignore[arg-type]
                    channel=CopyChannel.VIEW,
                    purpose="办理税务登记",
                    recipient=recipient,
                ),
                repeat,
            ),
            _median_ms(lambda: mark_document(card_clean, mark), repeat),
        ),
        _row(
            "thumbnail, card",
            _median_ms(
                lambda: services.thumbnail_issue(actor=reviewer, document=document),  # type: ignore[arg-type]
                repeat,
            ),
            _median_ms(lambda: make_thumbnail(card_clean, mark), repeat),
        ),
    ]

    payload = os.urandom(5 * 1024 * 1024)
    context = crypto.RecordContext("bench.document", "1")
    key = crypto.DataKey("dk-bench", context, os.urandom(32))
    sm4_ms = _median_ms(lambda: key.seal("scan", payload, suite="sm4-gcm"), repeat)
    aes_ms = _median_ms(lambda: key.seal("scan", payload, suite="aes-256-gcm"), repeat)
    rows.append(
        f"| seal 5 MiB: SM4-GCM vs AES-256-GCM | {sm4_ms:.0f} | {aes_ms:.0f} | "
        f"{sm4_ms / aes_ms:.2f}x |"
    )

    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, repeat {repeat}")
    print("| operation | service CPU ms (median) | peer CPU ms (median) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
