"""Field encryption for shoumi: keyring, envelope encryption and blind indexes.

Pure Python on top of ``cryptography``, importing nothing from Django. Apps call
this package and never ``cryptography.hazmat`` directly.

Model
-----

- A **master key** (KEK) lives in the local key file (``SHOUMI_KEY_FILE``, mode 0600,
  outside the data directory) or in HashiCorp Vault Transit. A :class:`Keyring`
  contains every master key still needed, and one of them is current.
- Each client record has its own random **data key** (DEK). Its wrapped form (text,
  ``shoumi-key:v1:...``) is stored with the record.
- A sensitive field stores a **sealed value** (text, ``shoumi:v1:...``) that names its
  format version, suite and data key id. The suite comes from a setting, either
  ``aes-256-gcm`` (default) or ``sm4-gcm``. Values sealed under an earlier suite or
  master key keep opening after the setting or the master key changes.
- Associated data binds each sealed value to (model, record id, field) and each
  wrapped DEK to (model, record id). A value copied into another row or field fails.
- A **blind index** column (32 hex characters) beside the ciphertext supports exact
  search without decryption.

Use from the Django side
------------------------

Start-up. Read settings at call time. A missing or unsafe key file stops start-up::

    from shoumi import crypto

    keyring = crypto.load_keyring(key_file_path)  # or Keyring([VaultTransitKek(...)], current=...)
    # BlindIndexKey.create() runs once per deployment, which stores the wrapped form.
    index_key = crypto.BlindIndexKey.load(keyring, stored_index_root)
    resident_id_index = index_key.indexer(
        "clients.Person", "resident_id", normalize=normalise_resident_id
    )

Create a record (its id must be known before sealing, e.g. a UUID primary key)::

    record = crypto.RecordContext("clients.Person", person.pk)
    data_key, wrapped = keyring.new_data_key(record)
    with data_key:
        person.data_key = wrapped.to_text()
        person.resident_id = data_key.seal("resident_id", canonical_value, suite=suite_setting)
    person.resident_id_blind_index = resident_id_index.compute(canonical_value)

Reveal (only ``access.services.reveal`` does this, after the audit event is written)::

    with keyring.unwrap_data_key(person.data_key, record) as data_key:
        plaintext_resident_id = data_key.open_text("resident_id", person.resident_id)

Search::

    Person.objects.filter(resident_id_blind_index=resident_id_index.compute(query))

Rotation and deletion
---------------------

- New master key: ``add_key(path)`` (or rotate the Transit key), then for every
  stored wrapped key call ``keyring.rewrap_data_key(wrapped, record)`` and save
  ``result.wrapped.to_text()`` where ``result.changed`` is true. The job is
  idempotent, so it can stop and resume anywhere. Sealed values stay untouched.
  A keyring from :func:`load_keyring` notices the changed file on its next use, in
  this process and in every other one, and wraps new keys under the new master key.
  Then ``keyring.remove(old_id, usage_count=n)`` refuses while ``n`` stored keys
  still name the old key, and ``remove_key(path, old_id, count_usage=count)`` does
  the same with a count taken while the key file's lock is held.
- Blind-index root rotation: :class:`BlindIndexRotation` computes old and new
  indexes, so a second column keeps search working until the back-fill is done.
- Crypto-shredding: store ``shred_data_key(wrapped).to_text()`` in place of the
  wrapped DEK. The record's sealed values can then never be opened again, once
  backups holding the old wrapped key expire.
- A migration that encrypts legacy plaintext uses :func:`is_sealed` to skip values
  that are already sealed. :meth:`DataKey.seal` also refuses to seal a sealed value.

Errors
------

Every decryption or verification failure raises :class:`DecryptionError` with one
fixed message. Configuration problems raise :class:`KeyFileError`,
:class:`KeyringError` (:class:`KeyInUseError` names the key id),
:class:`UnknownSuiteError` or :class:`KekUnavailableError`. A shredded or destroyed
key raises :class:`KeyDestroyedError`. All derive from :class:`CryptoError` and
carry a stable ``code``.

Security limits, detailed in each module's docstring: Python cannot guarantee that
keys or plaintext are erased from memory. A blind index reveals which rows have equal
values. GCM with random nonces allows at most 2**32 encryptions per key, far above
what one record's data key sees.
"""

from shoumi.crypto.blind_index import (
    INDEX_BYTES,
    BlindIndexer,
    BlindIndexKey,
    BlindIndexPair,
    BlindIndexRotation,
    default_normalize,
)
from shoumi.crypto.context import FieldContext, RecordContext
from shoumi.crypto.errors import (
    CryptoError,
    DecryptionError,
    KekUnavailableError,
    KeyDestroyedError,
    KeyFileError,
    KeyInUseError,
    KeyringError,
    UnknownSuiteError,
)
from shoumi.crypto.formats import Ciphertext, WrappedKey, is_sealed
from shoumi.crypto.keyfile import (
    KeyFile,
    KeyFileKeyring,
    add_key,
    create_key_file,
    is_inside_directory,
    load_key_file,
    load_keyring,
    remove_key,
)
from shoumi.crypto.keyring import DataKey, Keyring, RewrapResult, shred_data_key
from shoumi.crypto.providers import KekProvider, LocalKek
from shoumi.crypto.suites import DEFAULT_SUITE, SUITES, Suite, get_suite

__all__ = [
    "DEFAULT_SUITE",
    "INDEX_BYTES",
    "SUITES",
    "BlindIndexKey",
    "BlindIndexPair",
    "BlindIndexRotation",
    "BlindIndexer",
    "Ciphertext",
    "CryptoError",
    "DataKey",
    "DecryptionError",
    "FieldContext",
    "KekProvider",
    "KekUnavailableError",
    "KeyDestroyedError",
    "KeyFile",
    "KeyFileError",
    "KeyFileKeyring",
    "KeyInUseError",
    "Keyring",
    "KeyringError",
    "LocalKek",
    "RecordContext",
    "RewrapResult",
    "Suite",
    "UnknownSuiteError",
    "VaultTransitKek",
    "WrappedKey",
    "add_key",
    "create_key_file",
    "default_normalize",
    "get_suite",
    "is_inside_directory",
    "is_sealed",
    "load_key_file",
    "load_keyring",
    "remove_key",
    "shred_data_key",
]


def __getattr__(name: str) -> object:
    # hvac is an optional extra, so the Vault provider is imported only when asked for.
    if name == "VaultTransitKek":
        from shoumi.crypto.vault import VaultTransitKek

        return VaultTransitKek
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
