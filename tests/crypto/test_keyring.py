"""Keyring, data keys and envelope encryption: round trips, binding, tampering, rotation."""

from __future__ import annotations

import copy
import os
import pickle

import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

from shoumi.crypto import keyring as keyring_module
from shoumi.crypto.blind_index import BlindIndexKey
from shoumi.crypto.context import RecordContext
from shoumi.crypto.errors import (
    DecryptionError,
    KeyDestroyedError,
    KeyInUseError,
    KeyringError,
    UnknownSuiteError,
)
from shoumi.crypto.formats import Ciphertext, WrappedKey, is_sealed
from shoumi.crypto.keyring import DataKey, Keyring, shred_data_key
from shoumi.crypto.providers import LocalKek
from shoumi.crypto.suites import AES_256_GCM, SM4_GCM, SUITES

SUITE_NAMES = list(SUITES)
PERSON = RecordContext("clients.Person", 42)
OTHER_PERSON = RecordContext("clients.Person", 43)
RESIDENT_ID = "33010619880315019X"


def local_kek(key_id: str, suite=AES_256_GCM) -> LocalKek:
    return LocalKek(key_id, os.urandom(suite.key_size), suite)


@pytest.fixture
def keyring() -> Keyring:
    return Keyring([local_kek("kek-a")], current="kek-a")


def flipped_texts(text: str):
    """Yield ``text`` with each character in turn replaced by a different ASCII character."""
    for index, character in enumerate(text):
        replacement = "A" if character != "A" else "B"
        yield text[:index] + replacement + text[index + 1 :]


def flipped_bytes(data: bytes):
    """Yield ``data`` with each byte in turn XORed with 0x01 and with 0x80."""
    for index in range(len(data)):
        for mask in (0x01, 0x80):
            changed = bytearray(data)
            changed[index] ^= mask
            yield bytes(changed)


@pytest.mark.parametrize("suite", SUITE_NAMES)
def test_seal_and_open_round_trip(keyring, suite):
    data_key, _ = keyring.new_data_key(PERSON)

    sealed = data_key.seal("resident_id", RESIDENT_ID, suite=suite)

    assert sealed.startswith(f"shoumi:v1:{suite}:{data_key.key_id}:")
    assert RESIDENT_ID not in sealed
    assert data_key.open_text("resident_id", sealed) == RESIDENT_ID


@pytest.mark.parametrize("suite", SUITE_NAMES)
def test_binary_form_opens_like_text(keyring, suite):
    data_key, _ = keyring.new_data_key(PERSON)
    sealed = data_key.seal("mobile", "13800138000", suite=suite)

    binary = Ciphertext.parse(sealed).to_bytes()

    assert data_key.open("mobile", binary) == b"13800138000"


@settings(max_examples=60, deadline=None)
@given(
    plaintext=st.one_of(st.text(max_size=300), st.binary(max_size=300)),
    suite=st.sampled_from(SUITE_NAMES),
)
def test_round_trip_property(plaintext, suite):
    keyring = Keyring([local_kek("kek-a")], current="kek-a")
    data_key, wrapped = keyring.new_data_key(PERSON)
    expected = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
    if is_sealed(expected):
        return

    sealed = data_key.seal("note", plaintext, suite=suite)
    reopened = keyring.unwrap_data_key(wrapped.to_text(), PERSON)

    assert reopened.open("note", sealed) == expected


def test_each_seal_uses_a_fresh_nonce(keyring):
    data_key, _ = keyring.new_data_key(PERSON)

    first = data_key.seal("resident_id", RESIDENT_ID)
    second = data_key.seal("resident_id", RESIDENT_ID)

    assert first != second


def test_values_of_both_suites_open_after_suite_switch(keyring):
    data_key, wrapped = keyring.new_data_key(PERSON)
    sealed_before = data_key.seal("resident_id", RESIDENT_ID, suite="aes-256-gcm")
    sealed_after = data_key.seal("mobile", "13800138000", suite="sm4-gcm")

    reopened = keyring.unwrap_data_key(wrapped, PERSON)

    assert reopened.open_text("resident_id", sealed_before) == RESIDENT_ID
    assert reopened.open_text("mobile", sealed_after) == "13800138000"


def test_unknown_suite_is_rejected_on_seal(keyring):
    data_key, _ = keyring.new_data_key(PERSON)

    with pytest.raises(UnknownSuiteError):
        data_key.seal("resident_id", RESIDENT_ID, suite="aes-128-cbc")


@pytest.mark.parametrize("suite", SUITE_NAMES)
def test_value_moved_to_another_field_fails(keyring, suite):
    data_key, _ = keyring.new_data_key(PERSON)
    sealed = data_key.seal("resident_id", RESIDENT_ID, suite=suite)

    with pytest.raises(DecryptionError):
        data_key.open("mobile", sealed)


@pytest.mark.parametrize("suite", SUITE_NAMES)
def test_value_moved_to_another_row_fails(keyring, suite):
    data_key, _ = keyring.new_data_key(PERSON)
    other_key, _ = keyring.new_data_key(OTHER_PERSON)
    sealed = data_key.seal("resident_id", RESIDENT_ID, suite=suite)

    with pytest.raises(DecryptionError):
        other_key.open("resident_id", sealed)


@pytest.mark.parametrize("suite", SUITE_NAMES)
def test_row_binding_with_same_key_bytes(keyring, suite):
    # A row whose wrapped key and value were both copied from another row: the
    # associated data alone must stop the value from opening.
    data_key, _ = keyring.new_data_key(PERSON)
    sealed = data_key.seal("resident_id", RESIDENT_ID, suite=suite)
    impostor = DataKey(data_key.key_id, OTHER_PERSON, data_key._key)

    with pytest.raises(DecryptionError):
        impostor.open("resident_id", sealed)


@pytest.mark.parametrize("suite", SUITE_NAMES)
def test_flipping_any_character_of_text_form_fails(keyring, suite):
    data_key, _ = keyring.new_data_key(PERSON)
    sealed = data_key.seal("resident_id", RESIDENT_ID, suite=suite)

    for changed in flipped_texts(sealed):
        with pytest.raises(DecryptionError):
            data_key.open("resident_id", changed)


@pytest.mark.parametrize("suite", SUITE_NAMES)
def test_flipping_any_byte_of_binary_form_fails(keyring, suite):
    data_key, _ = keyring.new_data_key(PERSON)
    binary = Ciphertext.parse(data_key.seal("resident_id", RESIDENT_ID, suite=suite)).to_bytes()

    for changed in flipped_bytes(binary):
        with pytest.raises(DecryptionError):
            data_key.open("resident_id", changed)


def test_truncated_value_fails(keyring):
    data_key, _ = keyring.new_data_key(PERSON)
    binary = Ciphertext.parse(data_key.seal("resident_id", RESIDENT_ID)).to_bytes()

    for length in range(len(binary)):
        with pytest.raises(DecryptionError):
            data_key.open("resident_id", binary[:length])


def test_every_failure_has_the_same_message(keyring):
    data_key, wrapped = keyring.new_data_key(PERSON)
    other_key, _ = keyring.new_data_key(OTHER_PERSON)
    sealed = data_key.seal("resident_id", RESIDENT_ID)
    # The tag is random, so it may already end in "AA" (about one run in 4,096).
    changed_end = "BB" if sealed.endswith("AA") else "AA"
    failures = [
        lambda: data_key.open("mobile", sealed),
        lambda: other_key.open("resident_id", sealed),
        lambda: data_key.open("resident_id", sealed[:-2] + changed_end),
        lambda: data_key.open("resident_id", "not sealed at all"),
        lambda: keyring.unwrap_data_key(wrapped, OTHER_PERSON),
        lambda: keyring.unwrap_data_key("garbage", PERSON),
    ]

    messages = set()
    for failure in failures:
        with pytest.raises(DecryptionError) as error:
            failure()
        messages.add((error.value.code, error.value.message))

    assert messages == {("decryption_failed", "Decryption failed.")}


@pytest.mark.parametrize("kek_suite", [AES_256_GCM, SM4_GCM], ids=["aes-kek", "sm4-kek"])
def test_wrapped_key_unwraps_for_its_record(kek_suite):
    keyring = Keyring([local_kek("kek-a", kek_suite)], current="kek-a")
    data_key, wrapped = keyring.new_data_key(PERSON)
    sealed = data_key.seal("resident_id", RESIDENT_ID)

    reopened = keyring.unwrap_data_key(wrapped.to_text(), PERSON)

    assert reopened.key_id == data_key.key_id
    assert wrapped.kek_id == "kek-a"
    assert reopened.open_text("resident_id", sealed) == RESIDENT_ID


def test_wrapped_key_moved_to_another_record_fails(keyring):
    _, wrapped = keyring.new_data_key(PERSON)

    with pytest.raises(DecryptionError):
        keyring.unwrap_data_key(wrapped, OTHER_PERSON)


def test_wrapped_key_relabelled_with_another_key_id_fails(keyring):
    _, wrapped = keyring.new_data_key(PERSON)
    relabelled = WrappedKey(
        kek_id=wrapped.kek_id, key_id="dek-0000000000000000", payload=wrapped.payload
    )

    with pytest.raises(DecryptionError):
        keyring.unwrap_data_key(relabelled, PERSON)


def test_flipping_any_byte_of_wrapped_key_fails(keyring):
    _, wrapped = keyring.new_data_key(PERSON)

    for changed in flipped_bytes(wrapped.to_bytes()):
        with pytest.raises(DecryptionError):
            keyring.unwrap_data_key(changed, PERSON)
    for changed in flipped_texts(wrapped.to_text()):
        with pytest.raises(DecryptionError):
            keyring.unwrap_data_key(changed, PERSON)


def test_unknown_master_key_logs_id(keyring):
    stranger = Keyring([local_kek("kek-gone")], current="kek-gone")
    _, wrapped = stranger.new_data_key(PERSON)

    with structlog.testing.capture_logs() as logs, pytest.raises(DecryptionError):
        keyring.unwrap_data_key(wrapped, PERSON)

    assert logs == [
        {"event": "master_key_not_in_keyring", "kek_id": "kek-gone", "log_level": "warning"}
    ]


def test_new_master_key_keeps_old_keys(keyring):
    data_key, old_wrapped = keyring.new_data_key(PERSON)
    sealed = data_key.seal("resident_id", RESIDENT_ID)

    keyring.add(local_kek("kek-b"), make_current=True)
    _, new_wrapped = keyring.new_data_key(OTHER_PERSON)

    assert new_wrapped.kek_id == "kek-b"
    assert (
        keyring.unwrap_data_key(old_wrapped, PERSON).open_text("resident_id", sealed) == RESIDENT_ID
    )


def test_keyring_rejects_missing_current_key():
    with pytest.raises(KeyringError, match="kek-x is not among"):
        Keyring([local_kek("kek-a")], current="kek-x")


def test_keyring_rejects_duplicate_key_id(keyring):
    with pytest.raises(KeyringError, match="kek-a is already"):
        keyring.add(local_kek("kek-a"))


def test_remove_refuses_key_in_use_and_names_it(keyring):
    keyring.add(local_kek("kek-b"), make_current=True)

    with pytest.raises(KeyInUseError) as error:
        keyring.remove("kek-a", usage_count=3)

    assert error.value.code == "key_in_use"
    assert "kek-a" in error.value.message
    assert "3" in error.value.message
    assert keyring.key_ids == ["kek-a", "kek-b"]


def test_remove_refuses_current_key(keyring):
    with pytest.raises(KeyringError, match="kek-a is current"):
        keyring.remove("kek-a", usage_count=0)


def test_remove_refuses_unknown_key(keyring):
    with pytest.raises(KeyringError, match="kek-zz is not in the keyring"):
        keyring.remove("kek-zz", usage_count=0)


@pytest.mark.parametrize("usage_count", [-1, True, 1.0, None])
def test_remove_rejects_invalid_usage_count(keyring, usage_count):
    keyring.add(local_kek("kek-b"), make_current=True)

    with pytest.raises(ValueError, match="usage_count"):
        keyring.remove("kek-a", usage_count=usage_count)


def test_removed_key_no_longer_unwraps(keyring):
    _, wrapped = keyring.new_data_key(PERSON)
    keyring.add(local_kek("kek-b"), make_current=True)

    keyring.remove("kek-a", usage_count=0)

    with pytest.raises(DecryptionError):
        keyring.unwrap_data_key(wrapped, PERSON)


def test_rewrap_moves_key_to_current_master_key(keyring):
    data_key, wrapped = keyring.new_data_key(PERSON)
    sealed = data_key.seal("resident_id", RESIDENT_ID)
    keyring.add(local_kek("kek-b"), make_current=True)

    result = keyring.rewrap_data_key(wrapped.to_text(), PERSON)

    assert result.changed
    assert result.wrapped.kek_id == "kek-b"
    assert result.wrapped.key_id == wrapped.key_id
    reopened = keyring.unwrap_data_key(result.wrapped, PERSON)
    assert reopened.open_text("resident_id", sealed) == RESIDENT_ID


def test_rewrap_leaves_current_key_unchanged(keyring):
    _, wrapped = keyring.new_data_key(PERSON)

    result = keyring.rewrap_data_key(wrapped, PERSON)

    assert not result.changed
    assert result.wrapped == wrapped


def test_rotation_resumes_after_interruption(keyring):
    records = [RecordContext("clients.Person", number) for number in range(10)]
    table = {record: keyring.new_data_key(record)[1].to_text() for record in records}
    keyring.add(local_kek("kek-b"), make_current=True)

    for record in records[:4]:
        table[record] = keyring.rewrap_data_key(table[record], record).wrapped.to_text()
    results = [keyring.rewrap_data_key(table[record], record) for record in records]

    assert [result.changed for result in results] == [False] * 4 + [True] * 6
    assert {result.wrapped.kek_id for result in results} == {"kek-b"}


def test_legacy_rows_migrate_once_and_rotate():
    # Row A contains plaintext written before encryption was switched on, row B a value
    # under the retired master key K1, row C one under the current key K2.
    keyring = Keyring([local_kek("K1")], current="K1")
    index_key, wrapped_index_root = BlindIndexKey.create(keyring)
    indexer = index_key.indexer("clients.Person", "resident_id")
    rows = {name: RecordContext("clients.Person", name) for name in "ABC"}
    values = {"A": "110101190001010014", "B": "11010519491231002X", "C": "440524188001010014"}
    table: dict[str, dict[str, str]] = {"A": {"resident_id": values["A"]}}
    for name in "BC":
        if name == "C":
            keyring.add(local_kek("K2"), make_current=True)
        data_key, wrapped = keyring.new_data_key(rows[name])
        table[name] = {
            "data_key": wrapped.to_text(),
            "resident_id": data_key.seal("resident_id", values[name]),
            "resident_id_blind_index": indexer.compute(values[name]),
        }

    def migrate() -> int:
        changed = 0
        for name, row in table.items():
            if is_sealed(row["resident_id"]):
                continue
            data_key, wrapped = keyring.new_data_key(rows[name])
            row["resident_id_blind_index"] = indexer.compute(row["resident_id"])
            row["resident_id"] = data_key.seal("resident_id", row["resident_id"])
            row["data_key"] = wrapped.to_text()
            changed += 1
        return changed

    def rotate() -> int:
        changed = 0
        for name, row in table.items():
            result = keyring.rewrap_data_key(row["data_key"], rows[name])
            if result.changed:
                row["data_key"] = result.wrapped.to_text()
                changed += 1
        return changed

    def usage(kek_id: str) -> int:
        return sum(WrappedKey.parse(row["data_key"]).kek_id == kek_id for row in table.values())

    def reveal(name: str) -> str:
        data_key = keyring.unwrap_data_key(table[name]["data_key"], rows[name])
        return data_key.open_text("resident_id", table[name]["resident_id"])

    def search(value: str) -> list[str]:
        reloaded = BlindIndexKey.load(keyring, wrapped_index_root)
        query_index = reloaded.indexer("clients.Person", "resident_id").compute(value)
        return [
            name for name, row in table.items() if row["resident_id_blind_index"] == query_index
        ]

    with pytest.raises(DecryptionError):
        keyring.new_data_key(rows["A"])[0].open("resident_id", table["A"]["resident_id"])
    assert migrate() == 1
    assert migrate() == 0
    assert {name: reveal(name) for name in "ABC"} == values
    assert [search(values[name]) for name in "ABC"] == [["A"], ["B"], ["C"]]
    with pytest.raises(KeyInUseError, match="K1"):
        keyring.remove("K1", usage_count=usage("K1"))

    assert rotate() == 1
    assert rotate() == 0
    wrapped_index_root = BlindIndexKey.rewrap(keyring, wrapped_index_root).wrapped
    keyring.remove("K1", usage_count=usage("K1") + (wrapped_index_root.kek_id == "K1"))

    assert {name: reveal(name) for name in "ABC"} == values
    assert [search(values[name]) for name in "ABC"] == [["A"], ["B"], ["C"]]
    assert all(values[name] not in str(row) for name, row in table.items())


def test_shredded_key_cannot_be_unwrapped(keyring):
    data_key, wrapped = keyring.new_data_key(PERSON)
    sealed = data_key.seal("resident_id", RESIDENT_ID)
    data_key.destroy()

    tombstone = shred_data_key(wrapped.to_text())

    assert tombstone.is_shredded
    assert tombstone.key_id == wrapped.key_id
    assert tombstone.payload == b""
    with pytest.raises(KeyDestroyedError) as error:
        keyring.unwrap_data_key(tombstone.to_text(), PERSON)
    assert error.value.code == "key_destroyed"
    replacement, _ = keyring.new_data_key(PERSON)
    with pytest.raises(DecryptionError):
        replacement.open("resident_id", sealed)


def test_shredding_twice_gives_the_same_tombstone(keyring):
    _, wrapped = keyring.new_data_key(PERSON)

    tombstone = shred_data_key(wrapped)

    assert shred_data_key(tombstone) == tombstone


def test_shredded_key_cannot_be_rewrapped(keyring):
    _, wrapped = keyring.new_data_key(PERSON)

    with pytest.raises(KeyDestroyedError):
        keyring.rewrap_data_key(shred_data_key(wrapped), PERSON)


def test_destroy_zeroises_key_and_blocks_use(keyring):
    data_key, _ = keyring.new_data_key(PERSON)
    sealed = data_key.seal("resident_id", RESIDENT_ID, suite="sm4-gcm")
    derived_keys = list(data_key._derived_keys.values())

    data_key.destroy()

    assert data_key.is_destroyed
    assert data_key._key == bytearray(32)
    assert all(derived == bytearray(len(derived)) for derived in derived_keys)
    with pytest.raises(KeyDestroyedError):
        data_key.open("resident_id", sealed)
    with pytest.raises(KeyDestroyedError):
        data_key.seal("resident_id", RESIDENT_ID)


def test_context_manager_destroys_key(keyring):
    data_key, _ = keyring.new_data_key(PERSON)

    with data_key as active:
        active.seal("resident_id", RESIDENT_ID)

    assert data_key.is_destroyed


def test_destroyed_master_key_refuses_to_wrap(keyring):
    keyring.destroy()

    with pytest.raises(KeyDestroyedError, match="kek-a"):
        keyring.new_data_key(PERSON)


@pytest.mark.parametrize("duplicate", [pickle.dumps, copy.copy, copy.deepcopy])
def test_data_key_cannot_be_pickled_or_copied(keyring, duplicate):
    data_key, _ = keyring.new_data_key(PERSON)

    with pytest.raises(TypeError, match="cannot be pickled"):
        duplicate(data_key)


def test_repr_shows_no_key_material(keyring):
    data_key, _ = keyring.new_data_key(PERSON)
    provider = keyring._state.providers["kek-a"]

    assert repr(data_key) == f"<DataKey {data_key.key_id} for clients.Person/42>"
    assert data_key._key.hex() not in repr(data_key)
    assert repr(provider) == "LocalKek(key_id='kek-a', suite='aes-256-gcm')"


def test_seal_refuses_already_sealed_value(keyring):
    data_key, _ = keyring.new_data_key(PERSON)
    sealed = data_key.seal("resident_id", RESIDENT_ID)

    with pytest.raises(ValueError, match="already sealed"):
        data_key.seal("resident_id", sealed)
    with pytest.raises(ValueError, match="already sealed"):
        data_key.seal("resident_id", Ciphertext.parse(sealed).to_bytes())


def test_seal_rejects_none(keyring):
    data_key, _ = keyring.new_data_key(PERSON)

    with pytest.raises(TypeError, match="Store NULL"):
        data_key.seal("resident_id", None)  # type: ignore[arg-type]


def test_open_text_of_binary_value_names_no_plaintext(keyring):
    data_key, _ = keyring.new_data_key(PERSON)
    sealed = data_key.seal("scan", b"\xff\xfe secret bytes")

    with pytest.raises(ValueError) as error:
        data_key.open_text("scan", sealed)

    assert "secret" not in str(error.value)
    assert error.value.__cause__ is None


def test_key_ids_are_unique_per_data_key(keyring):
    key_ids = {keyring.new_data_key(PERSON)[0].key_id for _ in range(50)}

    assert len(key_ids) == 50


def test_no_plaintext_or_key_reaches_logs(keyring, capsys):
    with structlog.testing.capture_logs() as logs:
        data_key, wrapped = keyring.new_data_key(PERSON)
        sealed = data_key.seal("resident_id", RESIDENT_ID)
        keyring.add(local_kek("kek-b"), make_current=True)
        rewrapped = keyring.rewrap_data_key(wrapped, PERSON).wrapped
        keyring.unwrap_data_key(rewrapped, PERSON).open("resident_id", sealed)
        with pytest.raises(DecryptionError):
            keyring.unwrap_data_key(wrapped, OTHER_PERSON)

    output = capsys.readouterr()
    everything = repr(logs) + output.out + output.err
    assert RESIDENT_ID not in everything
    assert data_key._key.hex() not in everything


def test_new_key_id_skips_long_digit_runs(monkeypatch) -> None:
    # A master key id of 16 digits made the audit event of its rotation look like a card
    # number, so the rotation failed.
    tokens = iter(["9172810873022016", "a172810873022016", "3f9a1c2b7d604e11"])
    monkeypatch.setattr(keyring_module.secrets, "token_hex", lambda size: next(tokens))

    assert keyring_module.new_key_id("kek") == "kek-3f9a1c2b7d604e11"
