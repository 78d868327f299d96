"""Scan reports made by the real scanner over synthetic files, for the upload tests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from shoumi.scanner import ScanOptions, build_report, scan_paths
from tests.scanner.helpers import bank_card, resident_id

STARTED_AT = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
FINISHED_AT = dt.datetime(2026, 11, 30, 9, 2, tzinfo=dt.UTC)


def scanned_report(folder: Path) -> dict:
    """Scan a leaver's folder with two identifiers and an unreadable file; return the report."""
    (folder / "客户名单.txt").write_text(
        f"张三 身份证 {resident_id()}\n李四 卡号 {bank_card()}\n", encoding="utf-8"
    )
    (folder / "garbled.txt").write_bytes(bytes([0x81, 0x20, 0xFF, 0xFE, 0x80]) * 10)
    results = list(scan_paths([str(folder)], ScanOptions()))
    return build_report(results, started_at=STARTED_AT, finished_at=FINISHED_AT)


def encode(report: dict) -> bytes:
    """Serialise ``report`` as ``shoumi scan --format json`` does."""
    return (json.dumps(report, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
