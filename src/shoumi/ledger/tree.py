"""Append-only Merkle tree over a subtree hash store, with proof generation.

Node addressing. A node ``(level, index)`` is the root of the perfect subtree
over leaves ``[index * 2**level, (index + 1) * 2**level)``, and level 0 contains
the leaf hashes. Only perfect (complete) subtrees are ever stored, so a stored
hash never changes once written, and a tree of ``n`` leaves stores fewer than
``2 * n`` hashes.

Storage protocol. :class:`SubtreeHashStore` is the interface the audit app
backs with a database table keyed by ``(level, index)``; :class:`MemoryHashStore`
is the in-memory implementation. Every root and proof for any tree size up to
the stored size is computed from ``O(log n)`` stored hashes fetched in one
``get_hashes`` call.

Appending. :class:`TreeAppender` keeps the compact range (the "frontier"):
the roots of the perfect subtrees that make up ``[0, size)``, one per set bit
of ``size``. Appending a leaf costs ``O(log n)`` hash computations in the
worst case and two on average, and writes the leaf hash plus every subtree
that the leaf completes.

Proof shapes follow RFC 9162 section 2.1.3.1 (inclusion) and 2.1.4.1
(consistency).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from shoumi.ledger.errors import TreeStateError
from shoumi.ledger.hashing import TreeHasher

Node = tuple[int, int]
"""A subtree address ``(level, index)``."""

NodeHash = tuple[int, int, bytes]
"""A stored subtree hash ``(level, index, hash)``."""


class SubtreeHashStore(Protocol):
    """Storage of perfect-subtree hashes keyed by ``(level, index)``.

    Implementations must be append-only: a key, once written, keeps its hash.
    Writing the same key again with the same hash may be ignored; writing it
    with a different hash must raise.
    """

    def get_hashes(self, nodes: Sequence[Node]) -> list[bytes]:
        """Return the hashes of ``nodes`` in the same order.

        Raises:
            TreeStateError: a node has not been stored.
        """
        ...

    def put_hashes(self, entries: Sequence[NodeHash]) -> None:
        """Store ``(level, index, hash)`` entries."""
        ...


class MemoryHashStore:
    """In-memory :class:`SubtreeHashStore`, one contiguous buffer per level.

    Each level must be filled in index order, which is what
    :class:`TreeAppender` does. A tree of 1,000,000 SHA-256 leaves takes
    about 64 MB.
    """

    def __init__(self, digest_size: int = 32) -> None:
        self._digest_size = digest_size
        self._levels: list[bytearray] = []

    def leaf_count(self) -> int:
        """Return how many leaf hashes (level 0) are stored."""
        if not self._levels:
            return 0
        return len(self._levels[0]) // self._digest_size

    def get_hashes(self, nodes: Sequence[Node]) -> list[bytes]:
        size = self._digest_size
        hashes = []
        for level, index in nodes:
            start = index * size
            if level >= len(self._levels) or index < 0 or start + size > len(self._levels[level]):
                raise TreeStateError(f"subtree ({level}, {index}) is not stored")
            hashes.append(bytes(self._levels[level][start : start + size]))
        return hashes

    def put_hashes(self, entries: Sequence[NodeHash]) -> None:
        size = self._digest_size
        for level, index, node_hash in entries:
            if len(node_hash) != size:
                raise TreeStateError(
                    f"hash for subtree ({level}, {index}) has {len(node_hash)} bytes, "
                    f"expected {size}"
                )
            while len(self._levels) <= level:
                self._levels.append(bytearray())
            buffer = self._levels[level]
            stored_count = len(buffer) // size
            if index == stored_count:
                buffer += node_hash
            elif index < stored_count:
                if buffer[index * size : (index + 1) * size] != node_hash:
                    raise TreeStateError(f"subtree ({level}, {index}) is already stored")
            else:
                raise TreeStateError(
                    f"subtree ({level}, {index}) written before ({level}, {stored_count})"
                )


def compact_range_nodes(size: int) -> list[Node]:
    """Return the perfect subtrees that make up ``[0, size)``, largest first."""
    return range_nodes(0, size)


def range_nodes(begin: int, end: int) -> list[Node]:
    """Return the aligned perfect subtrees covering ``[begin, end)``, left to right.

    Each step takes the largest subtree that starts at ``begin`` (it must be
    aligned to its own size) and ends at or before ``end``.
    """
    if begin < 0 or end < begin:
        raise TreeStateError(f"invalid leaf range [{begin}, {end})")
    nodes = []
    while begin < end:
        level = (end - begin).bit_length() - 1
        if begin:
            level = min(level, (begin & -begin).bit_length() - 1)
        nodes.append((level, begin >> level))
        begin += 1 << level
    return nodes


def fold_right(hasher: TreeHasher, hashes: Sequence[bytes]) -> bytes:
    """Combine subtree hashes, listed left to right and largest first, into one root.

    For the subtrees of ``[0, size)`` or of any range an RFC 9162 proof uses,
    this is the RFC 9162 Merkle tree hash of that range.
    """
    if not hashes:
        return hasher.empty_root()
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = hasher.hash_children(left, root)
    return root


class CompactRange:
    """The compact range of ``[0, size)``: enough state to append and to compute the root.

    ``hashes`` lists the perfect subtree roots of ``compact_range_nodes(size)``,
    largest first.
    """

    __slots__ = ("_hash_children", "hasher", "hashes", "size")

    def __init__(self, hasher: TreeHasher, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        self.hasher = hasher
        self.size = size
        self.hashes = list(hashes)
        self._hash_children = hasher.hash_children
        if size < 0 or len(self.hashes) != size.bit_count():
            raise TreeStateError(
                f"a compact range of size {size} needs {max(size, 0).bit_count()} hashes, "
                f"got {len(self.hashes)}"
            )
        for node_hash in self.hashes:
            if len(node_hash) != hasher.digest_size:
                raise TreeStateError(
                    f"compact range hash has {len(node_hash)} bytes, expected {hasher.digest_size}"
                )

    def copy(self) -> CompactRange:
        """Return an independent copy."""
        return CompactRange(self.hasher, self.size, self.hashes)

    def append(self, leaf_hash: bytes, completed: list[NodeHash] | None = None) -> None:
        """Append one leaf hash.

        When ``completed`` is given, the leaf and every subtree the leaf
        completes are added to it as ``(level, index, hash)``.
        """
        index = self.size
        node_hash = leaf_hash
        level = 0
        if completed is not None:
            completed.append((0, index, leaf_hash))
        hashes = self.hashes
        while index & 1:
            node_hash = self._hash_children(hashes.pop(), node_hash)
            level += 1
            index >>= 1
            if completed is not None:
                completed.append((level, index, node_hash))
        hashes.append(node_hash)
        self.size += 1

    def root(self) -> bytes:
        """Return the RFC 9162 root hash of ``[0, size)``."""
        return fold_right(self.hasher, self.hashes)


def load_compact_range(store: SubtreeHashStore, hasher: TreeHasher, size: int) -> CompactRange:
    """Read the compact range of ``[0, size)`` from ``store``."""
    return CompactRange(hasher, size, store.get_hashes(compact_range_nodes(size)))


def root_hash(store: SubtreeHashStore, hasher: TreeHasher, size: int) -> bytes:
    """Return the root hash of the first ``size`` leaves in ``store``."""
    return load_compact_range(store, hasher, size).root()


class TreeAppender:
    """Append leaves to a tree kept in a :class:`SubtreeHashStore`.

    The appender is not thread-safe: appends to one log must be serialised
    (the audit app does this with a database lock), and every appender of a
    log must start from the size the store has.
    """

    def __init__(self, store: SubtreeHashStore, state: CompactRange) -> None:
        self.store = store
        self._state = state

    @classmethod
    def open(cls, store: SubtreeHashStore, hasher: TreeHasher, size: int) -> TreeAppender:
        """Return an appender that continues the ``size``-leaf tree in ``store``."""
        return cls(store, load_compact_range(store, hasher, size))

    @property
    def hasher(self) -> TreeHasher:
        return self._state.hasher

    @property
    def size(self) -> int:
        return self._state.size

    def compact_range(self) -> CompactRange:
        """Return a copy of the current compact range."""
        return self._state.copy()

    def root(self) -> bytes:
        """Return the current root hash."""
        return self._state.root()

    def append(self, entry: bytes) -> int:
        """Hash ``entry`` as a leaf, append it and return its leaf index."""
        return self.append_leaf_hashes([self._state.hasher.hash_leaf(entry)])

    def append_leaf_hashes(self, leaf_hashes: Iterable[bytes]) -> int:
        """Append precomputed leaf hashes in one store write; return the first new index.

        The in-memory state advances only after the store accepted the write,
        so a failed write leaves the appender where it was.
        """
        state = self._state.copy()
        first_index = state.size
        completed: list[NodeHash] = []
        for leaf_hash in leaf_hashes:
            if len(leaf_hash) != state.hasher.digest_size:
                raise TreeStateError(
                    f"leaf hash has {len(leaf_hash)} bytes, expected {state.hasher.digest_size}"
                )
            state.append(leaf_hash, completed)
        self.store.put_hashes(completed)
        self._state = state
        return first_index


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose hashes form the inclusion proof, bottom-up.

    This is RFC 9162 PATH(index, D[0:size]) with each element named by the
    range ``[begin, end)`` whose Merkle tree hash it is.
    """
    if not 0 <= index < size:
        raise TreeStateError(f"leaf index {index} is not in a tree of size {size}")
    siblings = []
    begin, end = 0, size
    while end - begin > 1:
        split = begin + _largest_power_of_two_below(end - begin)
        if index < split:
            siblings.append((split, end))
            end = split
        else:
            siblings.append((begin, split))
            begin = split
    siblings.reverse()
    return siblings


def consistency_proof_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose hashes form the consistency proof, in proof order.

    This is RFC 9162 PROOF(size1, D[0:size2]). The proof is empty when
    ``size1`` is 0 or equals ``size2``.
    """
    if not 0 <= size1 <= size2:
        raise TreeStateError(f"no consistency proof from size {size1} to size {size2}")
    if size1 in (0, size2):
        return []
    ranges = []
    begin, end, old_size = 0, size2, size1
    is_known_subtree = True
    while True:
        if old_size == end - begin:
            if not is_known_subtree:
                ranges.append((begin, end))
            break
        split = _largest_power_of_two_below(end - begin)
        if old_size <= split:
            ranges.append((begin + split, end))
            end = begin + split
        else:
            ranges.append((begin, begin + split))
            begin += split
            old_size -= split
            is_known_subtree = False
    ranges.reverse()
    return ranges


def _range_hashes(
    store: SubtreeHashStore, hasher: TreeHasher, ranges: Sequence[tuple[int, int]]
) -> list[bytes]:
    node_lists = [range_nodes(begin, end) for begin, end in ranges]
    stored = store.get_hashes([node for nodes in node_lists for node in nodes])
    hashes = []
    offset = 0
    for nodes in node_lists:
        hashes.append(fold_right(hasher, stored[offset : offset + len(nodes)]))
        offset += len(nodes)
    return hashes


def inclusion_proof(
    store: SubtreeHashStore, hasher: TreeHasher, index: int, size: int
) -> list[bytes]:
    """Return the RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves.

    Raises:
        TreeStateError: ``index`` is outside the tree, or the store lacks a
            subtree hash the proof needs.
    """
    return _range_hashes(store, hasher, inclusion_proof_ranges(index, size))


def consistency_proof(
    store: SubtreeHashStore, hasher: TreeHasher, size1: int, size2: int
) -> list[bytes]:
    """Return the RFC 9162 consistency proof from tree size ``size1`` to ``size2``.

    Raises:
        TreeStateError: the sizes are not ``0 <= size1 <= size2``, or the
            store lacks a subtree hash the proof needs.
    """
    return _range_hashes(store, hasher, consistency_proof_ranges(size1, size2))
