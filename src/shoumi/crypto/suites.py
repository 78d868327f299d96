"""The two cipher suites and the primitives behind them.

``aes-256-gcm`` pairs AES-256 in GCM mode with HMAC-SHA256 and HKDF-SHA256 (the
default). ``sm4-gcm`` pairs SM4 (GB/T 32907-2016) in GCM mode (as in RFC 8998) with
HMAC-SM3 and HKDF-SM3 (GB/T 32905-2016), for deployments that must use the Chinese
commercial algorithms. Both come from the ``cryptography`` package, which calls OpenSSL.

Protects against: disclosure and undetected modification of a value, provided the key
stays secret and no (key, nonce) pair repeats. Every AEAD call takes a fresh random
96-bit nonce.

Does not protect against: nonce collisions beyond the per-key limit. NIST SP 800-38D
section 8.3 caps GCM with random 96-bit nonces at 2**32 encryptions per key, which
keeps the chance of a repeated nonce below 2**-32. The same bound applies to SM4-GCM
because SM4 also has a 128-bit block. Callers stay far below it because each client
record has its own data key (see :mod:`shoumi.crypto.keyring`). GCM also reveals the
plaintext length.
"""

from __future__ import annotations

import hmac as std_hmac
import os
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shoumi.crypto.errors import DecryptionError, UnknownSuiteError

DEFAULT_SUITE = "aes-256-gcm"
NONCE_SIZE = 12
TAG_SIZE = 16

# Encryptions allowed per key with random 96-bit nonces (NIST SP 800-38D, section 8.3).
MAX_MESSAGES_PER_KEY = 2**32


class Aead(Protocol):
    """An AEAD cipher bound to one key: ``encrypt`` returns ciphertext followed by the tag."""

    def encrypt(self, nonce: bytes, data: bytes, associated_data: bytes) -> bytes: ...

    def decrypt(self, nonce: bytes, data: bytes, associated_data: bytes) -> bytes: ...


class _AesGcm:
    """AES-256-GCM through ``AESGCM``. A failed tag check raises :class:`DecryptionError`."""

    def __init__(self, key: bytes | bytearray) -> None:
        self._aead = AESGCM(key)

    def encrypt(self, nonce: bytes, data: bytes, associated_data: bytes) -> bytes:
        return self._aead.encrypt(nonce, data, associated_data)

    def decrypt(self, nonce: bytes, data: bytes, associated_data: bytes) -> bytes:
        try:
            return self._aead.decrypt(nonce, data, associated_data)
        except InvalidTag:
            raise DecryptionError() from None


class _Sm4Gcm:
    """SM4-GCM through the ``Cipher`` API, which has no one-shot AEAD class for SM4."""

    def __init__(self, key: bytes | bytearray) -> None:
        # The caller's buffer is kept by reference, so zeroising it also clears this copy.
        # algorithms.SM4 is typed for bytes but accepts any bytes-like object.
        self._key: bytes = key  # type: ignore[assignment]

    def encrypt(self, nonce: bytes, data: bytes, associated_data: bytes) -> bytes:
        encryptor = Cipher(algorithms.SM4(self._key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(associated_data)
        ciphertext = encryptor.update(data) + encryptor.finalize()
        return ciphertext + encryptor.tag

    def decrypt(self, nonce: bytes, data: bytes, associated_data: bytes) -> bytes:
        if len(data) < TAG_SIZE:
            raise DecryptionError()
        tag = data[-TAG_SIZE:]
        decryptor = Cipher(algorithms.SM4(self._key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(associated_data)
        # update() returns unauthenticated bytes. They are returned only after
        # finalize() has checked the tag.
        plaintext = decryptor.update(data[:-TAG_SIZE])
        try:
            return plaintext + decryptor.finalize()
        except InvalidTag:
            raise DecryptionError() from None


@dataclass(frozen=True)
class Suite:
    """A named pairing of an AEAD cipher with the hash used for HMAC and HKDF.

    ``code`` is the byte that the binary ciphertext format stores for the suite, and
    ``key_size`` is the AEAD key length in bytes.
    """

    name: str
    code: int
    key_size: int
    hash_name: str

    def hash_algorithm(self) -> hashes.HashAlgorithm:
        """Return a fresh ``cryptography`` hash object for HMAC and HKDF."""
        if self.hash_name == "sha256":
            return hashes.SHA256()
        return hashes.SM3()

    def new_aead(self, key: bytes | bytearray) -> Aead:
        """Return the suite's AEAD cipher keyed with ``key``."""
        if len(key) != self.key_size:
            raise ValueError(f"{self.name} needs a {self.key_size}-byte key, got {len(key)} bytes")
        if self.name == "aes-256-gcm":
            return _AesGcm(key)
        return _Sm4Gcm(key)

    def encrypt(self, key: bytes | bytearray, plaintext: bytes, associated_data: bytes) -> bytes:
        """Encrypt under a fresh random nonce and return ``nonce || ciphertext || tag``."""
        return encrypt_with(self.new_aead(key), plaintext, associated_data)

    def decrypt(self, key: bytes | bytearray, sealed: bytes, associated_data: bytes) -> bytes:
        """Decrypt ``nonce || ciphertext || tag`` or raise :class:`DecryptionError`."""
        return decrypt_with(self.new_aead(key), sealed, associated_data)

    def hmac(self, key: bytes | bytearray, message: bytes) -> bytes:
        """Return the full HMAC of ``message`` under the suite's hash."""
        if self.hash_name == "sha256":
            return std_hmac.digest(key, message, "sha256")
        mac = crypto_hmac.HMAC(key, self.hash_algorithm())
        mac.update(message)
        return mac.finalize()

    def derive_key(self, secret: bytes | bytearray, *, info: bytes, length: int) -> bytearray:
        """Derive ``length`` bytes from ``secret`` with HKDF (RFC 5869, no salt).

        The result is a ``bytearray`` so that the caller can zeroise it.
        """
        hkdf = HKDF(algorithm=self.hash_algorithm(), length=length, salt=None, info=info)
        derived = bytearray(length)
        if hasattr(hkdf, "derive_into"):
            hkdf.derive_into(secret, derived)
        else:
            # NOTE: cryptography releases without derive_into return immutable bytes,
            # which stay in memory until garbage collection.
            derived[:] = hkdf.derive(bytes(secret))
        return derived


def encrypt_with(aead: Aead, plaintext: bytes, associated_data: bytes) -> bytes:
    """Encrypt with a keyed AEAD under a fresh nonce and return ``nonce || ciphertext || tag``."""
    nonce = os.urandom(NONCE_SIZE)
    return nonce + aead.encrypt(nonce, plaintext, associated_data)


def decrypt_with(aead: Aead, sealed: bytes, associated_data: bytes) -> bytes:
    """Decrypt ``nonce || ciphertext || tag`` with a keyed AEAD or raise DecryptionError."""
    if len(sealed) < NONCE_SIZE + TAG_SIZE:
        raise DecryptionError()
    nonce, body = sealed[:NONCE_SIZE], sealed[NONCE_SIZE:]
    return aead.decrypt(nonce, body, associated_data)


AES_256_GCM = Suite(name="aes-256-gcm", code=1, key_size=32, hash_name="sha256")
SM4_GCM = Suite(name="sm4-gcm", code=2, key_size=16, hash_name="sm3")

SUITES: dict[str, Suite] = {suite.name: suite for suite in (AES_256_GCM, SM4_GCM)}
_SUITES_BY_CODE: dict[int, Suite] = {suite.code: suite for suite in SUITES.values()}


def get_suite(name: str) -> Suite:
    """Return the suite called ``name`` or raise :class:`UnknownSuiteError`."""
    try:
        return SUITES[name]
    except KeyError:
        expected = ", ".join(sorted(SUITES))
        raise UnknownSuiteError(
            f"Unknown cipher suite {name!r}. Expected one of: {expected}."
        ) from None


def suite_for_code(code: int) -> Suite:
    """Return the suite stored as ``code`` in a ciphertext, or raise :class:`DecryptionError`."""
    try:
        return _SUITES_BY_CODE[code]
    except KeyError:
        raise DecryptionError() from None
