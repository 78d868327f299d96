"""Keyring of master keys, per-record data keys, rotation and crypto-shredding.

Envelope encryption: every client record has its own random 256-bit data key (DEK).
The keyring wraps it under the current master key (KEK) and stores the master key's
id in the wrapped form, so a wrapped key from any earlier master key still unwraps
as long as that key stays in the keyring. Field values are sealed with a key derived
from the DEK per suite (HKDF with the suite's hash), so one DEK serves both suites.

Protects against:

- reading values from a stolen database, dump or backup that lacks the master key;
- moving a sealed value to another row or field, or a wrapped DEK to another row:
  associated data binds each value to (model, record id, field) and each wrapped DEK
  to (model, record id), so decryption fails with :class:`DecryptionError`;
- learning why decryption failed: every cause raises the same opaque error;
- dropping a master key that wrapped keys still need (:meth:`Keyring.remove`).

Does not protect against:

- an attacker who has the master key, or who runs code in this process;
- plaintext left in memory. Python cannot guarantee erasure: ``bytes`` and ``str``
  objects are immutable and stay in memory until the allocator reuses them, the
  interpreter may copy buffers, and OpenSSL keeps its own key schedules. This module
  keeps its own key copies in ``bytearray`` objects and overwrites them on
  :meth:`DataKey.destroy`, but copies made while wrapping, unwrapping or decoding
  (the key file's JSON text, ``os.urandom`` output, the bytes passed to and returned
  by a provider) cannot be erased. Swap and core
  dumps can also contain keys, so disable them on servers that use master keys.
- recovering old values after shredding: :func:`shred_data_key` makes values
  unrecoverable only once every copy of the wrapped DEK is gone, including database
  backups, replicas, WAL files and free pages. Enable SQLite ``secure_delete`` and
  expire backups for shredding to take full effect.

Limits: a DEK's derived field key may seal at most 2**32 values (random 96-bit
nonces, NIST SP 800-38D section 8.3). One record is sealed a handful of times per
edit, so the limit is far away. :class:`DataKey` does not count seals across
processes. A local master key may likewise wrap at most 2**32 data keys.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import NoReturn, SupportsIndex

import structlog

from shoumi.crypto.context import RecordContext, encode_parts
from shoumi.crypto.errors import (
    DecryptionError,
    KeyDestroyedError,
    KeyInUseError,
    KeyringError,
)
from shoumi.crypto.formats import (
    Ciphertext,
    WrappedKey,
    check_key_id,
    is_sealed,
    sealed_header,
)
from shoumi.crypto.providers import KekProvider
from shoumi.crypto.suites import DEFAULT_SUITE, NONCE_SIZE, Aead, Suite, get_suite

logger = structlog.get_logger(__name__)

DATA_KEY_SIZE = 32

_DATA_KEY_PURPOSE = b"shoumi.data-key.v1"


def zeroize(buffer: bytearray) -> None:
    """Overwrite ``buffer`` with zero bytes in place."""
    buffer[:] = bytes(len(buffer))


def new_key_id(prefix: str) -> str:
    """Return a new random key id such as ``dek-3f9a1c2b7d604e11``.

    Key ids are written into audit events, which reject 15 to 19 digits in a row as a
    possible ID or card number. About one random id in 840 has such a run (all 16 hex
    characters digits, or 15 of them in a row), so those are drawn again.
    """
    while True:
        token = secrets.token_hex(8)
        if not _LONG_DIGIT_RUN.search(token):
            return check_key_id(f"{prefix}-{token}")


_LONG_DIGIT_RUN = re.compile(r"[0-9]{15}")


@dataclass(frozen=True)
class RewrapResult:
    """Outcome of re-wrapping one key: the wrapped key to store, and whether it changed.

    When ``changed`` is false, ``wrapped`` is the input and nothing needs to be written.
    """

    wrapped: WrappedKey
    changed: bool


class DataKey:
    """A record's unwrapped data key, bound to that record.

    :meth:`seal` and :meth:`open` take only the field name because the record comes
    from the key itself, so one record's key cannot seal values for another record.
    Use it as a context manager, or call :meth:`destroy`, to zeroise the key when done.
    It refuses to be pickled or copied, so it cannot end up in a cache or a session.
    """

    __slots__ = (
        "_aeads",
        "_associated_data",
        "_derived_keys",
        "_is_destroyed",
        "_key",
        "key_id",
        "record",
    )

    def __init__(self, key_id: str, record: RecordContext, key: bytes | bytearray) -> None:
        if len(key) != DATA_KEY_SIZE:
            raise ValueError(f"A data key is {DATA_KEY_SIZE} bytes, got {len(key)} bytes.")
        self.key_id = check_key_id(key_id)
        self.record = record
        self._key = bytearray(key)
        self._derived_keys: dict[str, bytearray] = {}
        self._aeads: dict[str, Aead] = {}
        self._associated_data: dict[tuple[Suite, str], bytes] = {}
        self._is_destroyed = False

    def __repr__(self) -> str:
        return f"<DataKey {self.key_id} for {self.record.model}/{self.record.record_id}>"

    def __reduce_ex__(self, protocol: SupportsIndex, /) -> NoReturn:
        raise TypeError("A DataKey cannot be pickled or copied. Store its wrapped form instead.")

    def __enter__(self) -> DataKey:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.destroy()

    def seal(self, field: str, plaintext: str | bytes, *, suite: str = DEFAULT_SUITE) -> str:
        """Encrypt ``plaintext`` for ``field`` of this key's record and return the text form.

        ``str`` values are encoded as UTF-8. ``suite`` names the cipher suite, which
        normally comes from the deployment's setting. Values sealed under another
        suite keep opening because each value names its own suite. Raises ValueError
        when ``plaintext`` is already a sealed value, so nothing is encrypted twice.
        Use ``Ciphertext.parse(text).to_bytes()`` for a binary column.
        """
        data = _plaintext_bytes(plaintext)
        if _looks_sealed(data):
            raise ValueError("Refusing to seal a value that is already sealed.")

        suite_obj = get_suite(suite)
        aead = self._aead(suite_obj)
        nonce = os.urandom(NONCE_SIZE)
        payload = nonce + aead.encrypt(nonce, data, self._associated(suite_obj, field))

        return Ciphertext(suite=suite_obj, key_id=self.key_id, payload=payload).to_text()

    def open(self, field: str, sealed: str | bytes) -> bytes:
        """Decrypt a value sealed for ``field`` of this key's record.

        Accepts the text or binary form. Raises :class:`DecryptionError` when the
        value is malformed or tampered with, was sealed under another data key, or
        belongs to another record or field.
        """
        value = Ciphertext.parse(sealed)
        if not hmac.compare_digest(value.key_id, self.key_id):
            raise DecryptionError()

        aead = self._aead(value.suite)
        nonce, body = value.payload[:NONCE_SIZE], value.payload[NONCE_SIZE:]
        return aead.decrypt(nonce, body, self._associated(value.suite, field))

    def open_text(self, field: str, sealed: str | bytes) -> str:
        """Decrypt like :meth:`open` and decode the plaintext as UTF-8."""
        plaintext = self.open(field, sealed)
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError:
            # The default message would quote the offending plaintext bytes.
            raise ValueError(
                f"Field {field} of {self.record.model}/{self.record.record_id} "
                "contains bytes that are not UTF-8 text. Use open() instead."
            ) from None

    def destroy(self) -> None:
        """Zeroise the key and every key derived from it. Later use raises KeyDestroyedError."""
        zeroize(self._key)
        for derived in self._derived_keys.values():
            zeroize(derived)
        self._derived_keys.clear()
        self._aeads.clear()
        self._is_destroyed = True

    @property
    def is_destroyed(self) -> bool:
        """Whether :meth:`destroy` has run."""
        return self._is_destroyed

    def _associated(self, suite: Suite, field: str) -> bytes:
        """Return the associated data of ``field``: the value's header and field context."""
        associated_data = self._associated_data.get((suite, field))
        if associated_data is None:
            associated_data = sealed_header(suite, self.key_id) + self.record.field_bytes(field)
            self._associated_data[(suite, field)] = associated_data
        return associated_data

    def _aead(self, suite: Suite) -> Aead:
        if self._is_destroyed:
            raise KeyDestroyedError(f"Data key {self.key_id} was destroyed in memory.")
        aead = self._aeads.get(suite.name)
        if aead is None:
            info = encode_parts(b"shoumi.field-key.v1", suite.name, self.key_id)
            derived = suite.derive_key(self._key, info=info, length=suite.key_size)
            self._derived_keys[suite.name] = derived
            aead = suite.new_aead(derived)
            self._aeads[suite.name] = aead
        return aead


def _plaintext_bytes(plaintext: object) -> bytes:
    if isinstance(plaintext, str):
        return plaintext.encode("utf-8")
    if isinstance(plaintext, bytes | bytearray | memoryview):
        return bytes(plaintext)
    raise TypeError(
        f"plaintext must be str or bytes, got {type(plaintext).__name__}. "
        "Store NULL instead of sealing a missing value."
    )


def _looks_sealed(data: bytes) -> bool:
    # The prefix test keeps the full parse off the common path.
    if not (data.startswith(b"shoumi:v1:") or data.startswith(b"SHM\x01")):
        return False
    return is_sealed(data)


@dataclass(frozen=True)
class _KeyringState:
    """The master keys and the current key's id, replaced as a whole on every change.

    Methods read the state once per call, so a thread never combines the keys of
    one version with the current id of another while a key file is reloaded.
    """

    providers: Mapping[str, KekProvider]
    current: str


def _build_state(providers: Iterable[KekProvider], current: str) -> _KeyringState:
    by_id: dict[str, KekProvider] = {}
    for provider in providers:
        check_key_id(provider.key_id)
        if provider.key_id in by_id:
            raise KeyringError(f"Master key {provider.key_id} is already in the keyring.")
        by_id[provider.key_id] = provider
    if current not in by_id:
        raise KeyringError(
            f"Current master key {current} is not among the keyring's keys "
            f"({', '.join(sorted(by_id)) or 'none'})."
        )
    return _KeyringState(providers=MappingProxyType(by_id), current=current)


class Keyring:
    """The master keys of a deployment, one of them current.

    New keys are wrapped under the current master key. Unwrapping picks the master key
    named in the wrapped form. Retired master keys stay in the keyring until nothing
    depends on them. Providers may be local key-file keys, Vault Transit keys or any
    other :class:`KekProvider`. A keyring loaded from a key file
    (:class:`~shoumi.crypto.keyfile.KeyFileKeyring`) follows changes to the file.
    """

    def __init__(self, providers: Iterable[KekProvider], *, current: str) -> None:
        self._state = _build_state(providers, current)

    def __repr__(self) -> str:
        state = self._state
        return f"<{type(self).__name__} current={state.current} keys={sorted(state.providers)}>"

    @property
    def current_key_id(self) -> str:
        """Id of the master key that wraps new keys."""
        return self._checked_state().current

    @property
    def key_ids(self) -> list[str]:
        """Ids of all master keys in the keyring, sorted."""
        return sorted(self._checked_state().providers)

    def add(self, provider: KekProvider, *, make_current: bool = False) -> None:
        """Add a master key, and make it current if ``make_current`` is set."""
        state = self._state
        current = provider.key_id if make_current else state.current
        self._state = _build_state([*state.providers.values(), provider], current)

    def set_current(self, key_id: str) -> None:
        """Make ``key_id`` the master key that wraps new keys."""
        state = self._state
        self._provider(state, key_id)
        self._state = _KeyringState(providers=state.providers, current=key_id)

    def remove(self, key_id: str, *, usage_count: int) -> KekProvider:
        """Remove a retired master key and return its provider.

        ``usage_count`` is the number of stored wrapped keys that still name
        ``key_id``, which the caller counts in its storage. Raises
        :class:`KeyInUseError` while it is above zero, and :class:`KeyringError` for
        the current key or an unknown id.
        """
        if isinstance(usage_count, bool) or not isinstance(usage_count, int) or usage_count < 0:
            raise ValueError(f"usage_count must be an int of at least 0, got {usage_count!r}")
        state = self._state
        provider = self._provider(state, key_id)
        self.check_removable(key_id)
        if usage_count > 0:
            raise KeyInUseError(
                f"Master key {key_id} still wraps {usage_count} stored key(s). "
                "Rewrap them under the current key before removing it."
            )
        remaining = [kept for kept_id, kept in state.providers.items() if kept_id != key_id]
        self._state = _build_state(remaining, state.current)
        return provider

    def check_removable(self, key_id: str) -> None:
        """Raise :class:`KeyringError` when ``key_id`` is unknown or is the current key.

        Lets a caller reject a removal before it counts the key's usage.
        """
        state = self._state
        self._provider(state, key_id)
        if key_id == state.current:
            raise KeyringError(
                f"Master key {key_id} is current. Make another key current before removing it."
            )

    def new_data_key(self, record: RecordContext) -> tuple[DataKey, WrappedKey]:
        """Create a fresh data key for ``record`` and return it with its wrapped form to store."""
        key = bytearray(os.urandom(DATA_KEY_SIZE))
        try:
            key_id = new_key_id("dek")
            wrapped = self.wrap_secret(key, key_id=key_id, purpose=_data_key_purpose(record))
            return DataKey(key_id, record, key), wrapped
        finally:
            zeroize(key)

    def unwrap_data_key(self, wrapped: WrappedKey | str | bytes, record: RecordContext) -> DataKey:
        """Unwrap the stored data key of ``record``.

        Raises :class:`DecryptionError` when it does not unwrap (tampered, or copied
        from another record, or its master key is missing) and
        :class:`KeyDestroyedError` when it was shredded.
        """
        wrapped_key = _parse_wrapped(wrapped)
        key = self.unwrap_secret(wrapped_key, purpose=_data_key_purpose(record))
        try:
            if len(key) != DATA_KEY_SIZE:
                raise DecryptionError()
            return DataKey(wrapped_key.key_id, record, key)
        finally:
            zeroize(key)

    def rewrap_data_key(
        self, wrapped: WrappedKey | str | bytes, record: RecordContext
    ) -> RewrapResult:
        """Re-wrap a stored data key under the current master key.

        Idempotent, so a rotation job can stop and restart anywhere: a key already
        under the current master key (and its newest version, for Vault) comes back
        with ``changed=False``. Sealed values need no change because the data key
        itself stays the same.
        """
        return self.rewrap_secret(wrapped, purpose=_data_key_purpose(record))

    def wrap_secret(self, secret: bytes | bytearray, *, key_id: str, purpose: bytes) -> WrappedKey:
        """Wrap ``secret`` under the current master key, bound to ``key_id`` and ``purpose``."""
        state = self._checked_state()
        provider = state.providers[state.current]
        context = _provider_context(state.current, key_id, purpose)
        payload = provider.wrap(bytes(secret), context)
        return WrappedKey(kek_id=state.current, key_id=key_id, payload=payload)

    def unwrap_secret(self, wrapped: WrappedKey | str | bytes, *, purpose: bytes) -> bytearray:
        """Unwrap a secret wrapped by :meth:`wrap_secret` with the same ``purpose``.

        Returns a ``bytearray`` for the caller to zeroise.
        """
        wrapped_key = _parse_wrapped(wrapped)
        provider = self._checked_state().providers.get(wrapped_key.kek_id)
        if provider is None:
            provider = self._state_for_missing_key(wrapped_key.kek_id).providers.get(
                wrapped_key.kek_id
            )
        if provider is None:
            # Operators need the id, but callers still get the opaque error.
            logger.warning("master_key_not_in_keyring", kek_id=wrapped_key.kek_id)
            raise DecryptionError()
        context = _provider_context(wrapped_key.kek_id, wrapped_key.key_id, purpose)
        return bytearray(provider.unwrap(wrapped_key.payload, context))

    def rewrap_secret(self, wrapped: WrappedKey | str | bytes, *, purpose: bytes) -> RewrapResult:
        """Re-wrap a secret under the current master key, as :meth:`rewrap_data_key` does."""
        wrapped_key = _parse_wrapped(wrapped)

        state = self._checked_state()
        if wrapped_key.kek_id == state.current:
            provider = state.providers[state.current]
            context = _provider_context(wrapped_key.kek_id, wrapped_key.key_id, purpose)
            payload = provider.rewrap(wrapped_key.payload, context)
            if payload is None:
                return RewrapResult(wrapped=wrapped_key, changed=False)
            rewrapped = WrappedKey(kek_id=state.current, key_id=wrapped_key.key_id, payload=payload)
            return RewrapResult(wrapped=rewrapped, changed=True)

        secret = self.unwrap_secret(wrapped_key, purpose=purpose)
        try:
            rewrapped = self.wrap_secret(secret, key_id=wrapped_key.key_id, purpose=purpose)
        finally:
            zeroize(secret)
        return RewrapResult(wrapped=rewrapped, changed=True)

    def destroy(self) -> None:
        """Zeroise every master key held in memory."""
        for provider in self._state.providers.values():
            provider.destroy()

    def _checked_state(self) -> _KeyringState:
        """Return the state to use for one operation.

        A keyring backed by a key file overrides this to reload the file when it
        has changed since it was read.
        """
        return self._state

    def _state_for_missing_key(self, kek_id: str) -> _KeyringState:
        """Return the state to retry with after ``kek_id`` was not found.

        A keyring backed by a key file overrides this to read the file again.
        """
        return self._state

    @staticmethod
    def _provider(state: _KeyringState, key_id: str) -> KekProvider:
        try:
            return state.providers[key_id]
        except KeyError:
            raise KeyringError(
                f"Master key {key_id} is not in the keyring ({', '.join(sorted(state.providers))})."
            ) from None


def shred_data_key(wrapped: WrappedKey | str | bytes) -> WrappedKey:
    """Return the tombstone to store in place of a wrapped data key (crypto-shredding).

    Once the wrapped key is overwritten with the tombstone (and no backup keeps the
    old value), no key can open the record's sealed values. The tombstone keeps only
    the key id, so unwrapping it raises :class:`KeyDestroyedError` rather than a
    generic failure.
    """
    wrapped_key = _parse_wrapped(wrapped, allow_shredded=True)
    return WrappedKey.shredded(wrapped_key.key_id)


def _parse_wrapped(
    wrapped: WrappedKey | str | bytes, *, allow_shredded: bool = False
) -> WrappedKey:
    wrapped_key = wrapped if isinstance(wrapped, WrappedKey) else WrappedKey.parse(wrapped)
    if wrapped_key.is_shredded and not allow_shredded:
        raise KeyDestroyedError(
            f"Key {wrapped_key.key_id} was shredded, so values sealed under it cannot be recovered."
        )
    return wrapped_key


def _data_key_purpose(record: RecordContext) -> bytes:
    return _DATA_KEY_PURPOSE + record.to_bytes()


def _provider_context(kek_id: str, key_id: str, purpose: bytes) -> bytes:
    # Binding the ids stops a wrapped key from being relabelled with another key id.
    return encode_parts(b"shoumi.wrapped-key.v1", kek_id, key_id) + purpose
