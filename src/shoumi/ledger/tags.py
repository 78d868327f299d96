"""Keyed tags on leaf hashes, which locate an edit whose stored hashes were rewritten.

Someone with write access to the database can edit an event and store the
new leaf hash, and then only a signed checkpoint reveals the change, to
within the events between two checkpoints. A leaf tag, ``HMAC(key, leaf
hash)`` stored with each event, cannot be recomputed without the key, so the
verifier names the edited event exactly.

The tag key is derived with HKDF (RFC 5869) over the log's hash algorithm
from the checkpoint signing material: the HMAC-SM3 key for an SM3 log that
has one (国密 mode), otherwise the Ed25519 private key. The derived key is
never stored, so tags can be checked only where the key files are, for
example by the verify command on the server. An attacker who can read the
key files can forge tags, and then only a checkpoint kept outside the
system helps.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shoumi.ledger.hashing import SHA256, SM3, get_hasher

TAG_KEY_INFO: Final = b"shoumi ledger leaf tag v1"
TAG_KEY_SIZE: Final = 32


def derive_tag_key(secret: bytes, hash_name: str) -> bytes:
    """Return the leaf tag key derived from ``secret`` with HKDF over ``hash_name``."""
    algorithm = hashes.SM3() if hash_name == SM3 else hashes.SHA256()
    return HKDF(algorithm=algorithm, length=TAG_KEY_SIZE, salt=None, info=TAG_KEY_INFO).derive(
        secret
    )


def _hashlib_constructor(hash_name: str) -> Callable[..., Any] | None:
    if hash_name == SHA256:
        return hashlib.sha256
    if SM3 in hashlib.algorithms_available:
        return functools.partial(hashlib.new, SM3)
    return None


def _tag_function(key: bytes, hash_name: str) -> Callable[[bytes], bytes]:
    constructor = _hashlib_constructor(hash_name)
    if constructor is None:
        # This OpenSSL build lacks SM3 in hashlib, so cryptography's HMAC is used.
        def tag_with_cryptography(leaf_hash: bytes) -> bytes:
            tag = crypto_hmac.HMAC(key, hashes.SM3())
            tag.update(leaf_hash)
            return tag.finalize()

        return tag_with_cryptography

    # HMAC (RFC 2104) with the keyed inner and outer states computed once.
    # hmac.digest sets up a new OpenSSL HMAC context per call, which costs
    # about three times as much for a 32-byte message. The key is shorter
    # than the 64-byte block of SHA-256 and SM3, so it is only zero-padded.
    padded_key = key.ljust(constructor().block_size, b"\x00")
    inner_state = constructor(bytes(byte ^ 0x36 for byte in padded_key))
    outer_state = constructor(bytes(byte ^ 0x5C for byte in padded_key))

    def tag(leaf_hash: bytes) -> bytes:
        inner = inner_state.copy()
        inner.update(leaf_hash)
        outer = outer_state.copy()
        outer.update(inner.digest())
        digest: bytes = outer.digest()
        return digest

    return tag


class LeafTagger:
    """Computes leaf tags: HMAC-SHA256, or HMAC-SM3 for a log hashed with SM3.

    ``tag(leaf_hash)`` returns ``HMAC(key, leaf_hash)``. It is a function
    attribute for the same speed reason as :class:`~shoumi.ledger.hashing.TreeHasher`'s functions.
    """

    __slots__ = ("hash_name", "tag")

    def __init__(self, key: bytes, hash_name: str = SHA256) -> None:
        get_hasher(hash_name)
        if len(key) != TAG_KEY_SIZE:
            raise ValueError(f"leaf tag key must be {TAG_KEY_SIZE} bytes, got {len(key)}")
        self.hash_name = hash_name
        self.tag = _tag_function(key, hash_name)

    def __repr__(self) -> str:
        return f"LeafTagger(hash_name={self.hash_name!r})"
