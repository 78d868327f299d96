"""Blind indexes: construction, normalisation, separation, rotation and key handling."""

from __future__ import annotations

import os
import re

import pytest
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shoumi.crypto.blind_index import (
    INDEX_BYTES,
    BlindIndexKey,
    BlindIndexRotation,
    default_normalize,
)
from shoumi.crypto.context import RecordContext, encode_parts
from shoumi.crypto.errors import DecryptionError, KeyDestroyedError
from shoumi.crypto.keyring import Keyring
from shoumi.crypto.providers import LocalKek
from shoumi.crypto.suites import AES_256_GCM, SM4_GCM

RESIDENT_ID = "33010619880315019X"


@pytest.fixture
def keyring() -> Keyring:
    return Keyring([LocalKek("kek-a", os.urandom(32), AES_256_GCM)], current="kek-a")


@pytest.fixture
def index_key(keyring) -> BlindIndexKey:
    return BlindIndexKey.create(keyring)[0]


def test_index_is_32_lowercase_hex_characters(index_key):
    index = index_key.indexer("clients.Person", "resident_id").compute(RESIDENT_ID)

    assert INDEX_BYTES == 16
    assert re.fullmatch(r"[0-9a-f]{32}", index)


@pytest.mark.parametrize(
    ("suite", "algorithm"), [("aes-256-gcm", hashes.SHA256), ("sm4-gcm", hashes.SM3)]
)
def test_index_matches_documented_construction(suite, algorithm):
    root = bytes(range(32))
    index_key = BlindIndexKey(
        "bik-test", {"aes-256-gcm": AES_256_GCM, "sm4-gcm": SM4_GCM}[suite], root
    )
    info = encode_parts(b"shoumi.blind-index.v1", "clients.Person", "resident_id")
    field_key = HKDF(algorithm=algorithm(), length=32, salt=None, info=info).derive(root)
    mac = hmac.HMAC(field_key, algorithm())
    mac.update(RESIDENT_ID.casefold().encode())

    index = index_key.indexer("clients.Person", "resident_id").compute(RESIDENT_ID)

    assert index == mac.finalize()[:16].hex()


def test_same_value_gives_same_index(index_key):
    indexer = index_key.indexer("clients.Person", "resident_id")

    assert indexer.compute(RESIDENT_ID) == indexer.compute(RESIDENT_ID)


def test_lower_case_spaces_and_full_width_forms_match(index_key):
    indexer = index_key.indexer("clients.Person", "resident_id")
    variants = [
        "33010619880315019x",
        " 33010619880315019X ",
        "３３０１０６１９８８０３１５０１９Ｘ",
    ]

    indexes = {indexer.compute(variant) for variant in variants}

    assert indexes == {indexer.compute(RESIDENT_ID)}


def test_custom_normaliser_is_applied(index_key):
    def strip_separators(value: str) -> str:
        return default_normalize(value).replace("-", "").replace(" ", "")

    indexer = index_key.indexer("clients.Person", "mobile", normalize=strip_separators)

    assert indexer.compute("138-0013-8000") == indexer.compute("138 0013 8000")


def test_fields_get_separate_keys(index_key):
    resident_id = index_key.indexer("clients.Person", "resident_id").compute(RESIDENT_ID)
    other_field = index_key.indexer("clients.Person", "passport").compute(RESIDENT_ID)
    other_model = index_key.indexer("clients.Client", "resident_id").compute(RESIDENT_ID)

    assert len({resident_id, other_field, other_model}) == 3


def test_root_keys_give_unrelated_indexes(keyring):
    first = BlindIndexKey.create(keyring)[0].indexer("clients.Person", "resident_id")
    second = BlindIndexKey.create(keyring)[0].indexer("clients.Person", "resident_id")

    assert first.compute(RESIDENT_ID) != second.compute(RESIDENT_ID)


def test_suites_give_different_indexes_for_same_root():
    root = os.urandom(32)
    sha = BlindIndexKey("bik-1", AES_256_GCM, root).indexer("clients.Person", "resident_id")
    sm3 = BlindIndexKey("bik-1", SM4_GCM, root).indexer("clients.Person", "resident_id")

    assert sha.compute(RESIDENT_ID) != sm3.compute(RESIDENT_ID)


@pytest.mark.parametrize("value", ["", "   ", "\u3000"])
def test_empty_value_is_rejected(index_key, value):
    indexer = index_key.indexer("clients.Person", "resident_id")

    with pytest.raises(ValueError, match="Store NULL"):
        indexer.compute(value)


def test_non_string_value_is_rejected(index_key):
    indexer = index_key.indexer("clients.Person", "resident_id")

    with pytest.raises(TypeError, match="takes str"):
        indexer.compute(330106198803150190)  # type: ignore[arg-type]


def test_matches_compares_stored_index(index_key):
    indexer = index_key.indexer("clients.Person", "resident_id")
    stored = indexer.compute(RESIDENT_ID)

    assert indexer.matches("33010619880315019x", stored)
    assert not indexer.matches("11010519491231002X", stored)


@pytest.mark.parametrize("suite", ["aes-256-gcm", "sm4-gcm"])
def test_wrapped_root_key_reloads_with_its_suite(keyring, suite):
    index_key, wrapped = BlindIndexKey.create(keyring, suite=suite)
    expected = index_key.indexer("clients.Person", "resident_id").compute(RESIDENT_ID)

    reloaded = BlindIndexKey.load(keyring, wrapped.to_text())

    assert reloaded.key_id == index_key.key_id
    assert reloaded.suite.name == suite
    assert reloaded.indexer("clients.Person", "resident_id").compute(RESIDENT_ID) == expected


def test_data_key_cannot_be_loaded_as_index_root(keyring):
    _, wrapped_data_key = keyring.new_data_key(RecordContext("clients.Person", 1))

    with pytest.raises(DecryptionError):
        BlindIndexKey.load(keyring, wrapped_data_key)


def test_tampered_root_key_fails(keyring):
    _, wrapped = BlindIndexKey.create(keyring)
    payload = bytearray(wrapped.payload)
    payload[-1] ^= 1

    with pytest.raises(DecryptionError):
        BlindIndexKey.load(keyring, type(wrapped)(wrapped.kek_id, wrapped.key_id, bytes(payload)))


def test_rewrapping_root_key_keeps_indexes(keyring):
    index_key, wrapped = BlindIndexKey.create(keyring)
    before = index_key.indexer("clients.Person", "resident_id").compute(RESIDENT_ID)
    keyring.add(LocalKek("kek-b", os.urandom(16), SM4_GCM), make_current=True)

    result = BlindIndexKey.rewrap(keyring, wrapped)
    reloaded = BlindIndexKey.load(keyring, result.wrapped)

    assert result.changed
    assert result.wrapped.kek_id == "kek-b"
    assert reloaded.indexer("clients.Person", "resident_id").compute(RESIDENT_ID) == before


def test_rotation_computes_old_and_new_indexes(keyring):
    old = BlindIndexKey.create(keyring)[0].indexer("clients.Person", "resident_id")
    new = BlindIndexKey.create(keyring, suite="sm4-gcm")[0].indexer("clients.Person", "resident_id")
    rotation = BlindIndexRotation(old, new)

    pair = rotation.compute(" 33010619880315019x")

    assert pair.old == old.compute(RESIDENT_ID)
    assert pair.new == new.compute(RESIDENT_ID)
    assert pair.old != pair.new


def test_rotation_keeps_search_working_during_backfill(keyring):
    old = BlindIndexKey.create(keyring)[0].indexer("clients.Person", "resident_id")
    new = BlindIndexKey.create(keyring)[0].indexer("clients.Person", "resident_id")
    values = ["11010519491231002X", "440524188001010014", "110101190001010014"]
    rows = [{"value": value, "old": old.compute(value), "new": None} for value in values]
    rotation = BlindIndexRotation(old, new)

    def search(value: str) -> list[str]:
        pair = rotation.compute(value)
        return [row["value"] for row in rows if row["old"] == pair.old or row["new"] == pair.new]

    found_before = [search(value) for value in values]
    rows[0]["new"] = new.compute(rows[0]["value"])
    found_halfway = [search(value) for value in values]
    for row in rows:
        row["new"] = new.compute(row["value"])
        row["old"] = None
    found_after = [search(value) for value in values]

    assert found_before == found_halfway == found_after == [[value] for value in values]


def test_rotation_rejects_mismatched_fields(index_key, keyring):
    other = BlindIndexKey.create(keyring)[0]

    with pytest.raises(ValueError, match="Cannot rotate"):
        BlindIndexRotation(
            index_key.indexer("clients.Person", "resident_id"),
            other.indexer("clients.Person", "mobile"),
        )


def test_rotation_rejects_same_root_key(index_key):
    indexer = index_key.indexer("clients.Person", "resident_id")

    with pytest.raises(ValueError, match="nothing would rotate"):
        BlindIndexRotation(indexer, index_key.indexer("clients.Person", "resident_id"))


def test_destroy_zeroises_root_and_field_keys(index_key):
    indexer = index_key.indexer("clients.Person", "resident_id")

    index_key.destroy()

    assert index_key._root == bytearray(32)
    assert indexer._field_key == bytearray(32)
    with pytest.raises(KeyDestroyedError):
        indexer.compute(RESIDENT_ID)
    with pytest.raises(KeyDestroyedError):
        index_key.indexer("clients.Person", "mobile")


def test_repr_shows_no_key_material(index_key):
    indexer = index_key.indexer("clients.Person", "resident_id")

    assert index_key._root.hex() not in repr(index_key)
    assert repr(indexer) == f"<BlindIndexer clients.Person.resident_id key={index_key.key_id}>"
