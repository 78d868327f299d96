"""Find plaintext personal data (Chinese identifiers) in files: library API of ``shoumi scan``.

Typical use::

    from shoumi.scanner import ScanOptions, scan_paths

    for result in scan_paths(["/srv/share"], ScanOptions(workers=2)):
        for finding in result.findings:
            print(finding.path, finding.location, finding.kind.label, finding.masked)

Findings carry masked values only, and paths are masked too (see ``names``). The
scanner imports nothing from Django.
"""

from shoumi.scanner.kinds import Confidence, Kind
from shoumi.scanner.model import (
    FileResult,
    FileStatus,
    Finding,
    FindingTable,
    Location,
    ScanOptions,
)
from shoumi.scanner.report import build_report
from shoumi.scanner.scan import scan_paths
from shoumi.scanner.text import scan_segments

__all__ = [
    "Confidence",
    "FileResult",
    "FileStatus",
    "Finding",
    "FindingTable",
    "Kind",
    "Location",
    "ScanOptions",
    "build_report",
    "scan_paths",
    "scan_segments",
]
