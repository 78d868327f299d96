"""Creation, loading and export of the checkpoint signing keys.

Files in the data directory:

``ledger-signing.key`` (mode 0600)
    ``PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 || Ed25519 seed)>``, the
    private key format of Go's ``golang.org/x/mod/sumdb/note`` package.
``ledger-hmac-sm3.key`` (mode 0600, 国密 mode only)
    ``HMAC-SM3+KEY+<name>+<key id hex>+<base64(32-byte key)>``.
``ledger-signing.pub``
    The verifier key ``<name>+<key id hex>+<base64(0x01 || public key)>``,
    the same format Go's note package reads, for offline verification.

Loading refuses a private key file that group or others may read, so a key
copied with a loose mode is noticed before it is used.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from shoumi.ledger.checkpoints import (
    ED25519_TYPE,
    HMAC_KEY_SIZE,
    CheckpointSigner,
    CheckpointVerifier,
    check_key_name,
    ed25519_key_id,
    hmac_key_id,
)
from shoumi.ledger.errors import CheckpointFormatError, KeyFileError

SIGNING_KEY_FILE: Final = "ledger-signing.key"
HMAC_KEY_FILE: Final = "ledger-hmac-sm3.key"
PUBLIC_KEY_FILE: Final = "ledger-signing.pub"

_PRIVATE_PREFIX: Final = "PRIVATE+KEY+"
_HMAC_PREFIX: Final = "HMAC-SM3+KEY+"


def _write_new_file(path: Path, content: str, mode: int) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise KeyFileError(
            f"key file {path} already exists; remove it first to replace it"
        ) from None
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(content)
    os.chmod(path, mode)


def _read_private_file(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} not found") from None
    if stat.S_IMODE(mode) & 0o077:
        raise KeyFileError(
            f"key file {path} is readable by group or others; run 'chmod 600 {path}'"
        )
    return path.read_text(encoding="ascii").strip()


def public_key_text(key_name: str, public_key: Ed25519PublicKey) -> str:
    """Return the verifier key text ``<name>+<key id hex>+<base64>`` of an Ed25519 key."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_id = ed25519_key_id(key_name, public_key).hex()
    return f"{key_name}+{key_id}+{base64.b64encode(ED25519_TYPE + raw).decode('ascii')}"


def _split_key_text(text: str, prefix: str, path_label: str) -> tuple[str, str, bytes]:
    if not text.startswith(prefix):
        raise KeyFileError(f"{path_label} does not start with {prefix!r}")
    parts = text[len(prefix) :].split("+", 2)
    if len(parts) != 3:
        raise KeyFileError(f"{path_label} must have the form {prefix}<name>+<key id>+<key>")
    name, key_id_hex, encoded = parts
    try:
        check_key_name(name)
        raw = base64.b64decode(encoded, validate=True)
    except (CheckpointFormatError, binascii.Error):
        raise KeyFileError(f"{path_label} has an invalid key name or key encoding") from None
    return name, key_id_hex, raw


def load_verifier(public_text: str, hmac_key: bytes | None = None) -> CheckpointVerifier:
    """Return the verifier for a public key text written by :func:`public_key_text`.

    Raises:
        KeyFileError: the text is malformed or its key ID does not match the key.
    """
    name, key_id_hex, raw = _split_key_text(public_text.strip(), "", "public key text")
    if len(raw) != 33 or raw[:1] != ED25519_TYPE:
        raise KeyFileError("public key text does not contain an Ed25519 key")
    verifier = CheckpointVerifier(name, Ed25519PublicKey.from_public_bytes(raw[1:]), hmac_key)
    if verifier.key_id.hex() != key_id_hex:
        raise KeyFileError("public key text has a key ID that does not match its key")
    return verifier


def create_keys(directory: Path, key_name: str, *, gm_mode: bool = False) -> CheckpointSigner:
    """Generate the signing key (and in 国密 mode the HMAC-SM3 key) in ``directory``.

    Raises:
        KeyFileError: a key file already exists; keys are never overwritten.
    """
    check_key_name(key_name)
    directory = Path(directory)
    private_key = Ed25519PrivateKey.generate()
    hmac_key = os.urandom(HMAC_KEY_SIZE) if gm_mode else None
    signer = CheckpointSigner(key_name, private_key, hmac_key)

    for name in (SIGNING_KEY_FILE, HMAC_KEY_FILE, PUBLIC_KEY_FILE):
        if (directory / name).exists():
            raise KeyFileError(
                f"key file {directory / name} already exists; remove it first to replace it"
            )
    seed = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    seed_text = base64.b64encode(ED25519_TYPE + seed).decode("ascii")
    _write_new_file(
        directory / SIGNING_KEY_FILE,
        f"{_PRIVATE_PREFIX}{key_name}+{signer.key_id.hex()}+{seed_text}\n",
        0o600,
    )
    if hmac_key is not None:
        hmac_text = base64.b64encode(hmac_key).decode("ascii")
        tag_id = hmac_key_id(key_name, hmac_key).hex()
        _write_new_file(
            directory / HMAC_KEY_FILE, f"{_HMAC_PREFIX}{key_name}+{tag_id}+{hmac_text}\n", 0o600
        )
    _write_new_file(
        directory / PUBLIC_KEY_FILE, public_key_text(key_name, signer.public_key()) + "\n", 0o644
    )
    return signer


def load_signer(directory: Path, *, gm_mode: bool = False) -> CheckpointSigner:
    """Load the signer from ``directory``, with the HMAC-SM3 key when its file exists.

    With ``gm_mode`` the HMAC-SM3 key file is required, so a deleted key
    stops start-up instead of silently dropping the HMAC-SM3 tags.

    Raises:
        KeyFileError: a required key file is missing, malformed, readable
            by group or others, or its key ID does not match its key.
    """
    directory = Path(directory)
    if gm_mode and not (directory / HMAC_KEY_FILE).exists():
        raise KeyFileError(
            f"key file {directory / HMAC_KEY_FILE} not found; 国密 mode needs the HMAC-SM3 key"
        )
    path = directory / SIGNING_KEY_FILE
    name, key_id_hex, raw = _split_key_text(_read_private_file(path), _PRIVATE_PREFIX, str(path))
    if len(raw) != 33 or raw[:1] != ED25519_TYPE:
        raise KeyFileError(f"{path} does not contain an Ed25519 key")

    hmac_key = None
    hmac_path = directory / HMAC_KEY_FILE
    if hmac_path.exists():
        hmac_name, tag_id_hex, hmac_key = _split_key_text(
            _read_private_file(hmac_path), _HMAC_PREFIX, str(hmac_path)
        )
        if hmac_name != name or len(hmac_key) != HMAC_KEY_SIZE:
            raise KeyFileError(f"{hmac_path} does not match the signing key {name!r}")
        if hmac_key_id(name, hmac_key).hex() != tag_id_hex:
            raise KeyFileError(f"{hmac_path} has a key ID that does not match its key")

    signer = CheckpointSigner(name, Ed25519PrivateKey.from_private_bytes(raw[1:]), hmac_key)
    if signer.key_id.hex() != key_id_hex:
        raise KeyFileError(f"{path} has a key ID that does not match its key")
    return signer


def load_hmac_key(directory: Path) -> bytes:
    """Return the HMAC-SM3 key stored in ``directory``, for a verifier in 国密 mode.

    Raises:
        KeyFileError: the key file is missing, malformed or readable by others.
    """
    path = Path(directory) / HMAC_KEY_FILE
    _, _, hmac_key = _split_key_text(_read_private_file(path), _HMAC_PREFIX, str(path))
    if len(hmac_key) != HMAC_KEY_SIZE:
        raise KeyFileError(f"{path} does not contain a {HMAC_KEY_SIZE}-byte key")
    return hmac_key
