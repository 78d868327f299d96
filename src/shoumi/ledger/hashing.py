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


def _hashlib_function(name: str) -> Callable[[bytes], bytes]:
    prototype = hashlib.new(name)

    def digest(data: bytes) -> bytes:
        state = prototype.copy()
        state.update(data)
        return state.digest()

    return digest


def _digest_function(name: str) -> Callable[[bytes], bytes]:
    if name == SHA256:
        sha256 = hashlib.sha256

        def sha256_digest(data: bytes) -> bytes:
            return sha256(data).digest()

        return sha256_digest
    if name == SM3:
        if SM3 in hashlib.algorithms_available:
            return _hashlib_function(SM3)
        return _cryptography_sm3
    raise UnknownHashError(
        f"unknown hash algorithm {name!r}; expected one of {', '.join(HASH_NAMES)}"
    )


class TreeHasher:
    """Leaf, node and empty-tree hashing for one algorithm.

    Instances are immutable and cheap to share. Use :func:`get_hasher` to get
    one by name. The three functions are attributes, not methods, because
    the verifier calls them millions of times and one call frame fewer per
    hash is a measurable share of its run time.
    """

    __slots__ = ("digest", "digest_size", "hash_children", "hash_leaf", "name")

    def __init__(self, name: str) -> None:
        digest = _digest_function(name)
        sha256 = hashlib.sha256

        def hash_leaf(entry: bytes) -> bytes:
            """Return the leaf hash ``H(0x00 || entry)``."""
            return digest(LEAF_PREFIX + entry)

        def hash_children(left: bytes, right: bytes) -> bytes:
            """Return the interior node hash ``H(0x01 || left || right)``."""
            return digest(NODE_PREFIX + left + right)

        def sha256_leaf(entry: bytes) -> bytes:
            """Return the leaf hash ``SHA-256(0x00 || entry)``."""
            return sha256(LEAF_PREFIX + entry).digest()

        def sha256_children(left: bytes, right: bytes) -> bytes:
            """Return the interior node hash ``SHA-256(0x01 || left || right)``."""
            return sha256(NODE_PREFIX + left + right).digest()

        if name == SHA256:
            hash_leaf, hash_children = sha256_leaf, sha256_children

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
