"""Time a 100,000-row ledger import on SQLite, against the per-record services.

Run from the repository root: ``.venv/bin/python -m tests.bench.bench_import``.

The script makes a fresh SQLite database in a temporary data directory (the
test settings profile, WAL mode as in production) and generates synthetic rows
with ``SyntheticData``. It imports them as CSV through ``ledger_import`` and
times the check phase and the write phase from the progress callbacks. It
also times reading the same rows from an .xlsx, and, as the peer, creating
``--peer-rows`` rows one by one through ``client_create``, ``person_save``
and ``bank_account_save`` (one audit event per record, ``pending_review`` as
in the import), the path a form takes. Wall times depend on the other load
on the machine, so CPU times are printed beside them: this process's own and
that of the worker processes the write phase forks
(``SHOUMI_IMPORT_WORKERS``), counted once the import has ended them. Peak
memory is the maximum resident set size of this process and of the largest
worker, which shares the pages it has not changed with this process.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time


def _set_up_django(data_dir: str) -> None:
    os.environ["SHOUMI_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "shoumi.config.settings.test"
    os.environ["SHOUMI_IMPORT_MAX_ROWS"] = "2000000"
    os.environ["SHOUMI_IMPORT_MAX_MB"] = "1024"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _rows(count: int, seed: int) -> list:
    from shoumi.clients.demo import demo_rows
    from shoumi.clients.synthetic import SyntheticData

    return demo_rows(count, SyntheticData(seed=seed))


def _xlsx(rows: list) -> bytes:
    import io

    import openpyxl

    from shoumi.clients.demo import CLEAN_LEDGER_HEADERS

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(CLEAN_LEDGER_HEADERS))
    for row in rows:
        sheet.append(list(row.cells()))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--peer-rows", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20261204)
    arguments = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="shoumi-bench-import-") as data_dir:
        _set_up_django(data_dir)
        from django.db import transaction

        from shoumi.clients import services
        from shoumi.clients.demo import clean_ledger_csv
        from shoumi.clients.imports.columns import ImportField
        from shoumi.clients.imports.readers import read_sheet
        from shoumi.clients.imports.rows import infer_account_kind
        from shoumi.clients.imports.services import ImportOptions, ledger_import
        from shoumi.clients.models import Client

        started = time.perf_counter()
        rows = _rows(arguments.rows + arguments.peer_rows, arguments.seed)
        ledger_rows, peer_rows = rows[: arguments.rows], rows[arguments.rows :]
        data = clean_ledger_csv(ledger_rows)
        workbook = _xlsx(ledger_rows)
        print(
            f"generated {len(rows)} rows in {time.perf_counter() - started:.1f} s "
            f"(CSV {len(data) / 1e6:.1f} MB, XLSX {len(workbook) / 1e6:.1f} MB)"
        )

        marks: dict[str, float] = {}
        cpu_marks: dict[str, float] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if done == total:
                marks[phase] = time.perf_counter()
                cpu_marks[phase] = time.process_time()

        from django.conf import settings

        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        cpu_started = time.process_time()
        children_started = _children_cpu_seconds()
        result = ledger_import(
            actor=None, data=data, suffix=".csv", options=ImportOptions(), progress=progress
        )
        finished = time.perf_counter()
        own_cpu_seconds = time.process_time() - cpu_started
        worker_cpu_seconds = _children_cpu_seconds() - children_started
        cpu_seconds = own_cpu_seconds + worker_cpu_seconds
        if not result.is_written:
            print("import failed:", result.error or result.report.problem_rows[:3])
            return 1
        check_seconds = marks["validating"] - started
        write_seconds = marks["writing"] - marks["validating"]
        total_seconds = finished - started
        print(
            f"ledger_import CSV: {result.total_rows} rows, {result.created_clients} clients, "
            f"{result.created_people} people, {result.created_accounts} accounts"
        )
        print(
            f"  wall: read + check {check_seconds:.1f} s, write {write_seconds:.1f} s, "
            f"total {total_seconds:.1f} s, {result.total_rows / total_seconds:,.0f} rows/s"
        )
        print(
            f"  CPU time of this process: read + check "
            f"{cpu_marks['validating'] - cpu_started:.1f} s, write "
            f"{cpu_marks['writing'] - cpu_marks['validating']:.1f} s, total "
            f"{own_cpu_seconds:.1f} s"
        )
        print(
            f"  CPU time of {settings.IMPORT_WORKERS} worker processes (write): "
            f"{worker_cpu_seconds:.1f} s; import total {cpu_seconds:.1f} s"
        )
        print(f"  load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f}")

        started = time.perf_counter()
        cpu_started = time.process_time()
        sheet = read_sheet(workbook, ".xlsx")
        xlsx_seconds = time.perf_counter() - started
        print(
            f"read_sheet XLSX: {len(sheet.rows)} rows in {xlsx_seconds:.1f} s "
            f"(CPU {time.process_time() - cpu_started:.1f} s)"
        )

        started = time.perf_counter()
        cpu_started = time.process_time()
        with transaction.atomic():
            for row in peer_rows:
                client = services.client_create(
                    actor=None,
                    name=row.name,
                    uscc=row.uscc,
                    registered_address=row.address,
                    pending_review=True,
                )
                services.person_save(
                    actor=None,
                    client=client,
                    name=row.legal_rep,
                    resident_id=row.resident_id,
                    mobile=row.mobile,
                    pending_review=True,
                )
                kind = infer_account_kind(ImportField.ACCOUNT_NUMBER, row.account)
                services.bank_account_save(
                    actor=None,
                    client=client,
                    bank_name=row.bank,
                    account_kind=kind,
                    account_number=row.account,
                    pending_review=True,
                )
        peer_seconds = time.perf_counter() - started
        peer_cpu_seconds = time.process_time() - cpu_started
        peer_rate = len(peer_rows) / peer_seconds
        import_rate = result.total_rows / total_seconds
        peer_cpu_rate = len(peer_rows) / peer_cpu_seconds
        import_cpu_rate = result.total_rows / cpu_seconds
        print(
            f"peer, per-record services: {len(peer_rows)} rows in {peer_seconds:.1f} s "
            f"(CPU {peer_cpu_seconds:.1f} s), {peer_rate:,.0f} rows/s; ledger_import is "
            f"{import_rate / peer_rate:.1f}x faster by wall time, "
            f"{import_cpu_rate / peer_cpu_rate:.1f}x by CPU time"
        )
        assert Client.objects.count() == result.created_clients + len(peer_rows)

        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        worker_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"peak resident memory {peak_mb:,.0f} MB, largest worker process "
            f"{worker_peak_mb:,.0f} MB; Python {platform.python_version()}, "
            f"{platform.machine()}, {os.cpu_count()} CPUs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
