"""Exceptions of :mod:`shoumi.crypto`.

Every failure to decrypt or verify raises :class:`DecryptionError` with the same
message, whatever the cause (wrong key, tampered bytes, ciphertext moved to another
record or field, malformed input, unknown key id). A caller or attacker therefore
learns nothing from the error beyond "this value does not open here". The other
errors describe configuration and misuse, and their messages name the key id, path
or setting involved. No message contains plaintext, key material or ciphertext.
"""

from __future__ import annotations

from shoumi.errors import ShoumiError


class CryptoError(ShoumiError):
    """Base class of the errors raised by :mod:`shoumi.crypto`."""

    code = "crypto_error"


class DecryptionError(CryptoError):
    """A ciphertext or wrapped key failed to decrypt or verify.

    The message never varies, so the error cannot serve as an oracle.
    """

    code = "decryption_failed"

    def __init__(self) -> None:
        super().__init__("Decryption failed.")


class UnknownSuiteError(CryptoError):
    """A cipher suite name is not one that shoumi supports."""

    code = "suite_unknown"


class KeyFileError(CryptoError):
    """The local master-key file is missing, unsafe or invalid."""

    code = "key_file_invalid"


class KeyringError(CryptoError):
    """The keyring was configured or used inconsistently."""

    code = "keyring_invalid"


class KeyInUseError(KeyringError):
    """A master key cannot be removed because wrapped keys still depend on it."""

    code = "key_in_use"


class KekUnavailableError(CryptoError):
    """The master-key provider (for example Vault) could not be reached or refused."""

    code = "kek_unavailable"


class KeyDestroyedError(CryptoError):
    """A key was destroyed: in memory by ``destroy()``, or for good by shredding."""

    code = "key_destroyed"
