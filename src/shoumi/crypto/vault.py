"""Master key held by HashiCorp Vault's Transit secrets engine, through ``hvac``.

The master key never leaves Vault: wrapping sends the data key to
``POST /v1/<mount>/encrypt/<name>`` and unwrapping to ``/decrypt/<name>``. Rotation
uses ``/rewrap/<name>``, which re-encrypts under the Transit key's newest version
without returning plaintext. Install the optional extra: ``pip install 'shoumi[vault]'``.

Binding to the record: Vault ignores the ``context`` parameter unless the Transit
key was created with ``derived=true`` (Vault's ``DeriveKey`` returns the raw key for
non-derived keys), and ``rewrap`` accepts no associated data. So this provider
prepends SHA-256(context) to the data key before encryption and checks it in
constant time after decryption. Transit's AES-GCM authenticates the whole
plaintext, so a wrapped key copied to another record fails for any key type. With
``derived=True`` the context is also sent for key derivation (and the key must have
been created with ``derived=true``).

Protects against: theft of the database or of this host's disk, because neither
contains the master key. Also against swapping wrapped keys between records.

Does not protect against: anyone with a Vault token allowed to call ``decrypt`` on
the key, or code running in this process, which has access to every unwrapped data
key. Transit offers no SM4, so deployments that must keep the master key in SM4 use the
local key file with an ``sm4-gcm`` key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import Any

import structlog

from shoumi.crypto.errors import DecryptionError, KekUnavailableError, KeyringError
from shoumi.crypto.formats import check_key_id
from shoumi.crypto.providers import KekProvider

logger = structlog.get_logger(__name__)

_CIPHERTEXT = re.compile(r"vault:v([1-9][0-9]*):[A-Za-z0-9+/=]+")
_DIGEST_SIZE = 32


class VaultTransitKek(KekProvider):
    """A master key stored in Vault Transit as ``key_name`` on ``mount_point``.

    ``key_id`` is the id stored in wrapped keys. It names this provider in the
    keyring and stays the same across Transit key versions, which only Vault tracks.
    Pass ``client`` to reuse a configured ``hvac.Client``. Otherwise one is built
    from ``url`` and ``token`` with a ``timeout`` in seconds. The token is never
    logged or shown in ``repr``.
    """

    def __init__(
        self,
        key_id: str,
        *,
        key_name: str,
        url: str | None = None,
        token: str | None = None,
        mount_point: str = "transit",
        derived: bool = False,
        timeout: float = 10.0,
        client: Any = None,
    ) -> None:
        self.key_id = check_key_id(key_id)
        self.key_name = key_name
        self.mount_point = mount_point
        self.derived = derived
        self.url = url
        self._hvac, self._requests = _import_hvac()
        if client is None:
            if not url or not token:
                raise KeyringError(
                    f"Vault master key {key_id} needs a url and a token, or an hvac client."
                )
            client = self._hvac.Client(url=url, token=token, timeout=timeout)
        self._client = client

    def __repr__(self) -> str:
        return (
            f"VaultTransitKek(key_id={self.key_id!r}, url={self.url!r}, "
            f"mount_point={self.mount_point!r}, key_name={self.key_name!r})"
        )

    def wrap(self, dek: bytes, context: bytes) -> bytes:
        plaintext = _context_digest(context) + dek
        response = self._call(
            "encrypt",
            self._client.secrets.transit.encrypt_data,
            plaintext=base64.b64encode(plaintext).decode("ascii"),
            **self._context_argument(context),
        )
        return self._ciphertext_from(response, "encrypt")

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        response = self._call(
            "decrypt",
            self._client.secrets.transit.decrypt_data,
            ciphertext=_ciphertext_text(wrapped),
            **self._context_argument(context),
        )
        try:
            plaintext = base64.b64decode(response["data"]["plaintext"], validate=True)
        except (KeyError, TypeError, binascii.Error):
            raise KekUnavailableError(
                f"Vault master key {self.key_id} returned a decrypt response without plaintext."
            ) from None
        digest, dek = plaintext[:_DIGEST_SIZE], plaintext[_DIGEST_SIZE:]
        if len(plaintext) <= _DIGEST_SIZE or not hmac.compare_digest(
            digest, _context_digest(context)
        ):
            raise DecryptionError()
        return dek

    def rewrap(self, wrapped: bytes, context: bytes) -> bytes | None:
        ciphertext = _ciphertext_text(wrapped)
        response = self._call(
            "rewrap",
            self._client.secrets.transit.rewrap_data,
            ciphertext=ciphertext,
            **self._context_argument(context),
        )
        rewrapped = self._ciphertext_from(response, "rewrap")
        # Transit's rewrap decrypts and encrypts again even when the ciphertext already
        # uses the newest version (builtin/logical/transit/path_rewrap.go). Storing that
        # result would change nothing, so it is dropped and reported unchanged.
        if _version(rewrapped.decode("ascii")) == _version(ciphertext):
            return None
        return rewrapped

    def _context_argument(self, context: bytes) -> dict[str, str]:
        if not self.derived:
            return {}
        return {"context": base64.b64encode(context).decode("ascii")}

    def _call(self, operation: str, method: Any, **arguments: Any) -> dict[str, Any]:
        """Call one Transit endpoint and map its errors to shoumi's.

        A rejected decrypt or rewrap raises the opaque :class:`DecryptionError`,
        because Vault responds with 400 alike to a bad tag, a malformed ciphertext and
        a disallowed key version. Vault's reason goes to the log for operators. A
        rejected encrypt, a refused token and an unreachable server raise
        :class:`KekUnavailableError`.
        """
        try:
            return method(name=self.key_name, mount_point=self.mount_point, **arguments)
        except self._hvac.exceptions.InvalidRequest as exc:
            logger.warning(
                "vault_transit_request_rejected",
                kek_id=self.key_id,
                operation=operation,
                vault_errors=list(exc.errors or []),
            )
            if operation == "encrypt":
                raise KekUnavailableError(
                    f"Vault rejected the encrypt request for master key {self.key_id} "
                    f"(Transit key {self.key_name} on {self.mount_point}): {exc}"
                ) from None
            raise DecryptionError() from None
        except self._hvac.exceptions.VaultError as exc:
            logger.error(
                "vault_transit_request_failed",
                kek_id=self.key_id,
                operation=operation,
                error_type=type(exc).__name__,
            )
            raise KekUnavailableError(
                f"Vault {operation} failed for master key {self.key_id} (Transit key "
                f"{self.key_name} on {self.mount_point}): {type(exc).__name__}. Check the "
                "token's policy and that the key exists."
            ) from None
        except self._requests.RequestException as exc:
            logger.error(
                "vault_unreachable",
                kek_id=self.key_id,
                operation=operation,
                error_type=type(exc).__name__,
            )
            raise KekUnavailableError(
                f"Vault at {self.url} is unreachable for master key {self.key_id}: "
                f"{type(exc).__name__}."
            ) from None

    def _ciphertext_from(self, response: dict[str, Any], operation: str) -> bytes:
        try:
            ciphertext = response["data"]["ciphertext"]
        except (KeyError, TypeError):
            ciphertext = None
        if not isinstance(ciphertext, str) or not _CIPHERTEXT.fullmatch(ciphertext):
            raise KekUnavailableError(
                f"Vault {operation} for master key {self.key_id} returned no valid ciphertext."
            )
        return ciphertext.encode("ascii")


def _import_hvac() -> tuple[Any, Any]:
    try:
        import hvac
        import hvac.exceptions
        import requests
    except ImportError:
        raise KeyringError(
            "The Vault master-key provider needs hvac. Install it with: pip install 'shoumi[vault]'"
        ) from None
    return hvac, requests


def _context_digest(context: bytes) -> bytes:
    return hashlib.sha256(b"shoumi.vault-context.v1" + context).digest()


def _ciphertext_text(wrapped: bytes) -> str:
    try:
        text = wrapped.decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError() from None
    if not _CIPHERTEXT.fullmatch(text):
        raise DecryptionError()
    return text


def _version(ciphertext: str) -> int:
    match = _CIPHERTEXT.fullmatch(ciphertext)
    if match is None:
        raise DecryptionError()
    return int(match.group(1))
