"""The local master-key file: creation, permission checks, validation, add and remove."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest
import structlog

from shoumi.crypto import keyfile as keyfile_module
from shoumi.crypto.context import RecordContext
from shoumi.crypto.errors import DecryptionError, KeyFileError, KeyInUseError, KeyringError
from shoumi.crypto.keyfile import (
    add_key,
    create_key_file,
    is_inside_directory,
    load_key_file,
    load_keyring,
    remove_key,
)

PERSON = RecordContext("clients.Person", 7)


@pytest.fixture
def key_path(tmp_path):
    return tmp_path / "keys" / "master.json"


@pytest.fixture
def created(key_path):
    key_path.parent.mkdir(mode=0o700)
    key_id = create_key_file(key_path)
    return key_path, key_id


def file_mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_create_key_file_ignores_umask(key_path):
    key_path.parent.mkdir()
    previous = os.umask(0)
    try:
        create_key_file(key_path)
    finally:
        os.umask(previous)

    assert file_mode(key_path) == 0o600


def test_create_key_file_writes_one_current_key(created):
    key_path, key_id = created

    document = json.loads(key_path.read_text())

    assert document["format"] == "shoumi-key-file"
    assert document["version"] == 1
    assert document["current"] == key_id
    assert [entry["id"] for entry in document["keys"]] == [key_id]
    assert len(base64.b64decode(document["keys"][0]["key"])) == 32


def test_sm4_key_file_has_16_byte_key(key_path):
    key_path.parent.mkdir()

    create_key_file(key_path, suite="sm4-gcm")

    entry = json.loads(key_path.read_text())["keys"][0]
    assert entry["suite"] == "sm4-gcm"
    assert len(base64.b64decode(entry["key"])) == 16


def test_create_key_file_refuses_to_overwrite(created):
    key_path, _ = created
    before = key_path.read_bytes()

    with pytest.raises(
        KeyFileError, match="already exists, and overwriting a master key is not allowed"
    ):
        create_key_file(key_path)

    assert key_path.read_bytes() == before


def test_create_key_file_refuses_to_follow_a_symlink(tmp_path):
    target = tmp_path / "elsewhere.json"
    link = tmp_path / "master.json"
    link.symlink_to(target)

    with pytest.raises(KeyFileError, match="already exists"):
        create_key_file(link)

    assert not target.exists()


def test_create_key_file_names_missing_directory(key_path):
    with pytest.raises(KeyFileError) as error:
        create_key_file(key_path)

    assert str(key_path.parent) in error.value.message
    assert "does not exist" in error.value.message


def test_created_key_file_loads_into_a_working_keyring(created):
    key_path, key_id = created

    keyring = load_keyring(key_path)
    data_key, wrapped = keyring.new_data_key(PERSON)
    sealed = data_key.seal("mobile", "13800138000")

    assert keyring.current_key_id == key_id
    assert wrapped.kek_id == key_id
    reloaded = load_keyring(key_path)
    assert reloaded.unwrap_data_key(wrapped, PERSON).open_text("mobile", sealed) == "13800138000"


def test_missing_key_file_error_names_path_and_fix(key_path):
    with pytest.raises(KeyFileError) as error:
        load_key_file(key_path)

    assert error.value.code == "key_file_invalid"
    assert str(key_path) in error.value.message
    assert "create_key_file" in error.value.message
    assert "SHOUMI_KEY_FILE" in error.value.message


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602, 0o660, 0o666])
def test_key_file_group_access_rejected(created, mode):
    key_path, _ = created
    os.chmod(key_path, mode)

    with pytest.raises(KeyFileError) as error:
        load_key_file(key_path)

    assert str(key_path) in error.value.message
    assert f"{mode:04o}" in error.value.message
    assert f"chmod 600 {key_path}" in error.value.message


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_owner_only_modes_load(created, mode):
    key_path, key_id = created
    os.chmod(key_path, mode)

    assert load_key_file(key_path).current_key_id == key_id


def test_symlink_is_checked_by_its_target_mode(created, tmp_path):
    key_path, _ = created
    link = tmp_path / "link.json"
    link.symlink_to(key_path)
    os.chmod(key_path, 0o644)

    with pytest.raises(KeyFileError, match="group or others"):
        load_key_file(link)


def test_directory_is_not_a_key_file(tmp_path):
    with pytest.raises(KeyFileError, match="not a regular file"):
        load_key_file(tmp_path)


def write_key_file(path, document) -> None:
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    os.chmod(path, 0o600)


def valid_document() -> dict:
    return {
        "format": "shoumi-key-file",
        "version": 1,
        "current": "kek-1",
        "keys": [
            {"id": "kek-1", "suite": "aes-256-gcm", "key": base64.b64encode(b"k" * 32).decode()}
        ],
    }


def test_invalid_json_message_leaks_no_key(tmp_path):
    path = tmp_path / "master.json"
    secret = base64.b64encode(b"s" * 32).decode()
    write_key_file(path, '{"keys": [{"key": "' + secret + '"}')

    with pytest.raises(KeyFileError) as error:
        load_key_file(path)

    assert "not valid JSON" in error.value.message
    assert secret not in error.value.message
    assert error.value.__cause__ is None
    assert error.value.__suppress_context__


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda document: document.update(format="other"), "'format'"),
        (lambda document: document.update(version=2), "'version'"),
        (lambda document: document.update(keys=[]), "'keys'"),
        (lambda document: document.update(current="kek-9"), "'current'"),
        (lambda document: document["keys"][0].update(id="bad id"), "keys[0].id"),
        (lambda document: document["keys"][0].update(suite="des"), "Unknown cipher suite"),
        (lambda document: document["keys"][0].update(key="!!"), "not valid base64"),
        (lambda document: document["keys"][0].update(key="a2V5"), "is 3 bytes"),
        (lambda document: document["keys"].append(dict(document["keys"][0])), "duplicate"),
    ],
)
def test_invalid_key_file_names_the_problem(tmp_path, change, reason):
    path = tmp_path / "master.json"
    document = valid_document()
    change(document)
    write_key_file(path, document)

    with pytest.raises(KeyFileError) as error:
        load_key_file(path)

    assert str(path) in error.value.message
    assert reason in error.value.message
    assert base64.b64encode(b"k" * 32).decode() not in error.value.message


def test_add_key_becomes_current(created):
    key_path, old_id = created
    keyring = load_keyring(key_path)
    _, old_wrapped = keyring.new_data_key(PERSON)

    new_id = add_key(key_path, suite="sm4-gcm")

    reloaded = load_keyring(key_path)
    assert reloaded.current_key_id == new_id
    assert reloaded.key_ids == sorted([old_id, new_id])
    assert reloaded.rewrap_data_key(old_wrapped, PERSON).wrapped.kek_id == new_id
    assert file_mode(key_path) == 0o600


def test_add_key_without_making_it_current(created):
    key_path, old_id = created

    add_key(key_path, make_current=False)

    assert load_key_file(key_path).current_key_id == old_id


def test_add_key_refuses_unsafe_file(created):
    key_path, _ = created
    os.chmod(key_path, 0o644)

    with pytest.raises(KeyFileError, match="chmod 600"):
        add_key(key_path)


def test_add_key_leaves_no_temporary_file(created):
    key_path, _ = created

    add_key(key_path)

    names = sorted(path.name for path in key_path.parent.iterdir())
    assert names == [f".{key_path.name}.lock", key_path.name]


def test_concurrent_add_key_loses_no_key(created):
    key_path, first_id = created

    with ThreadPoolExecutor(max_workers=8) as pool:
        added = list(pool.map(lambda _: add_key(key_path, make_current=False), range(8)))

    stored = {key.key_id for key in load_key_file(key_path).keys}
    assert stored == {first_id, *added}


def test_remove_key_refuses_key_in_use(created):
    key_path, old_id = created
    add_key(key_path)

    with pytest.raises(KeyInUseError, match=old_id):
        remove_key(key_path, old_id, count_usage=lambda _: 1)

    assert old_id in load_key_file(key_path).keys[0].key_id


def test_remove_key_refuses_current_key(created):
    key_path, key_id = created

    with pytest.raises(KeyringError, match="is current"):
        remove_key(key_path, key_id, count_usage=lambda _: 0)


def test_remove_unused_retired_key(created):
    key_path, old_id = created
    new_id = add_key(key_path)

    remove_key(key_path, old_id, count_usage=lambda _: 0)

    assert [key.key_id for key in load_key_file(key_path).keys] == [new_id]


def test_key_file_logs_ids_but_never_key_bytes(key_path):
    key_path.parent.mkdir()
    with structlog.testing.capture_logs() as logs:
        key_id = create_key_file(key_path)
        add_key(key_path)

    secret = json.loads(key_path.read_text())["keys"][0]["key"]
    assert [entry["event"] for entry in logs] == ["key_file_created", "master_key_added"]
    assert logs[0]["key_id"] == key_id
    assert secret not in repr(logs)


def test_is_inside_directory(tmp_path):
    data_dir = tmp_path / "var"
    (data_dir / "keys").mkdir(parents=True)
    outside = tmp_path / "keys"
    outside.mkdir()
    sneaky = outside / "link"
    sneaky.symlink_to(data_dir / "keys")

    assert is_inside_directory(data_dir / "keys" / "master.json", data_dir)
    assert is_inside_directory(sneaky / "master.json", data_dir)
    assert not is_inside_directory(outside / "master.json", data_dir)
    assert not is_inside_directory(tmp_path / "variable" / "master.json", data_dir)


def test_loaded_keyring_follows_rotation_by_another_user(created):
    key_path, old_id = created
    server = load_keyring(key_path)
    old_data_key, old_wrapped = server.new_data_key(PERSON)
    old_sealed = old_data_key.seal("mobile", "13800138000")

    new_id = add_key(key_path)
    rotator = load_keyring(key_path)
    rewrapped = rotator.rewrap_data_key(old_wrapped, PERSON).wrapped
    _, wrapped_after = server.new_data_key(PERSON)

    assert rewrapped.kek_id == new_id
    assert server.current_key_id == new_id
    assert server.key_ids == sorted([old_id, new_id])
    assert wrapped_after.kek_id == new_id
    assert server.unwrap_data_key(rewrapped, PERSON).open_text("mobile", old_sealed) == (
        "13800138000"
    )
    assert rotator.unwrap_data_key(wrapped_after, PERSON).key_id == wrapped_after.key_id


def test_loaded_keyring_rereads_file_for_unknown_master_key(created):
    key_path, _ = created
    server = load_keyring(key_path)
    new_id = add_key(key_path)
    _, wrapped = load_keyring(key_path).new_data_key(PERSON)
    # As if stat showed no change, as on a file system with coarse timestamps.
    server._signature = keyfile_module._file_signature(os.stat(key_path))

    data_key = server.unwrap_data_key(wrapped, PERSON)

    assert wrapped.kek_id == new_id
    assert data_key.key_id == wrapped.key_id


def test_loaded_keyring_forgets_retired_master_key(created):
    key_path, old_id = created
    server = load_keyring(key_path)
    _, old_wrapped = server.new_data_key(PERSON)
    new_id = add_key(key_path)

    remove_key(key_path, old_id, count_usage=lambda _: 0)

    assert server.key_ids == [new_id]
    with pytest.raises(DecryptionError):
        server.unwrap_data_key(old_wrapped, PERSON)


def test_loaded_keyring_stops_when_file_becomes_unsafe(created):
    key_path, _ = created
    server = load_keyring(key_path)
    os.chmod(key_path, 0o644)

    with pytest.raises(KeyFileError, match="chmod 600"):
        server.new_data_key(PERSON)


def test_loaded_keyring_rejects_key_changed_in_place(created):
    key_path, key_id = created
    server = load_keyring(key_path)
    document = json.loads(key_path.read_text())
    document["keys"][0]["key"] = base64.b64encode(b"k" * 32).decode()
    key_path.write_text(json.dumps(document))

    with pytest.raises(KeyFileError, match=f"bytes of master key\\(s\\) {key_id}"):
        server.new_data_key(PERSON)


def test_loaded_keyring_rejects_in_memory_changes(created):
    key_path, key_id = created
    server = load_keyring(key_path)

    with pytest.raises(KeyringError, match="add_key"):
        server.set_current(key_id)
    with pytest.raises(KeyringError, match="remove_key"):
        server.remove(key_id, usage_count=0)


def test_loaded_keyring_survives_concurrent_rotations(created):
    key_path, _ = created
    server = load_keyring(key_path)

    def wrap_and_unwrap(_: int) -> str:
        data_key, wrapped = server.new_data_key(PERSON)
        sealed = data_key.seal("mobile", "13800138000")
        return server.unwrap_data_key(wrapped, PERSON).open_text("mobile", sealed)

    with ThreadPoolExecutor(max_workers=4) as pool:
        pending = pool.map(wrap_and_unwrap, range(200))
        added = [add_key(key_path) for _ in range(5)]
        opened = list(pending)

    assert opened == ["13800138000"] * 200
    assert server.current_key_id == added[-1]


def test_remove_key_counts_usage_while_file_is_locked(created):
    key_path, old_id = created
    add_key(key_path)
    lock_path = key_path.with_name(f".{key_path.name}.lock")
    counted = []

    def count_usage(key_id: str) -> int:
        with open(lock_path, "rb") as other:
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        counted.append(key_id)
        return 1

    with pytest.raises(KeyInUseError, match=old_id):
        remove_key(key_path, old_id, count_usage=count_usage)

    assert counted == [old_id]
    assert old_id in [key.key_id for key in load_key_file(key_path).keys]


def test_remove_key_rejects_current_key_before_counting(created):
    key_path, key_id = created
    counted = []

    with pytest.raises(KeyringError, match="is current"):
        remove_key(key_path, key_id, count_usage=counted.append)

    assert counted == []
