"""Exceptions of the staff app."""

from __future__ import annotations

from shoumi.errors import ShoumiError


class ScanReportRejected(ShoumiError):
    """An uploaded scan report was not stored.

    ``code`` names the rule it broke (``not_json``, ``wrong_format``, ``plaintext_found``,
    ...) and the message, in the user's language, says what to fix. Neither contains a
    value from the report.
    """

    code = "scan_report_rejected"
