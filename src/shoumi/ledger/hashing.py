"""Merkle tree hashing with RFC 6962 / RFC 9162 domain separation.

A leaf hash is ``H(0x00 || entry)`` and an interior node hash is
``H(0x01 || left || right)`` (RFC 9162 section 2.1.1), so a leaf can never be
passed off as a node. The empty tree hashes to ``H()``.

Two algorithms are supported, chosen by name: ``sha256`` (the default, as in
Certificate Transparency) and ``sm3`` (GB/T 32905-2016) for deployments in
国密 mode. SM3 comes from OpenSSL through :mod:`hashlib` when the linked
OpenSSL provides it, otherwise from ``cryptography``'s ``hashes.SM3``. Both
give the same digests, which the test suite checks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Final

from cryptography.hazmat.primitives import hashes

from shoumi.ledger.errors import UnknownHashError

SHA256: Final = "sha256"
SM3: Final = "sm3"
HASH_NAMES: Final = (SHA256, SM3)

LEAF_PREFIX: Final = b"\x00"
NODE_PREFIX: Final = b"\x01"


_SM3_ALGORITHM: Final = hashes.SM3()


def _cryptography_sm3(data: bytes) -> bytes:
    digest = hashes.Hash(_SM3_ALGORITHM)
    digest.update(data)
    return digest.finalize()


TreeFunctions = tuple[
    Callable[[bytes], bytes], Callable[[bytes], bytes], Callable[[bytes, bytes], bytes]
]
"""``(digest, hash_leaf, hash_children)`` for one algorithm."""


def _sha256_functions() -> TreeFunctions:
    sha256 = hashlib.sha256

    def digest(data: bytes) -> bytes:
        return sha256(data).digest()

    def hash_leaf(entry: bytes) -> bytes:
        return sha256(LEAF_PREFIX + entry).digest()

    def hash_children(left: bytes, right: bytes) -> bytes:
        return sha256(NODE_PREFIX + left + right).digest()

    return digest, hash_leaf, hash_children


def _hashlib_sm3_functions() -> TreeFunctions:
    # Copying a state that has already absorbed the prefix saves a call and
    # a concatenation per hash.
    empty_state = hashlib.new(SM3)
    leaf_state = hashlib.new(SM3, LEAF_PREFIX)
    node_state = hashlib.new(SM3, NODE_PREFIX)

    def digest(data: bytes) -> bytes:
        state = empty_state.copy()
        state.update(data)
        return state.digest()

    def hash_leaf(entry: bytes) -> bytes:
        state = leaf_state.copy()
        state.update(entry)
        return state.digest()

    def hash_children(left: bytes, right: bytes) -> bytes:
        state = node_state.copy()
        state.update(left + right)
        return state.digest()

    return digest, hash_leaf, hash_children


def _cryptography_sm3_functions() -> TreeFunctions:
    def hash_leaf(entry: bytes) -> bytes:
        return _cryptography_sm3(LEAF_PREFIX + entry)

    def hash_children(left: bytes, right: bytes) -> bytes:
        return _cryptography_sm3(NODE_PREFIX + left + right)

    return _cryptography_sm3, hash_leaf, hash_children


def _tree_functions(name: str, *, use_hashlib: bool = True) -> TreeFunctions:
    if name == SHA256:
        return _sha256_functions()
    if name == SM3:
        if use_hashlib and SM3 in hashlib.algorithms_available:
            return _hashlib_sm3_functions()
        return _cryptography_sm3_functions()
    raise UnknownHashError(
        f"unknown hash algorithm {name!r}; expected one of {', '.join(HASH_NAMES)}"
    )


class TreeHasher:
    """Leaf, node and empty-tree hashing for one algorithm.

    ``hash_leaf(entry)`` returns ``H(0x00 || entry)`` and
    ``hash_children(left, right)`` returns ``H(0x01 || left || right)``.
    They are function attributes, not methods, because the verifier calls
    them millions of times and one call frame fewer per hash is a measurable
    share of its run time. ``use_hashlib=False`` makes SM3 come from
    ``cryptography`` even where :mod:`hashlib` has it, so tests can compare
    the two. Use :func:`get_hasher` for the shared instances.
    """

    __slots__ = ("digest", "digest_size", "hash_children", "hash_leaf", "name")

    def __init__(self, name: str, *, use_hashlib: bool = True) -> None:
        digest, hash_leaf, hash_children = _tree_functions(name, use_hashlib=use_hashlib)
        self.name = name
        self.digest = digest
        self.digest_size = len(digest(b""))
        self.hash_leaf = hash_leaf
        self.hash_children = hash_children

    def __repr__(self) -> str:
        return f"TreeHasher({self.name!r})"

    def empty_root(self) -> bytes:
        """Return the root hash of the tree with no leaves, ``H()``."""
        return self.digest(b"")


_HASHERS: Final = {name: TreeHasher(name) for name in HASH_NAMES}


def get_hasher(name: str = SHA256) -> TreeHasher:
    """Return the shared :class:`TreeHasher` for ``name`` (``sha256`` or ``sm3``).

    Raises:
        UnknownHashError: ``name`` is not a supported algorithm.
    """
    try:
        return _HASHERS[name]
    except KeyError:
        raise UnknownHashError(
            f"unknown hash algorithm {name!r}; expected one of {', '.join(HASH_NAMES)}"
        ) from None
