"""Blind indexes: keyed fingerprints for exact search on encrypted fields.

A blind index is ``HMAC(field key, normalised value)`` truncated to 128 bits and
stored as 32 lowercase hex characters beside the ciphertext. Equal normalised values
give equal indexes, so a database lookup on the index column finds a client by ID
number without decrypting anything. The HMAC uses the index root key's suite
(HMAC-SHA256 or HMAC-SM3). Each (model, field) pair gets its own field key, derived
from the root key with HKDF, so indexes of the same value in two fields do not
match. The root key is random, stored wrapped by the master key (which may live in
Vault), and unwrapped at start-up.

Why 128 bits: the index backs uniqueness checks (a re-imported ledger row must be
recognised as a duplicate), so accidental collisions must be negligible. By the
birthday bound, 10**9 distinct values collide with probability below 2**-69 at 128
bits, but about 2**-5 at 64 bits. Shorter output would not hide anything either.
Without the key an index reveals only equality, whatever its length. With the key,
an 18-digit ID number has so few valid candidates (well under 2**40) that an
attacker can test them all, so deliberate collisions would not save the value.

Protects against: reading indexed values from a stolen database without the root
key, and linking the same value across fields.

Does not protect against: equality leakage, because rows with equal values share an
index, so an attacker who knows one row's value learns every row with that value.
Nor against frequency analysis of common values, or anyone with the root key, who
can test candidate values. Indexes support only exact match: no prefix, range or substring.
"""

from __future__ import annotations

import hmac
import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from shoumi.crypto.context import encode_parts
from shoumi.crypto.errors import DecryptionError, KeyDestroyedError
from shoumi.crypto.formats import WrappedKey, check_key_id
from shoumi.crypto.keyring import Keyring, RewrapResult, new_key_id, zeroize
from shoumi.crypto.suites import DEFAULT_SUITE, Suite, get_suite, suite_for_code

INDEX_BYTES = 16
ROOT_KEY_SIZE = 32

_ROOT_PURPOSE = b"shoumi.blind-index-root.v1"

Normalizer = Callable[[str], str]


def default_normalize(value: str) -> str:
    """Normalise free text for exact search: NFKC, trim surrounding space, casefold.

    NFKC maps full-width digits and letters to ASCII, so ``３３０１`` and ``3301``
    match. Identifier fields should pass their identifier's own normaliser
    instead, which also removes inner separators and fixes the check character.
    """
    if not isinstance(value, str):
        raise TypeError(f"A blind index takes str values, got {type(value).__name__}.")
    return unicodedata.normalize("NFKC", value).strip().casefold()


class BlindIndexKey:
    """An unwrapped blind-index root key: the source of every field's index key.

    Create it once with :meth:`create` and store the wrapped form. At start-up call
    :meth:`load`, then take one :class:`BlindIndexer` per indexed field.
    """

    def __init__(self, key_id: str, suite: Suite, root: bytes | bytearray) -> None:
        if len(root) != ROOT_KEY_SIZE:
            raise ValueError(f"A blind-index root key is {ROOT_KEY_SIZE} bytes, got {len(root)}.")
        self.key_id = check_key_id(key_id)
        self.suite = suite
        self._root = bytearray(root)
        self._field_keys: list[bytearray] = []
        self._is_destroyed = False

    def __repr__(self) -> str:
        return f"<BlindIndexKey {self.key_id} {self.suite.name}>"

    @classmethod
    def create(
        cls, keyring: Keyring, *, suite: str = DEFAULT_SUITE
    ) -> tuple[BlindIndexKey, WrappedKey]:
        """Create a random root key and return it with its wrapped form to store."""
        suite_obj = get_suite(suite)
        root = bytearray(os.urandom(ROOT_KEY_SIZE))
        secret = bytearray([suite_obj.code]) + root
        try:
            key_id = new_key_id("bik")
            wrapped = keyring.wrap_secret(secret, key_id=key_id, purpose=_ROOT_PURPOSE)
            return cls(key_id, suite_obj, root), wrapped
        finally:
            zeroize(secret)
            zeroize(root)

    @classmethod
    def load(cls, keyring: Keyring, wrapped: WrappedKey | str | bytes) -> BlindIndexKey:
        """Unwrap a stored root key, or raise :class:`DecryptionError`."""
        wrapped_key = wrapped if isinstance(wrapped, WrappedKey) else WrappedKey.parse(wrapped)
        secret = keyring.unwrap_secret(wrapped_key, purpose=_ROOT_PURPOSE)
        try:
            if len(secret) != 1 + ROOT_KEY_SIZE:
                raise DecryptionError()
            suite = suite_for_code(secret[0])
            return cls(wrapped_key.key_id, suite, secret[1:])
        finally:
            zeroize(secret)

    @staticmethod
    def rewrap(keyring: Keyring, wrapped: WrappedKey | str | bytes) -> RewrapResult:
        """Re-wrap a stored root key under the current master key. Indexes stay the same."""
        return keyring.rewrap_secret(wrapped, purpose=_ROOT_PURPOSE)

    def indexer(
        self, model: str, field: str, *, normalize: Normalizer = default_normalize
    ) -> BlindIndexer:
        """Return the indexer of ``field`` of ``model``, with its own derived key."""
        if self._is_destroyed:
            raise KeyDestroyedError(f"Blind-index key {self.key_id} was destroyed in memory.")
        info = encode_parts(b"shoumi.blind-index.v1", model, field)
        field_key = self.suite.derive_key(self._root, info=info, length=ROOT_KEY_SIZE)
        self._field_keys.append(field_key)
        return BlindIndexer(
            root_key=self, model=model, field=field, field_key=field_key, normalize=normalize
        )

    def destroy(self) -> None:
        """Zeroise the root key and every field key handed out by :meth:`indexer`."""
        zeroize(self._root)
        for field_key in self._field_keys:
            zeroize(field_key)
        self._field_keys.clear()
        self._is_destroyed = True

    @property
    def is_destroyed(self) -> bool:
        """Whether :meth:`destroy` has run."""
        return self._is_destroyed


class BlindIndexer:
    """Computes the blind index of one field. Get one from :meth:`BlindIndexKey.indexer`."""

    def __init__(
        self,
        *,
        root_key: BlindIndexKey,
        model: str,
        field: str,
        field_key: bytearray,
        normalize: Normalizer,
    ) -> None:
        self.key_id = root_key.key_id
        self.suite = root_key.suite
        self.model = model
        self.field = field
        self._root_key = root_key
        # Shared with the root key, whose destroy() zeroises it.
        self._field_key = field_key
        self._normalize = normalize

    def __repr__(self) -> str:
        return f"<BlindIndexer {self.model}.{self.field} key={self.key_id}>"

    def compute(self, value: str) -> str:
        """Return the index of ``value``: 32 lowercase hex characters.

        Raises ValueError when the normalised value is empty, because an index of
        the empty string would make every blank row match. Store NULL instead.
        """
        normalized = self._normalize(value)
        if not normalized:
            raise ValueError(
                f"The normalised value of {self.model}.{self.field} is empty. "
                "Store NULL instead of indexing it."
            )
        if self._root_key.is_destroyed:
            raise KeyDestroyedError(f"Blind-index key {self.key_id} was destroyed in memory.")
        digest = self.suite.hmac(self._field_key, normalized.encode("utf-8"))
        return digest[:INDEX_BYTES].hex()

    def matches(self, value: str, stored_index: str) -> bool:
        """Return whether ``value`` has the index ``stored_index``, comparing in constant time."""
        return hmac.compare_digest(self.compute(value), stored_index)


@dataclass(frozen=True)
class BlindIndexPair:
    """The index of one value under the old and the new root key."""

    old: str
    new: str


class BlindIndexRotation:
    """Computes a field's index under the old and the new root key at once.

    Rotation keeps search working with a second column: write both columns for new
    and changed rows, search with ``old_column = pair.old OR new_column = pair.new``,
    back-fill the new column in batches, then drop the old column and keep only the
    new key. Both indexers must be for the same model and field.
    """

    def __init__(self, old: BlindIndexer, new: BlindIndexer) -> None:
        if (old.model, old.field) != (new.model, new.field):
            raise ValueError(f"Cannot rotate {old.model}.{old.field} into {new.model}.{new.field}.")
        if old.key_id == new.key_id:
            raise ValueError(f"Both indexers use root key {old.key_id}, so nothing would rotate.")
        self.old = old
        self.new = new

    def compute(self, value: str) -> BlindIndexPair:
        """Return the old and new index of ``value``."""
        return BlindIndexPair(old=self.old.compute(value), new=self.new.compute(value))
