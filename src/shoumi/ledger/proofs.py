"""Verification of inclusion and consistency proofs (RFC 9162 sections 2.1.3.2 and 2.1.4.2).

Both checks raise :class:`InvalidProofError` instead of returning ``False``.
The error message names the sizes and index, never a hash.
"""

from __future__ import annotations

from collections.abc import Sequence

from shoumi.ledger.errors import InvalidProofError
from shoumi.ledger.hashing import TreeHasher


def _check_hash_sizes(hasher: TreeHasher, proof: Sequence[bytes], *hashes: bytes) -> None:
    for value in (*proof, *hashes):
        if len(value) != hasher.digest_size:
            raise InvalidProofError(
                f"proof contains a {len(value)}-byte hash, expected {hasher.digest_size} bytes"
            )


def root_from_inclusion_proof(
    hasher: TreeHasher, index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """Return the root hash implied by an inclusion proof of leaf ``index`` in ``size`` leaves.

    Raises:
        InvalidProofError: the index is outside the tree or the proof has the
            wrong length or hash sizes.
    """
    if not 0 <= index < size:
        raise InvalidProofError(f"leaf index {index} is not in a tree of size {size}")
    _check_hash_sizes(hasher, proof, leaf_hash)

    node_index = index
    last_index = size - 1
    root = leaf_hash
    for sibling in proof:
        if last_index == 0:
            raise InvalidProofError(f"inclusion proof for index {index} in size {size} is too long")
        if node_index & 1 or node_index == last_index:
            root = hasher.hash_children(sibling, root)
            while not node_index & 1 and node_index != 0:
                node_index >>= 1
                last_index >>= 1
        else:
            root = hasher.hash_children(root, sibling)
        node_index >>= 1
        last_index >>= 1
    if last_index != 0:
        raise InvalidProofError(f"inclusion proof for index {index} in size {size} is too short")
    return root


def verify_inclusion(
    hasher: TreeHasher,
    index: int,
    size: int,
    leaf_hash: bytes,
    proof: Sequence[bytes],
    root: bytes,
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the ``size``-leaf tree with ``root``.

    Raises:
        InvalidProofError: the proof does not lead to ``root``.
    """
    _check_hash_sizes(hasher, (), root)
    if root_from_inclusion_proof(hasher, index, size, leaf_hash, proof) != root:
        raise InvalidProofError(
            f"inclusion proof for index {index} in size {size} does not match the root hash"
        )


def verify_consistency(
    hasher: TreeHasher,
    size1: int,
    size2: int,
    proof: Sequence[bytes],
    root1: bytes,
    root2: bytes,
) -> None:
    """Check that the ``size1`` tree (``root1``) is a prefix of the ``size2`` tree (``root2``).

    A proof from size 0 is empty and proves nothing about ``root1``; a proof
    between equal sizes is empty and requires equal roots.

    Raises:
        InvalidProofError: the proof is malformed or does not lead to both roots.
    """
    if not 0 <= size1 <= size2:
        raise InvalidProofError(f"no consistency proof from size {size1} to size {size2}")
    if size1 == size2:
        if proof or root1 != root2:
            raise InvalidProofError(f"trees of equal size {size1} must have equal roots")
        return
    if size1 == 0:
        if proof:
            raise InvalidProofError("a consistency proof from the empty tree must be empty")
        return
    if not proof:
        raise InvalidProofError(f"consistency proof from size {size1} to {size2} is empty")
    _check_hash_sizes(hasher, proof, root1, root2)

    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    node_index = size1 - 1
    last_index = size2 - 1
    while node_index & 1:
        node_index >>= 1
        last_index >>= 1

    old_root = new_root = path[0]
    for node_hash in path[1:]:
        if last_index == 0:
            raise InvalidProofError(f"consistency proof from size {size1} to {size2} is too long")
        if node_index & 1 or node_index == last_index:
            old_root = hasher.hash_children(node_hash, old_root)
            new_root = hasher.hash_children(node_hash, new_root)
            while not node_index & 1 and node_index != 0:
                node_index >>= 1
                last_index >>= 1
        else:
            new_root = hasher.hash_children(new_root, node_hash)
        node_index >>= 1
        last_index >>= 1

    if last_index != 0 or old_root != root1 or new_root != root2:
        raise InvalidProofError(
            f"consistency proof from size {size1} to {size2} does not match the root hashes"
        )
