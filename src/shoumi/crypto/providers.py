"""Master-key (KEK) providers: the interface and the local in-memory key.

A provider wraps (encrypts) and unwraps data keys under one master key. ``context``
is associated data that the provider must bind to the wrapped bytes, so that a
wrapped key copied to another record fails to unwrap. The keyring builds the context
from the master key id, the wrapped key's id and the owning record.

Protects against: reading data keys from a stolen database or backup without the
master key, and swapping wrapped keys between records.

Does not protect against: an attacker who has the master key or runs code in the
process. Python cannot guarantee that key bytes are erased from memory (see
:mod:`shoumi.crypto.keyring`).
"""

from __future__ import annotations

import abc
import hmac

from shoumi.crypto.errors import KeyDestroyedError
from shoumi.crypto.formats import check_key_id
from shoumi.crypto.suites import Aead, Suite, decrypt_with, encrypt_with


class KekProvider(abc.ABC):
    """A master key that wraps and unwraps data keys.

    ``key_id`` is the id that wrapped keys store to name this master key. It must stay
    stable for as long as any wrapped key refers to it.
    """

    key_id: str

    @abc.abstractmethod
    def wrap(self, dek: bytes, context: bytes) -> bytes:
        """Encrypt ``dek`` bound to ``context`` and return the provider's output."""

    @abc.abstractmethod
    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        """Decrypt ``wrapped`` or raise :class:`~shoumi.crypto.errors.DecryptionError`.

        Fails when ``context`` differs from the one given to :meth:`wrap`.
        """

    def rewrap(self, wrapped: bytes, context: bytes) -> bytes | None:
        """Re-encrypt ``wrapped`` under the provider's newest internal key version.

        Returns None when ``wrapped`` already uses the newest version. Providers
        without internal versions, like the local key file, always return None,
        because each of their keys is a separate master key in the keyring.
        """
        return None

    def destroy(self) -> None:  # noqa: B027 - optional hook, not every provider keeps key bytes
        """Zeroise any key material this provider keeps in memory."""


class LocalKek(KekProvider):
    """A master key held in memory, loaded from the local key file.

    The key bytes are copied into a ``bytearray`` that :meth:`destroy` overwrites.
    Wrapping uses the key's own suite (``aes-256-gcm`` or ``sm4-gcm``) with the
    context as associated data. Each call takes a fresh random nonce, so one master
    key can wrap up to 2**32 data keys (see :mod:`shoumi.crypto.suites`). The
    keyed cipher is built once, because building it took about as long as the
    wrapping itself. For AES, OpenSSL holds its own copy of the key in that
    cipher, which :meth:`destroy` releases but cannot overwrite.
    """

    def __init__(self, key_id: str, key: bytes | bytearray, suite: Suite) -> None:
        self.key_id = check_key_id(key_id)
        if len(key) != suite.key_size:
            raise ValueError(
                f"Master key {key_id} must be {suite.key_size} bytes for {suite.name}, "
                f"got {len(key)} bytes."
            )
        self.suite = suite
        self._key = bytearray(key)
        self._aead: Aead | None = suite.new_aead(self._key)

    def __repr__(self) -> str:
        return f"LocalKek(key_id={self.key_id!r}, suite={self.suite.name!r})"

    def wrap(self, dek: bytes, context: bytes) -> bytes:
        return encrypt_with(self._cipher(), dek, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        return decrypt_with(self._cipher(), wrapped, context)

    def has_same_key(self, other: LocalKek) -> bool:
        """Return whether ``other`` holds the same id, suite and key bytes (constant-time)."""
        return (
            self.key_id == other.key_id
            and self.suite == other.suite
            and hmac.compare_digest(self._key, other._key)
        )

    def destroy(self) -> None:
        self._key[:] = bytes(len(self._key))
        self._aead = None

    def _cipher(self) -> Aead:
        # A zeroised key would still encrypt, under an all-zero key.
        if self._aead is None:
            raise KeyDestroyedError(f"Master key {self.key_id} was destroyed in memory.")
        return self._aead
