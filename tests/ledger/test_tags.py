from __future__ import annotations

import hashlib
import hmac

import pytest

from shoumi.ledger import tags
from shoumi.ledger.keys import create_keys, load_hmac_key, load_signer
from shoumi.ledger.tags import LeafTagger, derive_tag_key

KEY_NAME = "shoumi.test/audit"
LEAF = bytes(range(32))


def test_tag_key_survives_reload(tmp_path) -> None:
    created = create_keys(tmp_path, KEY_NAME)

    tag = created.leaf_tagger().tag(LEAF)

    assert load_signer(tmp_path).leaf_tagger().tag(LEAF) == tag
    assert len(tag) == 32


def test_gm_mode_tag_is_hmac_sm3(tmp_path) -> None:
    if "sm3" not in hashlib.algorithms_available:
        pytest.skip("this OpenSSL build has no SM3 in hashlib")
    signer = create_keys(tmp_path, KEY_NAME, gm_mode=True)
    tag_key = derive_tag_key(load_hmac_key(tmp_path), "sm3")

    tag = signer.leaf_tagger("sm3").tag(LEAF)

    assert tag == hmac.new(tag_key, LEAF, "sm3").digest()


def test_sha256_tag_is_hmac_sha256() -> None:
    key = bytes(32)

    tag = LeafTagger(key).tag(LEAF)

    assert tag == hmac.new(key, LEAF, "sha256").digest()


def test_tag_key_differs_from_signing_secret(tmp_path) -> None:
    signer = create_keys(tmp_path, KEY_NAME)
    seed = signer._private_key.private_bytes_raw()

    assert derive_tag_key(seed, "sha256") != seed
    assert derive_tag_key(seed, "sha256") != derive_tag_key(seed, "sm3")


def test_wrong_key_size_raises() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        LeafTagger(b"short")


def test_tagger_repr_has_no_key() -> None:
    assert repr(LeafTagger(b"\xab" * 32)) == "LeafTagger(hash_name='sha256')"


def test_sm3_tag_falls_back_to_cryptography(monkeypatch) -> None:
    key = b"\x01" * 32
    expected = LeafTagger(key, "sm3").tag(LEAF)

    monkeypatch.setattr(tags, "_hashlib_constructor", lambda hash_name: None)

    assert LeafTagger(key, "sm3").tag(LEAF) == expected


@pytest.mark.parametrize("hash_name", ["sha256", "sm3"])
def test_tag_equals_stdlib_hmac_for_many_keys(hash_name: str) -> None:
    if hash_name not in hashlib.algorithms_available:
        pytest.skip(f"this OpenSSL build has no {hash_name} in hashlib")
    for first_byte in range(0, 256, 17):
        key = bytes([first_byte]) + bytes(range(31))
        leaf_hash = hashlib.sha256(key).digest()

        assert (
            LeafTagger(key, hash_name).tag(leaf_hash)
            == hmac.new(key, leaf_hash, hash_name).digest()
        )
