"""The checkpoint signing keys of the audit log, kept in the data directory's ``secrets/``.

The Ed25519 key (and in 国密 mode the HMAC-SM3 key) is created on first use
with mode 0600 by :func:`shoumi.ledger.create_keys` and never overwritten.
A file lock serialises creation, so two processes that start together end
up with one key pair. The key name becomes the log's origin, which every
checkpoint states: it comes from ``settings.AUDIT_LOG_ORIGIN`` once, when
the key is created, and the key file decides it from then on.

What this does not protect against: anyone who can read the key files as
the service's user can sign false checkpoints and compute leaf tags. A
checkpoint exported and kept outside the system (``shoumi audit checkpoint
--export``) is the defence against that.
"""

from __future__ import annotations

import fcntl
import os
import stat
import threading
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from shoumi.config.secrets import SECRETS_FOLDER, ensure_private_dir
from shoumi.ledger import CheckpointSigner, CheckpointVerifier, LeafTagger, create_keys, load_signer
from shoumi.ledger.errors import CheckpointFormatError, KeyFileError
from shoumi.ledger.keys import SIGNING_KEY_FILE

LOCK_FILE = ".ledger-keys.lock"

_cache_lock = threading.Lock()
_signers: dict[tuple[Path, bool], CheckpointSigner] = {}
_taggers: dict[tuple[object, bool, str], LeafTagger] = {}


def key_directory() -> Path:
    """Return the folder that contains the ledger key files."""
    return Path(settings.DATA_DIR) / SECRETS_FOLDER


def _load_or_create(directory: Path, gm_mode: bool) -> CheckpointSigner:
    ensure_private_dir(directory)
    descriptor = os.open(directory / LOCK_FILE, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "w") as lock:
        # Older versions created the lock file with the umask's mode, usually 0644.
        # It contains nothing, but `shoumi check-deploy` reports every file in
        # secrets/ that others can read, so the mode is tightened here.
        if stat.S_IMODE(os.fstat(descriptor).st_mode) & 0o077:
            os.fchmod(descriptor, 0o600)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (directory / SIGNING_KEY_FILE).exists():
            try:
                return create_keys(directory, settings.AUDIT_LOG_ORIGIN, gm_mode=gm_mode)
            except CheckpointFormatError as error:
                raise ImproperlyConfigured(
                    f"SHOUMI_AUDIT_ORIGIN={settings.AUDIT_LOG_ORIGIN!r} is not a valid log "
                    "origin: use printable ASCII without spaces or '+', "
                    "for example 'shoumi.example.cn/audit'."
                ) from error
        return load_signer(directory, gm_mode=gm_mode)


def log_signer() -> CheckpointSigner:
    """Return the signer of the audit log, creating its keys on first use.

    Raises:
        ImproperlyConfigured: a key file is unreadable, malformed or readable
            by others, 国密 mode lacks its HMAC-SM3 key, or the configured
            origin is not a valid key name.
    """
    directory = key_directory()
    cache_key = (directory, bool(settings.GUOMI_MODE))
    with _cache_lock:
        signer = _signers.get(cache_key)
        if signer is None:
            try:
                signer = _load_or_create(directory, bool(settings.GUOMI_MODE))
            except KeyFileError as error:
                raise ImproperlyConfigured(
                    f"The audit log signing key is not usable: {error}"
                ) from error
            _signers[cache_key] = signer
    return signer


def log_verifier() -> CheckpointVerifier:
    """Return the verifier of the log's checkpoints, with the HMAC-SM3 key when there is one."""
    return log_signer().verifier()


def log_leaf_tagger(hash_name: str) -> LeafTagger:
    """Return the leaf tagger for a log hashed with ``hash_name``.

    Deriving the tag key with HKDF costs about as much as 18 tags (measured
    with SHA-256 on the benchmark machine), so the tagger is kept per process.
    """
    # Keyed by the setting rather than key_directory(), whose Path costs
    # more than the lookup; every append asks for the tagger.
    cache_key = (settings.DATA_DIR, bool(settings.GUOMI_MODE), hash_name)
    tagger = _taggers.get(cache_key)
    if tagger is None:
        signer = log_signer()
        with _cache_lock:
            tagger = _taggers[cache_key] = signer.leaf_tagger(hash_name)
    return tagger


def log_origin() -> str:
    """Return the origin line that the log's checkpoints carry."""
    return log_signer().key_name


def forget_signers() -> None:
    """Drop the cached signers, for tests that switch the data directory or 国密 mode."""
    with _cache_lock:
        _signers.clear()
        _taggers.clear()
