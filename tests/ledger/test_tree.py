"""Tree, store and proof generation against the recursive RFC 9162 definitions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoumi.ledger.errors import InvalidProofError, TreeStateError
from shoumi.ledger.hashing import get_hasher
from shoumi.ledger.proofs import verify_consistency, verify_inclusion
from shoumi.ledger.tree import (
    CompactRange,
    MemoryHashStore,
    TreeAppender,
    consistency_proof,
    inclusion_proof,
    load_compact_range,
    range_nodes,
    root_hash,
)
from tests.ledger import reference

MAX_SIZE = 70
HASH_NAMES = st.sampled_from(["sha256", "sm3"])


def _entries(count: int) -> list[bytes]:
    return [f"entry-{i}".encode() for i in range(count)]


def _built_store(hash_name: str, count: int) -> MemoryHashStore:
    hasher = get_hasher(hash_name)
    store = MemoryHashStore(hasher.digest_size)
    appender = TreeAppender.open(store, hasher, 0)
    for entry in _entries(count):
        appender.append(entry)
    return store


@pytest.fixture(scope="module", params=["sha256", "sm3"])
def built(request):
    return request.param, _built_store(request.param, MAX_SIZE)


def _flip_one_bit(proof: list[bytes], position: int, bit: int) -> list[bytes]:
    changed = list(proof)
    target = changed[position]
    changed[position] = (
        target[: bit // 8] + bytes([target[bit // 8] ^ (1 << bit % 8)]) + target[bit // 8 + 1 :]
    )
    return changed


@given(size=st.integers(0, MAX_SIZE))
def test_root_equals_reference_for_every_size(built, size: int) -> None:
    hash_name, store = built
    hasher = get_hasher(hash_name)

    assert root_hash(store, hasher, size) == reference.merkle_tree_hash(hasher, _entries(size))


@given(data=st.data())
def test_inclusion_proof_equals_reference_and_verifies(built, data) -> None:
    hash_name, store = built
    hasher = get_hasher(hash_name)
    size = data.draw(st.integers(1, MAX_SIZE))
    index = data.draw(st.integers(0, size - 1))
    entries = _entries(size)

    proof = inclusion_proof(store, hasher, index, size)

    assert proof == reference.path(hasher, index, entries)
    verify_inclusion(
        hasher, index, size, hasher.hash_leaf(entries[index]), proof, root_hash(store, hasher, size)
    )


@given(data=st.data())
def test_inclusion_proof_fails_when_any_hash_changes(built, data) -> None:
    hash_name, store = built
    hasher = get_hasher(hash_name)
    size = data.draw(st.integers(2, MAX_SIZE))
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(store, hasher, index, size)
    position = data.draw(st.integers(0, len(proof) - 1))
    bit = data.draw(st.integers(0, hasher.digest_size * 8 - 1))
    leaf_hash = hasher.hash_leaf(_entries(size)[index])
    root = root_hash(store, hasher, size)

    with pytest.raises(InvalidProofError):
        verify_inclusion(hasher, index, size, leaf_hash, _flip_one_bit(proof, position, bit), root)
    with pytest.raises(InvalidProofError):
        verify_inclusion(hasher, index, size, leaf_hash, proof, _flip_one_bit([root], 0, bit)[0])
    with pytest.raises(InvalidProofError):
        verify_inclusion(hasher, index, size, _flip_one_bit([leaf_hash], 0, bit)[0], proof, root)


@given(data=st.data())
def test_consistency_proof_equals_reference_and_verifies(built, data) -> None:
    hash_name, store = built
    hasher = get_hasher(hash_name)
    size2 = data.draw(st.integers(0, MAX_SIZE))
    size1 = data.draw(st.integers(0, size2))

    proof = consistency_proof(store, hasher, size1, size2)

    assert proof == reference.consistency(hasher, size1, _entries(size2))
    verify_consistency(
        hasher,
        size1,
        size2,
        proof,
        root_hash(store, hasher, size1),
        root_hash(store, hasher, size2),
    )


@given(data=st.data())
def test_consistency_proof_fails_when_any_hash_changes(built, data) -> None:
    hash_name, store = built
    hasher = get_hasher(hash_name)
    size2 = data.draw(st.integers(2, MAX_SIZE))
    size1 = data.draw(st.integers(1, size2 - 1))
    proof = consistency_proof(store, hasher, size1, size2)
    position = data.draw(st.integers(0, len(proof) - 1))
    bit = data.draw(st.integers(0, hasher.digest_size * 8 - 1))
    root1 = root_hash(store, hasher, size1)
    root2 = root_hash(store, hasher, size2)

    with pytest.raises(InvalidProofError):
        verify_consistency(hasher, size1, size2, _flip_one_bit(proof, position, bit), root1, root2)
    with pytest.raises(InvalidProofError):
        verify_consistency(hasher, size1, size2, proof, _flip_one_bit([root1], 0, bit)[0], root2)
    with pytest.raises(InvalidProofError):
        verify_consistency(hasher, size1, size2, proof, root1, _flip_one_bit([root2], 0, bit)[0])


@settings(max_examples=50)
@given(hash_name=HASH_NAMES, batches=st.lists(st.integers(0, 9), max_size=8))
def test_batched_appends_equal_single_appends(hash_name: str, batches: list[int]) -> None:
    hasher = get_hasher(hash_name)
    store = MemoryHashStore(hasher.digest_size)
    appender = TreeAppender.open(store, hasher, 0)
    entries = _entries(sum(batches))
    position = 0

    for batch in batches:
        first = appender.append_leaf_hashes(
            hasher.hash_leaf(entry) for entry in entries[position : position + batch]
        )
        assert first == position
        position += batch

    assert appender.size == len(entries)
    assert appender.root() == reference.merkle_tree_hash(hasher, entries)
    assert store.leaf_count() == len(entries)


def test_reopened_appender_continues_tree() -> None:
    hasher = get_hasher("sha256")
    store = _built_store("sha256", 13)

    appender = TreeAppender.open(store, hasher, 13)
    for entry in _entries(20)[13:]:
        appender.append(entry)

    assert appender.root() == reference.merkle_tree_hash(hasher, _entries(20))


def test_store_rejects_overwrite_with_other_hash() -> None:
    store = MemoryHashStore()
    store.put_hashes([(0, 0, b"a" * 32)])

    store.put_hashes([(0, 0, b"a" * 32)])
    with pytest.raises(TreeStateError):
        store.put_hashes([(0, 0, b"b" * 32)])


def test_store_rejects_gap_and_wrong_length() -> None:
    store = MemoryHashStore()

    with pytest.raises(TreeStateError):
        store.put_hashes([(0, 1, b"a" * 32)])
    with pytest.raises(TreeStateError):
        store.put_hashes([(0, 0, b"a" * 31)])


def test_missing_subtree_raises() -> None:
    store = _built_store("sha256", 4)

    with pytest.raises(TreeStateError):
        root_hash(store, get_hasher("sha256"), 5)
    with pytest.raises(TreeStateError):
        inclusion_proof(store, get_hasher("sha256"), 4, 4)


def test_failed_store_write_keeps_appender_state() -> None:
    hasher = get_hasher("sha256")

    class FailingStore(MemoryHashStore):
        def put_hashes(self, entries):
            raise TreeStateError("write failed")

    appender = TreeAppender(FailingStore(), CompactRange(hasher))

    with pytest.raises(TreeStateError):
        appender.append(b"x")
    assert appender.size == 0
    assert appender.root() == hasher.empty_root()


def test_compact_range_rejects_wrong_hash_count() -> None:
    with pytest.raises(TreeStateError):
        CompactRange(get_hasher("sha256"), 3, [b"a" * 32])


@pytest.mark.parametrize(
    ("begin", "end", "nodes"),
    [
        (0, 0, []),
        (0, 7, [(2, 0), (1, 2), (0, 6)]),
        (4, 7, [(1, 2), (0, 6)]),
        (8, 16, [(3, 1)]),
        (3, 9, [(0, 3), (2, 1), (0, 8)]),
    ],
)
def test_range_nodes_decomposition(begin: int, end: int, nodes: list[tuple[int, int]]) -> None:
    assert range_nodes(begin, end) == nodes


def test_loaded_compact_range_matches_appender() -> None:
    hasher = get_hasher("sha256")
    store = _built_store("sha256", 11)

    loaded = load_compact_range(store, hasher, 11)

    assert loaded.size == 11
    assert loaded.root() == reference.merkle_tree_hash(hasher, _entries(11))
