from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes

from shoumi.ledger import hashing
from shoumi.ledger.errors import UnknownHashError
from shoumi.ledger.hashing import get_hasher


def test_sm3_matches_gbt32905_vector() -> None:
    # Known-answer value for SM3("abc").
    assert get_hasher("sm3").digest(b"abc").hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )


def test_sm3_backends_agree() -> None:
    data = b"\x01" + bytes(range(64))
    reference = hashes.Hash(hashes.SM3())
    reference.update(data)

    assert hashing._cryptography_sm3(data) == reference.finalize()
    assert get_hasher("sm3").digest(data) == hashing._cryptography_sm3(data)


def test_sm3_tree_functions_agree_across_backends() -> None:
    fast = get_hasher("sm3")
    fallback = hashing.TreeHasher("sm3", use_hashlib=False)
    left, right = fast.hash_leaf(b"left"), fast.hash_leaf(b"right")

    assert fallback.hash_leaf(b"left") == left
    assert fallback.hash_children(left, right) == fast.hash_children(left, right)
    assert fallback.empty_root() == fast.empty_root()
    assert fast.hash_leaf(b"left") == hashing._cryptography_sm3(b"\x00left")
    assert fast.hash_children(left, right) == hashing._cryptography_sm3(b"\x01" + left + right)


def test_leaf_and_node_prefixes_differ() -> None:
    hasher = get_hasher("sm3")
    left, right = hasher.hash_leaf(b"a"), hasher.hash_leaf(b"b")

    assert hasher.hash_children(left, right) != hasher.hash_leaf(left + right)
    assert hasher.hash_children(left, right) != hasher.hash_children(right, left)


def test_unknown_hash_name_raises() -> None:
    with pytest.raises(UnknownHashError) as raised:
        get_hasher("md5")

    assert raised.value.code == "ledger_unknown_hash"
    assert "sha256" in raised.value.message
