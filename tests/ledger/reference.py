"""Direct, slow transcription of the RFC 9162 section 2.1 definitions, for tests.

MTH, PATH and PROOF are written recursively exactly as the RFC states them, so
the fast implementations in ``shoumi.ledger.tree`` can be compared against
them for any size.
"""

from __future__ import annotations

from collections.abc import Sequence

from shoumi.ledger.hashing import TreeHasher


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def merkle_tree_hash(hasher: TreeHasher, entries: Sequence[bytes]) -> bytes:
    n = len(entries)
    if n == 0:
        return hasher.empty_root()
    if n == 1:
        return hasher.hash_leaf(entries[0])
    k = _split(n)
    return hasher.hash_children(
        merkle_tree_hash(hasher, entries[:k]), merkle_tree_hash(hasher, entries[k:])
    )


def path(hasher: TreeHasher, index: int, entries: Sequence[bytes]) -> list[bytes]:
    n = len(entries)
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*path(hasher, index, entries[:k]), merkle_tree_hash(hasher, entries[k:])]
    return [*path(hasher, index - k, entries[k:]), merkle_tree_hash(hasher, entries[:k])]


def _subproof(hasher: TreeHasher, m: int, entries: Sequence[bytes], is_known: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if is_known else [merkle_tree_hash(hasher, entries)]
    k = _split(n)
    if m <= k:
        return [*_subproof(hasher, m, entries[:k], is_known), merkle_tree_hash(hasher, entries[k:])]
    return [
        *_subproof(hasher, m - k, entries[k:], False),
        merkle_tree_hash(hasher, entries[:k]),
    ]


def consistency(hasher: TreeHasher, m: int, entries: Sequence[bytes]) -> list[bytes]:
    if m in (0, len(entries)):
        return []
    return _subproof(hasher, m, entries, True)
