"""Let Django's test flush empty the insert-only audit tables, and nothing else.

Transactional tests (``transactional_db``, ``live_server``) end with
Django's ``flush``, which empties every table with DELETE on SQLite and
TRUNCATE on PostgreSQL. The audit guards reject both. The test database
therefore gets the guards with the test flush exception
(``create_guards(..., allow_test_flush=True)``), and the exception is
switched on only while ``DatabaseOperations.execute_sql_flush`` runs:

- SQLite: every connection gets the SQL function ``shoumi_audit_test_flush()``,
  which returns 1 only during a flush.
- PostgreSQL: the flush runs with the session setting
  ``shoumi.audit_test_flush = on``.

Any other DELETE, UPDATE or TRUNCATE in a test still meets the guards.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.backends.signals import connection_created

from shoumi.audit.guards import TEST_FLUSH_FUNCTION, TEST_FLUSH_SETTING

_flushing = threading.Event()
_original_execute_sql_flush = BaseDatabaseOperations.execute_sql_flush


def _is_flushing() -> int:
    return 1 if _flushing.is_set() else 0


def register_flush_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Give a new SQLite connection the function the test guards call."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(TEST_FLUSH_FUNCTION, 0, _is_flushing)


@contextlib.contextmanager
def flush_allowed(connection: Any) -> Iterator[None]:
    """Switch the test flush exception on for ``connection`` while the block runs."""
    _flushing.set()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET {TEST_FLUSH_SETTING} = 'on'")
    try:
        yield
    finally:
        _flushing.clear()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"RESET {TEST_FLUSH_SETTING}")


def _execute_sql_flush(self: BaseDatabaseOperations, sql_list: list[str]) -> None:
    with flush_allowed(self.connection):
        _original_execute_sql_flush(self, sql_list)


def install() -> None:
    """Hook the flush exception into new connections and into Django's flush."""
    connection_created.connect(register_flush_function, dispatch_uid="shoumi_audit_test_flush")
    BaseDatabaseOperations.execute_sql_flush = _execute_sql_flush  # type: ignore[method-assign]
