"""Fixtures shared by the scanner tests."""

import pytest

from shoumi.scanner import scan as scan_module


@pytest.fixture
def job_per_file(monkeypatch):
    """Make each small file a job of its own, so that a scan of a few files with workers
    runs them in the pool: a scan of one job runs without workers."""
    monkeypatch.setattr(scan_module, "BATCH_FILES", 1)
