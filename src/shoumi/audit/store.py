"""The subtree hash table as the ledger's :class:`~shoumi.ledger.SubtreeHashStore`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connections

from shoumi.audit.models import SubtreeHash, node_key
from shoumi.ledger import TreeStateError

Node = tuple[int, int]
NodeHash = tuple[int, int, bytes]


class DatabaseHashStore:
    """Reads and inserts perfect-subtree hashes in the current transaction.

    Inserting a node twice raises ``IntegrityError`` even when the hash is
    the same. The appender never does that, and a second writer that does
    has lost track of the log.
    """

    def __init__(self, using: str = "default", cursor: Any = None) -> None:
        """``cursor``, when given, is an open cursor of ``using`` that every query runs through."""
        self.using = using
        self.cursor = cursor

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        if self.cursor is not None:
            yield self.cursor
        else:
            with connections[self.using].cursor() as cursor:
                yield cursor

    def get_hashes(self, nodes: Sequence[Node]) -> list[bytes]:
        keys = [node_key(level, index) for level, index in nodes]
        if not keys:
            return []
        # Raw SQL because a proof is one such query, and building it through
        # the ORM took longer than running it.
        unique_keys = list(set(keys))
        placeholders = ", ".join(["%s"] * len(unique_keys))
        with self._cursor() as cursor:
            cursor.execute(
                f"SELECT node, hash FROM {SubtreeHash._meta.db_table} "  # noqa: S608
                f"WHERE node IN ({placeholders})",
                unique_keys,
            )
            stored = dict(cursor.fetchall())
        hashes = []
        for (level, index), key in zip(nodes, keys, strict=True):
            node_hash = stored.get(key)
            if node_hash is None:
                raise TreeStateError(f"subtree ({level}, {index}) is not stored")
            hashes.append(bytes(node_hash))
        return hashes

    def put_hashes(self, entries: Sequence[NodeHash]) -> None:
        # executemany rather than bulk_create: building a model instance per
        # row made the ORM most of the cost of a batched append.
        table = SubtreeHash._meta.db_table
        with self._cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (node, hash) VALUES (%s, %s)",  # noqa: S608
                [(node_key(level, index), node_hash) for level, index, node_hash in entries],
            )
