"""Suite-wide options and fixtures.

``--database-pass`` is the second run against PostgreSQL (``make test`` with
SHOUMI_TEST_POSTGRES_URL): it keeps only the tests that touch a database.
With SHOUMI_REQUIRE_BROWSER=1 or SHOUMI_REQUIRE_POSTGRES=1 (set by .ci/run),
a missing Chromium or PostgreSQL fails the run instead of skipping tests.
The audit tables are insert-only; ``tests/audit/flush.py`` explains how the
test database still lets Django's flush empty them between tests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.audit import flush as audit_flush

PURE_PACKAGES = ("identifiers", "crypto", "ledger", "scanner", "bench")
TESTS_DIR = Path(__file__).resolve().parent

audit_flush.install()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-pass",
        action="store_true",
        help="run only the tests that use a database (the PostgreSQL pass of make test)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--database-pass"):
        return
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise pytest.UsageError("--database-pass needs DATABASE_URL pointing at PostgreSQL.")
    kept, dropped = [], []
    for item in items:
        relative = Path(str(item.fspath)).resolve().relative_to(TESTS_DIR)
        if relative.parts and relative.parts[0] in PURE_PACKAGES:
            dropped.append(item)
        else:
            kept.append(item)
    config.hook.pytest_deselected(items=dropped)
    items[:] = kept


def require_or_skip(variable: str, reason: str) -> None:
    """Skip the test, or fail it when the CI environment variable demands the component."""
    if os.environ.get(variable) == "1":
        pytest.fail(f"{reason} ({variable}=1 demands it)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_vault_keys() -> object:
    """Forget cached vault keys after each test, since the test's database rows are rolled back."""
    yield
    from shoumi.vault.runtime import reset_vault

    reset_vault()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Create the test databases, with audit guards that let Django's test flush through."""
    from django.db import connections

    from shoumi.audit.guards import create_guards

    with django_db_blocker.unblock():
        for connection in connections.all():
            create_guards(connection, allow_test_flush=True)
