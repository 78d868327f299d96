from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shoumi.ledger.checkpoints import (
    Checkpoint,
    CheckpointSigner,
    CheckpointVerifier,
    hmac_sm3,
    parse_signed_note,
)
from shoumi.ledger.errors import (
    CheckpointFormatError,
    KeyFileError,
    SignatureVerificationError,
)
from shoumi.ledger.keys import (
    HMAC_KEY_FILE,
    PUBLIC_KEY_FILE,
    SIGNING_KEY_FILE,
    create_keys,
    load_hmac_key,
    load_signer,
    load_verifier,
)

NOW = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
KEY_NAME = "shoumi.test/audit"


def _checkpoint(size: int = 8, hash_name: str = "sha256") -> Checkpoint:
    return Checkpoint("shoumi.test/audit", size, bytes(range(32)), NOW, hash_name)


@pytest.fixture
def signer() -> CheckpointSigner:
    return CheckpointSigner(KEY_NAME, Ed25519PrivateKey.generate())


@pytest.fixture
def gm_signer() -> CheckpointSigner:
    return CheckpointSigner(KEY_NAME, Ed25519PrivateKey.generate(), os.urandom(32))


def test_checkpoint_body_format() -> None:
    body = _checkpoint().body()

    assert body == (
        "shoumi.test/audit\n8\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "time 2026-03-01T08:00:00.000000Z\nhash sha256\n"
    )
    assert Checkpoint.from_body(body) == _checkpoint()


def test_signed_note_matches_c2sp_shape(signer: CheckpointSigner) -> None:
    note = signer.sign(_checkpoint())

    text, signatures = parse_signed_note(note)
    assert text == _checkpoint().body()
    assert (
        note
        == text
        + "\n"
        + f"— {KEY_NAME} "
        + base64.b64encode(signatures[0].key_id + signatures[0].signature).decode()
        + "\n"
    )
    raw_public = signer.public_key().public_bytes_raw()
    expected_id = hashlib.sha256(KEY_NAME.encode() + b"\n\x01" + raw_public).digest()[:4]
    assert signatures[0].key_id == expected_id
    assert len(signatures[0].signature) == 64


def test_signed_checkpoint_verifies(signer: CheckpointSigner) -> None:
    note = signer.sign(_checkpoint())

    assert signer.verifier().verify(note) == _checkpoint()


def test_gm_mode_adds_hmac_sm3_tag(gm_signer: CheckpointSigner) -> None:
    note = gm_signer.sign(_checkpoint(hash_name="sm3"))

    _, signatures = parse_signed_note(note)
    assert len(signatures) == 2
    assert len(signatures[1].signature) == 32
    assert gm_signer.verifier().verify(note).hash_name == "sm3"


def test_public_verifier_accepts_gm_note(gm_signer: CheckpointSigner) -> None:
    note = gm_signer.sign(_checkpoint())
    public_only = CheckpointVerifier(KEY_NAME, gm_signer.public_key())

    assert public_only.verify(note) == _checkpoint()


def test_hmac_sm3_matches_stdlib_hmac() -> None:
    if "sm3" not in hashlib.algorithms_available:
        pytest.skip("this OpenSSL build has no SM3 in hashlib")
    key, message = b"k" * 32, b"checkpoint body\n"

    assert hmac_sm3(key, message) == hmac.new(key, message, "sm3").digest()


def _tampered_notes(note: str) -> dict[str, str]:
    text, _, signature_lines = note.partition("\n\n")
    first_line = signature_lines.splitlines()[0]
    name, encoded = first_line[2:].split(" ")
    raw = bytearray(base64.b64decode(encoded))
    raw[10] ^= 1
    flipped = f"— {name} {base64.b64encode(bytes(raw)).decode()}"
    return {
        "size changed": note.replace("\n8\n", "\n9\n", 1),
        "root changed": note.replace("AAEC", "AAED", 1),
        "time changed": note.replace("08:00:00", "08:00:01", 1),
        "signature bit flipped": note.replace(first_line, flipped),
        "signature removed": text + "\n\n",
        "no blank line": note.replace("\n\n", "\n"),
        "control character": note.replace("hash", "h\x07sh"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "size changed",
        "root changed",
        "time changed",
        "signature bit flipped",
        "signature removed",
        "no blank line",
        "control character",
    ],
)
def test_tampered_note_raises_opaque_error(signer: CheckpointSigner, case: str) -> None:
    note = _tampered_notes(signer.sign(_checkpoint()))[case]

    with pytest.raises(SignatureVerificationError) as raised:
        signer.verifier().verify(note)

    assert raised.value.message == "signature verification failed"
    assert raised.value.code == "ledger_signature_invalid"


def test_other_key_is_rejected(signer: CheckpointSigner) -> None:
    other = CheckpointSigner(KEY_NAME, Ed25519PrivateKey.generate())

    with pytest.raises(SignatureVerificationError):
        signer.verifier().verify(other.sign(_checkpoint()))


def test_signature_of_unknown_key_is_ignored(signer: CheckpointSigner) -> None:
    other = CheckpointSigner("someone.else/log", Ed25519PrivateKey.generate())
    note = signer.sign(_checkpoint())
    cosigned = note + other.sign(_checkpoint()).partition("\n\n")[2]

    assert signer.verifier().verify(cosigned) == _checkpoint()


def test_gm_verifier_requires_hmac_tag(gm_signer: CheckpointSigner) -> None:
    ed25519_only = CheckpointSigner(KEY_NAME, gm_signer._private_key)

    with pytest.raises(SignatureVerificationError):
        gm_signer.verifier().verify(ed25519_only.sign(_checkpoint()))


def test_gm_verifier_rejects_wrong_hmac_tag(gm_signer: CheckpointSigner) -> None:
    note = gm_signer.sign(_checkpoint())
    wrong_key = CheckpointVerifier(KEY_NAME, gm_signer.public_key(), os.urandom(32))

    with pytest.raises(SignatureVerificationError):
        wrong_key.verify(note)


@pytest.mark.parametrize(
    "body",
    [
        "log\n08\nAAAA\ntime 2026-03-01T08:00:00.000000Z\nhash sha256\n",
        "log\n8\n!!\ntime 2026-03-01T08:00:00.000000Z\nhash sha256\n",
        "log\n8\n" + base64.b64encode(bytes(32)).decode() + "\nhash sha256\n",
        "log\n8\n" + base64.b64encode(bytes(32)).decode() + "\ntime x\nhash sha256\n",
        "log\n8\n"
        + base64.b64encode(bytes(31)).decode()
        + "\ntime 2026-03-01T08:00:00.000000Z\nhash sha256\n",
        "log\n8\n"
        + base64.b64encode(bytes(32)).decode()
        + "\ntime 2026-03-01T08:00:00.000000Z\nhash md5\n",
    ],
)
def test_malformed_checkpoint_body_raises(body: str) -> None:
    with pytest.raises(CheckpointFormatError):
        Checkpoint.from_body(body)


@pytest.mark.parametrize("name", ["", "has space", "has+plus", "中文"])
def test_invalid_key_name_raises(name: str) -> None:
    with pytest.raises(CheckpointFormatError):
        CheckpointSigner(name, Ed25519PrivateKey.generate())


def test_created_keys_have_private_modes(tmp_path) -> None:
    create_keys(tmp_path, KEY_NAME, gm_mode=True)

    assert stat.S_IMODE((tmp_path / SIGNING_KEY_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / HMAC_KEY_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / PUBLIC_KEY_FILE).stat().st_mode) == 0o644


def test_loaded_signer_matches_created(tmp_path) -> None:
    created = create_keys(tmp_path, KEY_NAME, gm_mode=True)

    loaded = load_signer(tmp_path)

    assert loaded.key_id == created.key_id
    assert loaded.has_hmac_key
    assert created.verifier().verify(loaded.sign(_checkpoint())) == _checkpoint()


def test_exported_public_key_verifies_offline(tmp_path) -> None:
    signer = create_keys(tmp_path, KEY_NAME)
    public_text = (tmp_path / PUBLIC_KEY_FILE).read_text()

    verifier = load_verifier(public_text)

    assert public_text.startswith(f"{KEY_NAME}+{signer.key_id.hex()}+")
    assert verifier.verify(signer.sign(_checkpoint())) == _checkpoint()


def test_gm_verifier_from_public_text_and_hmac_file(tmp_path) -> None:
    signer = create_keys(tmp_path, KEY_NAME, gm_mode=True)

    verifier = load_verifier((tmp_path / PUBLIC_KEY_FILE).read_text(), load_hmac_key(tmp_path))

    assert verifier.verify(signer.sign(_checkpoint())) == _checkpoint()


def test_keys_are_never_overwritten(tmp_path) -> None:
    create_keys(tmp_path, KEY_NAME)

    with pytest.raises(KeyFileError) as raised:
        create_keys(tmp_path, KEY_NAME)

    assert "already exists" in raised.value.message


def test_group_readable_key_is_refused(tmp_path) -> None:
    create_keys(tmp_path, KEY_NAME)
    (tmp_path / SIGNING_KEY_FILE).chmod(0o640)

    with pytest.raises(KeyFileError) as raised:
        load_signer(tmp_path)

    assert "chmod 600" in raised.value.message


def test_missing_key_file_raises(tmp_path) -> None:
    with pytest.raises(KeyFileError) as raised:
        load_signer(tmp_path)

    assert "not found" in raised.value.message


@pytest.mark.parametrize(
    "content",
    [
        "garbage\n",
        f"PRIVATE+KEY+{KEY_NAME}+00000000+AQ==\n",
        f"PRIVATE+KEY+{KEY_NAME}+00000000+" + base64.b64encode(b"\x01" + bytes(32)).decode(),
    ],
)
def test_malformed_key_file_raises(tmp_path, content: str) -> None:
    path = tmp_path / SIGNING_KEY_FILE
    path.write_text(content)
    path.chmod(0o600)

    with pytest.raises(KeyFileError):
        load_signer(tmp_path)


def test_public_text_with_wrong_key_id_raises(tmp_path) -> None:
    create_keys(tmp_path, KEY_NAME)
    name, _key_id, key = (tmp_path / PUBLIC_KEY_FILE).read_text().strip().split("+", 2)

    with pytest.raises(KeyFileError):
        load_verifier(f"{name}+00000000+{key}")


def test_signer_repr_has_no_key_material(gm_signer: CheckpointSigner) -> None:
    text = repr(gm_signer)

    assert gm_signer._hmac_key.hex() not in text
    assert "key_id" in text


def test_key_text_with_plus_in_base64_loads(tmp_path) -> None:
    # Three bytes 0xfb 0xef 0xbe on a 3-byte boundary encode to "++++" in
    # base64, and "+" also separates the fields of a key file.
    seed = b"\x00\x00" + bytes([0xFB, 0xEF, 0xBE]) * 10
    signer = CheckpointSigner(KEY_NAME, Ed25519PrivateKey.from_private_bytes(seed))
    encoded = base64.b64encode(b"\x01" + seed).decode()
    assert "+" in encoded
    path = tmp_path / SIGNING_KEY_FILE
    path.write_text(f"PRIVATE+KEY+{KEY_NAME}+{signer.key_id.hex()}+{encoded}\n")
    path.chmod(0o600)

    assert load_signer(tmp_path).key_id == signer.key_id


def test_gm_mode_requires_hmac_key_file(tmp_path) -> None:
    create_keys(tmp_path, KEY_NAME, gm_mode=True)
    (tmp_path / HMAC_KEY_FILE).unlink()

    with pytest.raises(KeyFileError) as raised:
        load_signer(tmp_path, gm_mode=True)

    assert HMAC_KEY_FILE in raised.value.message
    assert not load_signer(tmp_path).has_hmac_key
