"""Published RFC 6962 test vectors for tree heads, inclusion and consistency proofs.

Source of every vector in this module (transcribed, not computed here):

- transparency-dev/merkle, ``proof/verify_test.go`` at commit
  02194e9afb6c1d95b5381350007963aa70fff472: the 8 leaves, the roots of the
  trees of sizes 1 to 8, and the inclusion and consistency proofs (the Go file
  numbers leaves from 1; the table below uses 0-based indexes).
- transparency-dev/merkle, ``rfc6962/rfc6962_test.go`` at commit
  78493b07ef9b552e3379abf9e23d4da26fbe797c: empty tree, empty leaf, leaf and
  node hashes.
"""

from __future__ import annotations

import pytest

from shoumi.ledger.errors import InvalidProofError
from shoumi.ledger.hashing import get_hasher
from shoumi.ledger.proofs import (
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from shoumi.ledger.tree import (
    MemoryHashStore,
    TreeAppender,
    consistency_proof,
    inclusion_proof,
    root_hash,
)

SHA256 = get_hasher("sha256")

LEAVES = [
    b"",
    bytes.fromhex("00"),
    bytes.fromhex("10"),
    bytes.fromhex("2021"),
    bytes.fromhex("3031"),
    bytes.fromhex("40414243"),
    bytes.fromhex("5051525354555657"),
    bytes.fromhex("606162636465666768696a6b6c6d6e6f"),
]

ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

# (0-based leaf index, tree size, proof)
INCLUSION_PROOFS = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

# (size1, size2, proof)
CONSISTENCY_PROOFS = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]


def _hashes(hex_strings: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in hex_strings]


@pytest.fixture(scope="module")
def store() -> MemoryHashStore:
    store = MemoryHashStore()
    appender = TreeAppender.open(store, SHA256, 0)
    for leaf in LEAVES:
        appender.append(leaf)
    return store


def test_hasher_matches_rfc6962_vectors() -> None:
    assert SHA256.empty_root().hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert SHA256.hash_leaf(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert SHA256.hash_leaf(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert SHA256.hash_children(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


@pytest.mark.parametrize("size", range(1, 9))
def test_root_matches_vector(store: MemoryHashStore, size: int) -> None:
    assert root_hash(store, SHA256, size).hex() == ROOTS[size - 1]


def test_root_of_empty_tree_is_hash_of_nothing(store: MemoryHashStore) -> None:
    assert root_hash(store, SHA256, 0) == SHA256.empty_root()


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS)
def test_inclusion_proof_matches_vector(
    store: MemoryHashStore, index: int, size: int, proof: list[str]
) -> None:
    assert inclusion_proof(store, SHA256, index, size) == _hashes(proof)


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS)
def test_inclusion_vector_verifies(index: int, size: int, proof: list[str]) -> None:
    leaf_hash = SHA256.hash_leaf(LEAVES[index])
    root = bytes.fromhex(ROOTS[size - 1])

    verify_inclusion(SHA256, index, size, leaf_hash, _hashes(proof), root)

    assert root_from_inclusion_proof(SHA256, index, size, leaf_hash, _hashes(proof)) == root


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY_PROOFS)
def test_consistency_proof_matches_vector(
    store: MemoryHashStore, size1: int, size2: int, proof: list[str]
) -> None:
    assert consistency_proof(store, SHA256, size1, size2) == _hashes(proof)


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY_PROOFS)
def test_consistency_vector_verifies(size1: int, size2: int, proof: list[str]) -> None:
    root1 = bytes.fromhex(ROOTS[size1 - 1])
    root2 = bytes.fromhex(ROOTS[size2 - 1])

    verify_consistency(SHA256, size1, size2, _hashes(proof), root1, root2)


def _corrupted_inclusion_probes(index, size, proof, root, leaf_hash):
    """Yield (description, arguments) in the style of the Go corruptInclusionProof."""
    some_hash = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
    yield "index - 1", (index - 1, size, leaf_hash, proof, root)
    yield "index + 1", (index + 1, size, leaf_hash, proof, root)
    yield "index ^ 2", (index ^ 2, size, leaf_hash, proof, root)
    yield "size * 2", (index, size * 2, leaf_hash, proof, root)
    yield "size // 2", (index, size // 2, leaf_hash, proof, root)
    yield "wrong leaf", (index, size, SHA256.hash_leaf(b"WrongLeaf"), proof, root)
    yield "empty root", (index, size, leaf_hash, proof, SHA256.empty_root())
    yield "random root", (index, size, leaf_hash, proof, some_hash)
    yield "trailing root", (index, size, leaf_hash, [*proof, root], root)
    yield "preceding root", (index, size, leaf_hash, [root, *proof], root)
    for position in range(len(proof)):
        flipped = list(proof)
        flipped[position] = bytes([proof[position][0] ^ 8]) + proof[position][1:]
        yield f"bit flip in proof[{position}]", (index, size, leaf_hash, flipped, root)
    if proof:
        yield "removed component", (index, size, leaf_hash, proof[:-1], root)
    if len(proof) > 1:
        inserted = [proof[0], some_hash, *proof[1:]]
        yield "inserted component", (index, size, leaf_hash, inserted, root)


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS[1:])
def test_corrupted_inclusion_vector_fails(index: int, size: int, proof: list[str]) -> None:
    leaf_hash = SHA256.hash_leaf(LEAVES[index])
    root = bytes.fromhex(ROOTS[size - 1])

    for description, arguments in _corrupted_inclusion_probes(
        index, size, _hashes(proof), root, leaf_hash
    ):
        with pytest.raises(InvalidProofError):
            verify_inclusion(SHA256, *arguments)
            pytest.fail(f"corrupted probe verified: {description}")


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY_PROOFS[1:])
def test_corrupted_consistency_vector_fails(size1: int, size2: int, proof: list[str]) -> None:
    root1 = bytes.fromhex(ROOTS[size1 - 1])
    root2 = bytes.fromhex(ROOTS[size2 - 1])
    good = _hashes(proof)
    probes = {
        "size1 - 1": (size1 - 1, size2, good, root1, root2),
        "size1 + 1": (size1 + 1, size2, good, root1, root2),
        "size1 ^ 2": (size1 ^ 2, size2, good, root1, root2),
        "size2 * 2": (size1, size2 * 2, good, root1, root2),
        "size2 // 2": (size1, size2 // 2, good, root1, root2),
        "swapped roots": (size1, size2, good, root2, root1),
        "empty proof": (size1, size2, [], root1, root2),
        "trailing root2": (size1, size2, [*good, root2], root1, root2),
        "preceding root1": (size1, size2, [root1, *good], root1, root2),
        "truncated proof": (size1, size2, good[:-1], root1, root2),
    }
    for position in range(len(good)):
        flipped = list(good)
        flipped[position] = bytes([good[position][0] ^ 16]) + good[position][1:]
        probes[f"bit flip in proof[{position}]"] = (size1, size2, flipped, root1, root2)

    for description, arguments in probes.items():
        with pytest.raises(InvalidProofError):
            verify_consistency(SHA256, *arguments)
            pytest.fail(f"corrupted probe verified: {description}")


@pytest.mark.parametrize(
    ("size1", "size2", "proof", "same_roots"),
    [
        (0, 0, [], True),
        (0, 1, [], False),
        (1, 1, [], True),
    ],
)
def test_trivial_consistency_verifies(size1, size2, proof, same_roots) -> None:
    root1 = SHA256.empty_root()
    root2 = root1 if same_roots else SHA256.hash_leaf(b"x")

    verify_consistency(SHA256, size1, size2, proof, root1, root2)


@pytest.mark.parametrize(
    ("size1", "size2", "proof"),
    [
        (1, 1, [SHA256.empty_root()]),
        (0, 1, [SHA256.empty_root()]),
        (1, 0, []),
        (2, 1, []),
        (1, 2, []),
    ],
)
def test_invalid_trivial_consistency_fails(size1, size2, proof) -> None:
    root = SHA256.empty_root()

    with pytest.raises(InvalidProofError):
        verify_consistency(SHA256, size1, size2, proof, root, root)
