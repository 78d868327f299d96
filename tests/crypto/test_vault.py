"""Vault Transit master key, tested through hvac against a fake Transit server on 127.0.0.1."""

from __future__ import annotations

import base64
import os
import socket

import pytest
import structlog

from shoumi.crypto.context import RecordContext
from shoumi.crypto.errors import DecryptionError, KekUnavailableError, KeyringError
from shoumi.crypto.formats import WrappedKey
from shoumi.crypto.keyring import Keyring
from shoumi.crypto.providers import LocalKek
from shoumi.crypto.suites import AES_256_GCM
from shoumi.crypto.vault import VaultTransitKek
from tests.crypto.fake_transit import FakeTransitServer

TOKEN = "test-token-" + "0" * 16
PERSON = RecordContext("clients.Person", 42)
OTHER_PERSON = RecordContext("clients.Person", 43)
RESIDENT_ID = "33010619880315019X"


@pytest.fixture
def vault():
    server = FakeTransitServer(TOKEN).start()
    server.transit.create_key("shoumi")
    yield server
    server.stop()


def vault_kek(server: FakeTransitServer, **options) -> VaultTransitKek:
    options.setdefault("key_name", "shoumi")
    return VaultTransitKek("vault-main", url=server.url, token=TOKEN, timeout=5, **options)


@pytest.fixture
def keyring(vault) -> Keyring:
    return Keyring([vault_kek(vault)], current="vault-main")


def test_data_key_round_trips_through_vault(keyring, vault):
    data_key, wrapped = keyring.new_data_key(PERSON)
    sealed = data_key.seal("resident_id", RESIDENT_ID)

    reopened = keyring.unwrap_data_key(wrapped.to_text(), PERSON)

    assert wrapped.kek_id == "vault-main"
    assert wrapped.payload.startswith(b"vault:v1:")
    assert reopened.open_text("resident_id", sealed) == RESIDENT_ID
    assert [operation for operation, _ in vault.transit.requests] == ["encrypt", "decrypt"]


def test_vault_never_receives_the_bare_data_key(keyring, vault):
    data_key, _ = keyring.new_data_key(PERSON)

    sent = base64.b64decode(vault.transit.requests[0][1]["plaintext"])

    assert len(sent) == 32 + 32
    assert sent[32:] == bytes(data_key._key)
    assert "context" not in vault.transit.requests[0][1]


def test_wrapped_key_moved_to_another_record_fails(keyring):
    _, wrapped = keyring.new_data_key(PERSON)

    with pytest.raises(DecryptionError):
        keyring.unwrap_data_key(wrapped, OTHER_PERSON)


@pytest.mark.parametrize("index", [0, 9, 20, -1])
def test_tampered_vault_ciphertext_fails_opaquely(keyring, index):
    _, wrapped = keyring.new_data_key(PERSON)
    payload = bytearray(wrapped.payload)
    payload[index] = ord("A") if payload[index] != ord("A") else ord("B")
    tampered = WrappedKey(wrapped.kek_id, wrapped.key_id, bytes(payload))

    with structlog.testing.capture_logs(), pytest.raises(DecryptionError):
        keyring.unwrap_data_key(tampered, PERSON)


def test_rejected_decrypt_is_logged_with_vaults_reason(keyring):
    _, wrapped = keyring.new_data_key(PERSON)
    tampered = WrappedKey(wrapped.kek_id, wrapped.key_id, wrapped.payload[:-4] + b"AAAA")

    with structlog.testing.capture_logs() as logs, pytest.raises(DecryptionError):
        keyring.unwrap_data_key(tampered, PERSON)

    assert logs[0]["event"] == "vault_transit_request_rejected"
    assert logs[0]["operation"] == "decrypt"
    assert logs[0]["vault_errors"]


def test_rewrap_after_vault_rotation_is_changed_then_unchanged(keyring, vault):
    data_key, wrapped = keyring.new_data_key(PERSON)
    sealed = data_key.seal("resident_id", RESIDENT_ID)
    vault.transit.rotate("shoumi")

    first = keyring.rewrap_data_key(wrapped, PERSON)
    second = keyring.rewrap_data_key(first.wrapped, PERSON)

    assert first.changed
    assert first.wrapped.payload.startswith(b"vault:v2:")
    assert first.wrapped.kek_id == "vault-main"
    assert not second.changed
    assert second.wrapped == first.wrapped
    reopened = keyring.unwrap_data_key(first.wrapped, PERSON)
    assert reopened.open_text("resident_id", sealed) == RESIDENT_ID


def test_rewrap_without_vault_rotation_is_unchanged(keyring):
    _, wrapped = keyring.new_data_key(PERSON)

    result = keyring.rewrap_data_key(wrapped, PERSON)

    assert not result.changed
    assert result.wrapped == wrapped


def test_rewrap_from_local_key_to_vault(vault):
    local = LocalKek("kek-local", os.urandom(32), AES_256_GCM)
    keyring = Keyring([local], current="kek-local")
    data_key, wrapped = keyring.new_data_key(PERSON)
    sealed = data_key.seal("resident_id", RESIDENT_ID)
    keyring.add(vault_kek(vault), make_current=True)

    result = keyring.rewrap_data_key(wrapped, PERSON)
    keyring.remove("kek-local", usage_count=0)

    assert result.changed
    assert result.wrapped.kek_id == "vault-main"
    assert (
        keyring.unwrap_data_key(result.wrapped, PERSON).open_text("resident_id", sealed)
        == RESIDENT_ID
    )


def test_derived_key_sends_context_and_binds_it(vault):
    vault.transit.create_key("derived", derived=True)
    keyring = Keyring([vault_kek(vault, key_name="derived", derived=True)], current="vault-main")

    data_key, wrapped = keyring.new_data_key(PERSON)
    vault.transit.rotate("derived")
    rewrapped = keyring.rewrap_data_key(wrapped, PERSON)

    assert all("context" in body for _, body in vault.transit.requests)
    assert keyring.unwrap_data_key(rewrapped.wrapped, PERSON).key_id == data_key.key_id
    with pytest.raises(DecryptionError):
        keyring.unwrap_data_key(wrapped, OTHER_PERSON)


def test_derived_key_without_context_is_refused_by_vault(vault):
    vault.transit.create_key("derived", derived=True)
    keyring = Keyring([vault_kek(vault, key_name="derived")], current="vault-main")

    with (
        structlog.testing.capture_logs(),
        pytest.raises(KekUnavailableError, match="missing 'context'"),
    ):
        keyring.new_data_key(PERSON)


def test_wrong_token_is_reported_as_unavailable(vault):
    provider = VaultTransitKek("vault-main", url=vault.url, token="wrong", key_name="shoumi")
    keyring = Keyring([provider], current="vault-main")

    with structlog.testing.capture_logs() as logs, pytest.raises(KekUnavailableError) as error:
        keyring.new_data_key(PERSON)

    assert "Forbidden" in error.value.message
    assert "vault-main" in error.value.message
    assert "wrong" not in error.value.message
    assert logs[0]["event"] == "vault_transit_request_failed"


def test_unreachable_vault_is_reported_as_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = VaultTransitKek(
        "vault-main", url=f"http://127.0.0.1:{port}", token=TOKEN, key_name="shoumi", timeout=2
    )
    keyring = Keyring([provider], current="vault-main")

    with structlog.testing.capture_logs() as logs, pytest.raises(KekUnavailableError) as error:
        keyring.new_data_key(PERSON)

    assert f"127.0.0.1:{port} is unreachable" in error.value.message
    assert logs[0]["event"] == "vault_unreachable"


def test_unknown_transit_key_on_decrypt_fails_opaquely(keyring, vault):
    _, wrapped = keyring.new_data_key(PERSON)
    vault.transit.keys.clear()

    with structlog.testing.capture_logs() as logs, pytest.raises(DecryptionError):
        keyring.unwrap_data_key(wrapped, PERSON)

    assert logs[0]["vault_errors"] == ["encryption key not found"]


def test_non_vault_payload_fails_without_calling_vault(keyring, vault):
    wrapped = WrappedKey("vault-main", "dek-0000000000000000", b"not a vault ciphertext")

    with pytest.raises(DecryptionError):
        keyring.unwrap_data_key(wrapped, PERSON)

    assert vault.transit.requests == []


def test_provider_needs_url_and_token_or_client():
    with pytest.raises(KeyringError, match="needs a url and a token"):
        VaultTransitKek("vault-main", key_name="shoumi", url="http://127.0.0.1:8200")


def test_repr_hides_the_token(vault):
    provider = vault_kek(vault)

    assert TOKEN not in repr(provider)
    assert "vault-main" in repr(provider)


def test_logs_never_hold_token_or_key_material(keyring, vault):
    with structlog.testing.capture_logs() as logs:
        data_key, wrapped = keyring.new_data_key(PERSON)
        tampered = WrappedKey(wrapped.kek_id, wrapped.key_id, wrapped.payload[:-4] + b"AAAA")
        with pytest.raises(DecryptionError):
            keyring.unwrap_data_key(tampered, PERSON)

    assert TOKEN not in repr(logs)
    assert data_key._key.hex() not in repr(logs)
