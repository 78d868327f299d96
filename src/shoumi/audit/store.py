"""The subtree hash table as the ledger's :class:`~shoumi.ledger.SubtreeHashStore`."""

from __future__ import annotations

from collections.abc import Sequence

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

    def __init__(self, using: str = "default") -> None:
        self.using = using

    def get_hashes(self, nodes: Sequence[Node]) -> list[bytes]:
        keys = [node_key(level, index) for level, index in nodes]
        if not keys:
            return []
        stored = dict(
            SubtreeHash.objects.using(self.using)
            .filter(node__in=set(keys))
            .values_list("node", "hash")
        )
        hashes = []
        for (level, index), key in zip(nodes, keys, strict=True):
            node_hash = stored.get(key)
            if node_hash is None:
                raise TreeStateError(f"subtree ({level}, {index}) is not stored")
            hashes.append(bytes(node_hash))
        return hashes

    def put_hashes(self, entries: Sequence[NodeHash]) -> None:
        SubtreeHash.objects.using(self.using).bulk_create(
            [
                SubtreeHash(node=node_key(level, index), hash=node_hash)
                for level, index, node_hash in entries
            ]
        )
