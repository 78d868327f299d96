"""The process-wide keyring and blind-index keys, loaded on first use.

The master key comes from the key file named by ``SHOUMI_KEY_FILE`` (or from
HashiCorp Vault Transit when ``SHOUMI_KEK_PROVIDER=vault``). A missing or
unsafe key file is a configuration error: the ``vault.E001`` system check
stops ``runserver`` and ``migrate``, and the WSGI entry point loads the
keyring before serving, so the service refuses to start rather than run
without protection. The keyring follows the key file: when ``shoumi keys
rotate`` or ``retire`` changes the file, a running process reloads it on its
next wrap or unwrap (see :class:`~shoumi.crypto.KeyFileKeyring`), so no
restart is needed.

The blind-index root key is created once per deployment, stored wrapped by
the master key in :class:`~shoumi.vault.models.StoredKey`, and unwrapped
here. During a blind-index rotation a second root key (``blind_index_next``)
exists and both indexes are written, so search keeps working.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import structlog
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction

from shoumi import crypto
from shoumi.vault.errors import VaultUnavailableError

logger = structlog.get_logger(__name__)

BLIND_INDEX_ROOT = "blind_index_root"
BLIND_INDEX_NEXT = "blind_index_next"


@dataclass
class Vault:
    keyring: crypto.Keyring
    suite: str
    index_key: crypto.BlindIndexKey
    next_index_key: crypto.BlindIndexKey | None
    _indexers: dict[tuple[str, str, str], crypto.BlindIndexer] = field(default_factory=dict)

    def indexer(
        self, model_label: str, field_name: str, *, next_key: bool = False
    ) -> crypto.BlindIndexer | None:
        """Return the blind indexer of a field, or None for the next key when no rotation runs."""
        key = self.next_index_key if next_key else self.index_key
        if key is None:
            return None
        cache_key = (key.key_id, model_label, field_name)
        if cache_key not in self._indexers:
            self._indexers[cache_key] = key.indexer(model_label, field_name)
        return self._indexers[cache_key]


_lock = threading.Lock()
_vault: Vault | None = None


def load_keyring() -> crypto.Keyring:
    """Load the master keyring from the configured provider, or raise ImproperlyConfigured."""
    provider = settings.KEK_PROVIDER
    if provider == "file":
        if not settings.KEY_FILE:
            raise ImproperlyConfigured(
                "SHOUMI_KEY_FILE is not set. Point it at the master key file (outside the data "
                "directory); `shoumi keys init` creates one."
            )
        try:
            return crypto.load_keyring(settings.KEY_FILE)
        except crypto.KeyFileError as error:
            raise ImproperlyConfigured(str(error)) from error
    if provider == "vault":
        if not settings.VAULT_ADDR:
            raise ImproperlyConfigured("SHOUMI_KEK_PROVIDER=vault needs SHOUMI_VAULT_ADDR.")
        token = os.environ.get("SHOUMI_VAULT_TOKEN")
        if not token:
            raise ImproperlyConfigured(
                "SHOUMI_KEK_PROVIDER=vault needs SHOUMI_VAULT_TOKEN in the environment."
            )
        from shoumi.crypto.vault import VaultTransitKek

        kek = VaultTransitKek(
            f"vault-{settings.VAULT_TRANSIT_KEY}",
            key_name=settings.VAULT_TRANSIT_KEY,
            url=settings.VAULT_ADDR,
            token=token,
            mount_point=settings.VAULT_TRANSIT_MOUNT,
        )
        return crypto.Keyring([kek], current=kek.key_id)
    raise ImproperlyConfigured(
        f"SHOUMI_KEK_PROVIDER={provider!r} is unknown; use 'file' or 'vault'."
    )


def get_vault() -> Vault:
    """Return the loaded vault, loading it on first use; raise VaultUnavailableError on failure."""
    global _vault
    if _vault is not None:
        return _vault
    with _lock:
        if _vault is None:
            _vault = _load_vault()
        return _vault


def reset_vault() -> None:
    """Forget the loaded vault, so the next use loads the keys and blind-index keys again."""
    global _vault
    with _lock:
        if _vault is not None:
            _vault.index_key.destroy()
            if _vault.next_index_key is not None:
                _vault.next_index_key.destroy()
        _vault = None


def _load_vault() -> Vault:
    try:
        keyring = load_keyring()
    except ImproperlyConfigured as error:
        logger.critical("vault_keyring_unavailable", error=str(error))
        raise VaultUnavailableError("The master key is not available.") from error
    try:
        index_key = _load_or_create_index_key(keyring)
        next_index_key = _load_index_key(keyring, BLIND_INDEX_NEXT)
    except crypto.CryptoError as error:
        logger.critical("vault_index_key_unavailable", error_type=type(error).__name__)
        raise VaultUnavailableError("The blind-index key could not be unwrapped.") from error
    return Vault(
        keyring=keyring,
        suite=settings.CRYPTO_SUITE,
        index_key=index_key,
        next_index_key=next_index_key,
    )


def _load_index_key(keyring: crypto.Keyring, name: str) -> crypto.BlindIndexKey | None:
    from shoumi.vault.models import StoredKey

    stored = StoredKey.objects.filter(name=name).first()
    if stored is None:
        return None
    return crypto.BlindIndexKey.load(keyring, stored.wrapped)


def _load_or_create_index_key(keyring: crypto.Keyring) -> crypto.BlindIndexKey:
    from shoumi.vault.models import StoredKey

    existing = _load_index_key(keyring, BLIND_INDEX_ROOT)
    if existing is not None:
        return existing
    key, wrapped = crypto.BlindIndexKey.create(keyring, suite=settings.CRYPTO_SUITE)
    try:
        with transaction.atomic():
            StoredKey.objects.create(name=BLIND_INDEX_ROOT, wrapped=wrapped.to_text())
    except IntegrityError:
        # Another process created it first; use theirs so indexes agree.
        key.destroy()
        loaded = _load_index_key(keyring, BLIND_INDEX_ROOT)
        if loaded is None:
            raise VaultUnavailableError(
                "The blind-index key vanished while being created."
            ) from None
        return loaded
    logger.info("vault_index_key_created", key_id=key.key_id)
    return key
