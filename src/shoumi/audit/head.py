"""The log head: the lock that serialises appends, and the log's hash algorithm.

Every write to the tree (append, checkpoint, archive) starts by locking the
head row inside a transaction. On PostgreSQL that is ``SELECT ... FOR
UPDATE``, which makes concurrent writers queue until the holder's
transaction ends. Django ignores ``select_for_update`` on SQLite, where the
settings' ``transaction_mode: IMMEDIATE`` takes the database write lock at
``BEGIN`` and so admits one writing transaction at a time.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Max

from shoumi.audit.models import ArchivedSegment, AuditEvent, LogHead
from shoumi.ledger import CompactRange, TreeHasher
from shoumi.ledger.hashing import SHA256, SM3

logger = structlog.get_logger(__name__)


def configured_hash_name() -> str:
    """Return the hash algorithm a new log uses: SM3 in 国密 mode, else SHA-256."""
    return SM3 if settings.GUOMI_MODE else SHA256


def _stored_size() -> int:
    """Return the number of events the tables hold, live or archived."""
    live_end = AuditEvent.objects.aggregate(end=Max("seq"))["end"]
    archived_end = ArchivedSegment.objects.aggregate(end=Max("end_seq"))["end"]
    candidates = [0]
    if live_end is not None:
        candidates.append(live_end + 1)
    if archived_end is not None:
        candidates.append(archived_end)
    return max(candidates)


def _select_head(connection: Any, cursor: Any) -> LogHead | None:
    """Read and lock the head row with a plain cursor, or return None when there is none.

    Raw SQL and no raw queryset, because every append runs this, and
    building the query (or the raw queryset's model) through the ORM cost
    more than running it. The values pass through the same converters as
    in a queryset (on SQLite, the time is text until converted).
    """
    query, attnames, time_index = _head_query(connection.features.has_select_for_update)
    cursor.execute(query, [LogHead.SINGLETON_ID])
    row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    converters = _time_converters.get(connection.vendor)
    if converters is None:
        column = LogHead._meta.get_field("last_checkpoint_at").get_col(LogHead._meta.db_table)
        converters = [(converter, column) for converter in connection.ops.get_db_converters(column)]
        _time_converters[connection.vendor] = converters
    for converter, column in converters:
        values[time_index] = converter(values[time_index], column, connection)
    return LogHead.from_db(connection.alias, attnames, values)


@functools.cache
def _head_query(lock: bool) -> tuple[str, list[str], int]:
    """Return the head's SELECT, its fields' attribute names and the position of the time."""
    fields = LogHead._meta.concrete_fields
    query = (
        f"SELECT {', '.join(str(field.column) for field in fields)} "  # noqa: S608
        f"FROM {LogHead._meta.db_table} WHERE id = %s{' FOR UPDATE' if lock else ''}"
    )
    attnames = [field.attname for field in fields]
    return query, attnames, attnames.index("last_checkpoint_at")


# Database vendor -> the converters of the head's time column, with the column they take.
_time_converters: dict[str, list[tuple[Any, Any]]] = {}


def locked_head(cursor: Any = None) -> LogHead:
    """Return the head row, locked until the current transaction ends.

    Must run inside ``transaction.atomic()``. A missing head row (a new
    database, or one whose tables a test flushed) is created with the size
    the event tables show. ``cursor`` is a cursor of the default database
    for the caller that has one open (an append runs all its statements
    through one).
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("locked_head() must run inside transaction.atomic()")
    if cursor is None:
        with connection.cursor() as own_cursor:
            head = _select_head(connection, own_cursor)
    else:
        head = _select_head(connection, cursor)
    if head is None:
        LogHead.objects.bulk_create(
            [
                LogHead(
                    pk=LogHead.SINGLETON_ID,
                    size=_stored_size(),
                    hash_name=configured_hash_name(),
                )
            ],
            ignore_conflicts=True,
        )
        head = LogHead.objects.select_for_update().get(pk=LogHead.SINGLETON_ID)
    if head.size == 0 and head.hash_name != configured_hash_name():
        # An empty log has no algorithm yet, so it takes the configured one.
        head.hash_name = configured_hash_name()
        head.save(update_fields=["hash_name"])
    return head


def current_head() -> LogHead | None:
    """Return the head row without locking it, or None before the first event."""
    return LogHead.objects.filter(pk=LogHead.SINGLETON_ID).first()


# Domain label of the digest that a kept compact range's tag covers.
_RANGE_LABEL = b"shoumi.audit.compact-range.v1\x00"


def _range_tag(
    tag: Callable[[bytes], bytes], hasher: TreeHasher, size: int, hashes: bytes
) -> bytes:
    return tag(hasher.digest(_RANGE_LABEL + size.to_bytes(8, "big") + hashes))


def kept_compact_range(
    head: LogHead, hasher: TreeHasher, tag: Callable[[bytes], bytes]
) -> CompactRange | None:
    """Return the compact range kept in the head row, or None when it cannot be used.

    The row contains the range's hashes followed by a tag, the log's leaf-tag HMAC over the
    size and the hashes. The head row has no insert-only trigger, so the tag is what stops
    an edited range from entering the tree: an append would write subtree hashes from it,
    which the insert-only subtree table then keeps. ``tag`` is the log's leaf-tag function.
    A head written before the range was kept has none, and neither has a head created
    from the event tables. The caller then reads the range from the subtree table.
    """
    size = head.size
    stored = head.compact_range
    if head.compact_range_size != size or not isinstance(stored, bytes | bytearray | memoryview):
        return None
    stored = bytes(stored)
    digest_size = hasher.digest_size
    hashes_length = size.bit_count() * digest_size
    if len(stored) <= hashes_length:
        return None
    hashes, stored_tag = stored[:hashes_length], stored[hashes_length:]
    if not hmac.compare_digest(stored_tag, _range_tag(tag, hasher, size, hashes)):
        logger.warning("audit_kept_range_rejected", size=size)
        return None
    return CompactRange(
        hasher,
        size,
        [hashes[start : start + digest_size] for start in range(0, hashes_length, digest_size)],
    )


def keep_compact_range(
    head: LogHead, compact_range: CompactRange, tag: Callable[[bytes], bytes]
) -> None:
    """Set the head's kept compact range and its tag; :func:`save_head` writes them."""
    hashes = b"".join(compact_range.hashes)
    head.compact_range_size = compact_range.size
    head.compact_range = hashes + _range_tag(tag, compact_range.hasher, compact_range.size, hashes)


def save_head(head: LogHead, cursor: Any = None) -> None:
    """Write the locked head's size, checkpoint fields and compact range back, with one raw UPDATE.

    ``cursor`` is as for :func:`locked_head`.
    """
    connection = transaction.get_connection()
    if cursor is None:
        with connection.cursor() as own_cursor:
            save_head(head, own_cursor)
        return
    cursor.execute(
        f"UPDATE {LogHead._meta.db_table} SET size = %s, last_checkpoint_size = %s, "  # noqa: S608
        "last_checkpoint_at = %s, compact_range_size = %s, compact_range = %s WHERE id = %s",
        [
            head.size,
            head.last_checkpoint_size,
            connection.ops.adapt_datetimefield_value(head.last_checkpoint_at),
            head.compact_range_size,
            bytes(head.compact_range),
            head.pk,
        ],
    )
