"""The local master-key file: create, load, add and remove master keys.

The file is JSON holding one or more master keys, each with an id, a suite and
base64 key bytes, plus the id of the current key::

    {"format": "shoumi-key-file", "version": 1, "current": "kek-...",
     "keys": [{"id": "kek-...", "suite": "aes-256-gcm",
               "created_at": "2026-01-01T00:00:00+00:00", "key": "<base64>"}]}

Protects against: another local user reading the master key, because the file is
created with mode 0600 and loading rejects a file that group or others may read or
write. Changes go to a temporary file that atomically replaces the old one, so a
crash leaves no partly written file. An existing master key is never overwritten.
A keyring from :func:`load_keyring` reloads the file when another process changes
it, so a running server follows a rotation without a restart.

Does not protect against: root or the service's own user reading the file, or the
file being copied along with the data it protects. Keep it outside the data
directory and out of backups (see :func:`is_inside_directory`). A key file loses
nothing when the host is stolen only if the disk holding it is encrypted too.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from shoumi.crypto.errors import KeyFileError, KeyringError, UnknownSuiteError
from shoumi.crypto.formats import KEY_ID_PATTERN
from shoumi.crypto.keyring import Keyring, _build_state, _KeyringState, new_key_id
from shoumi.crypto.providers import KekProvider, LocalKek
from shoumi.crypto.suites import DEFAULT_SUITE, get_suite

logger = structlog.get_logger(__name__)

KEY_FILE_FORMAT = "shoumi-key-file"
KEY_FILE_VERSION = 1
KEY_FILE_MODE = 0o600


@dataclass(frozen=True)
class KeyFile:
    """The parsed contents of a key file: its master keys and the current key's id."""

    path: Path
    current_key_id: str
    keys: tuple[LocalKek, ...]


def create_key_file(path: str | os.PathLike[str], *, suite: str = DEFAULT_SUITE) -> str:
    """Create a key file with one new random master key and return the key's id.

    The file gets mode 0600 whatever the umask. Raises :class:`KeyFileError` if the
    file already exists, because overwriting a master key would make every value
    sealed under it unrecoverable, or if its directory does not exist.
    """
    key_path = Path(path)
    entry = _new_entry(get_suite(suite).name)
    document = _document(entry["id"], [entry])

    try:
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    except FileExistsError:
        raise KeyFileError(
            f"Key file {key_path} already exists, and overwriting a master key is not allowed. "
            "Use add_key() to rotate, or remove the file yourself if it is unused."
        ) from None
    except FileNotFoundError:
        raise KeyFileError(
            f"Cannot create key file {key_path}: directory {key_path.parent} does not exist. "
            "Create it (mode 0700, outside the data directory) first."
        ) from None
    _write_and_close(fd, document)

    logger.info("key_file_created", path=str(key_path), key_id=entry["id"], suite=entry["suite"])
    return entry["id"]


def load_key_file(path: str | os.PathLike[str]) -> KeyFile:
    """Read and validate a key file.

    Raises :class:`KeyFileError`, naming the path and the fix, when the file is
    missing, is not a regular file, is readable or writable by group or others, or
    is not a valid key file.
    """
    key_path = Path(path)
    document, _ = _read_document(key_path)
    return _parse_document(key_path, document)


def load_keyring(path: str | os.PathLike[str]) -> KeyFileKeyring:
    """Load a key file into a keyring that follows later changes to the file.

    Raises :class:`KeyFileError` as :func:`load_key_file` does.
    """
    return KeyFileKeyring(path)


class KeyFileKeyring(Keyring):
    """A keyring loaded from a key file that reloads the file when it changes.

    Another process may rotate (:func:`add_key`) or retire (:func:`remove_key`)
    master keys while this one runs. Before every wrap, unwrap and re-wrap the
    keyring compares the file's ``os.stat`` result (device, inode, size and
    timestamps) with the one it loaded. It reads the file again when they differ,
    so a wrap uses the key that was current in the file when it started.
    An unwrap that names a master key the keyring lacks reads the file once more
    even when ``stat`` shows no change, which covers file systems with coarse
    timestamps.

    A key file that can no longer be loaded (deleted, mode loosened, invalid)
    makes every later operation raise :class:`KeyFileError` until it is fixed,
    so the process never carries on with keys that the file no longer holds.
    In-memory changes (:meth:`add`, :meth:`set_current`, :meth:`remove`) are
    refused, because the next reload would undo them.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        key_file, signature = _load_key_file_with_signature(self.path)
        super().__init__(key_file.keys, current=key_file.current_key_id)
        self._signature = signature
        self._reload_lock = threading.Lock()

    def add(self, provider: KekProvider, *, make_current: bool = False) -> None:
        raise KeyringError(f"This keyring follows {self.path}. Change the file with add_key().")

    def set_current(self, key_id: str) -> None:
        raise KeyringError(f"This keyring follows {self.path}. Change the file with add_key().")

    def remove(self, key_id: str, *, usage_count: int) -> KekProvider:
        raise KeyringError(f"This keyring follows {self.path}. Change the file with remove_key().")

    def _checked_state(self) -> _KeyringState:
        try:
            signature = _file_signature(os.stat(self.path))
        except OSError:
            # Reloading raises the KeyFileError that names the problem and the fix.
            signature = None
        if signature == self._signature:
            return self._state
        return self._reload(force=False)

    def _state_for_missing_key(self, kek_id: str) -> _KeyringState:
        return self._reload(force=True)

    def _reload(self, *, force: bool) -> _KeyringState:
        with self._reload_lock:
            try:
                key_file, signature = _load_key_file_with_signature(self.path)
            except KeyFileError as error:
                logger.critical("key_file_reload_failed", path=str(self.path), error=str(error))
                raise
            if signature == self._signature and not force:
                # Another thread reloaded this version first.
                for key in key_file.keys:
                    key.destroy()
                return self._state

            state = self._state
            # Keep loaded providers, which other threads may be using right now.
            kept = {
                key.key_id: state.providers[key.key_id]
                for key in key_file.keys
                if key.key_id in state.providers
            }
            changed = [
                key.key_id
                for key in key_file.keys
                if key.key_id in kept and not _is_same_key(kept[key.key_id], key)
            ]
            for key in key_file.keys:
                if key.key_id in kept or changed:
                    key.destroy()
            if changed:
                logger.critical("key_file_key_changed", path=str(self.path), key_ids=changed)
                raise KeyFileError(
                    f"Key file {self.path} changed the bytes of master key(s) "
                    f"{', '.join(changed)}. A master key is never changed in place, "
                    "so restore the file from a backup."
                )
            providers = [kept.get(key.key_id, key) for key in key_file.keys]
            new_state = _build_state(providers, key_file.current_key_id)
            removed = [
                provider
                for key_id, provider in state.providers.items()
                if key_id not in new_state.providers
            ]
            self._state = new_state
            self._signature = signature

        # A thread still using a removed key gets KeyDestroyedError, never a zeroised key.
        for provider in removed:
            provider.destroy()
        if new_state.current != state.current or set(new_state.providers) != set(state.providers):
            logger.info(
                "key_file_reloaded",
                path=str(self.path),
                current_key_id=new_state.current,
                key_ids=sorted(new_state.providers),
            )
        return new_state


def _is_same_key(loaded: KekProvider, fresh: LocalKek) -> bool:
    return isinstance(loaded, LocalKek) and loaded.has_same_key(fresh)


def add_key(
    path: str | os.PathLike[str], *, suite: str = DEFAULT_SUITE, make_current: bool = True
) -> str:
    """Add a new random master key to an existing key file and return its id.

    With ``make_current`` (the default) the new key wraps all new keys from now on.
    Existing wrapped keys keep working until they are re-wrapped.
    """
    key_path = Path(path)
    entry = _new_entry(get_suite(suite).name)
    with _locked(key_path):
        document, _ = _read_document(key_path)
        _validate_document(key_path, document)
        document["keys"].append(entry)
        if make_current:
            document["current"] = entry["id"]
        _replace_file(key_path, document)

    logger.info("master_key_added", path=str(key_path), key_id=entry["id"], is_current=make_current)
    return entry["id"]


def remove_key(
    path: str | os.PathLike[str], key_id: str, *, count_usage: Callable[[str], int]
) -> None:
    """Remove a retired master key from a key file.

    ``count_usage(key_id)`` returns the number of stored wrapped keys that still
    name ``key_id``. It is called while the key file's lock is held, just before
    the file is rewritten, so the count cannot go stale while another
    :func:`add_key` or :func:`remove_key` waits. Raises
    :class:`~shoumi.crypto.errors.KeyInUseError` while the count is above zero,
    and :class:`~shoumi.crypto.errors.KeyringError` for the current key or an
    unknown id (both checked before ``count_usage`` runs).
    """
    key_path = Path(path)
    with _locked(key_path):
        document, _ = _read_document(key_path)
        key_file = _parse_document(key_path, document)
        try:
            keyring = Keyring(key_file.keys, current=key_file.current_key_id)
            keyring.check_removable(key_id)
            keyring.remove(key_id, usage_count=count_usage(key_id))
        finally:
            for key in key_file.keys:
                key.destroy()

        document["keys"] = [entry for entry in document["keys"] if entry["id"] != key_id]
        _replace_file(key_path, document)
    logger.info("master_key_removed", path=str(key_path), key_id=key_id)


def is_inside_directory(path: str | os.PathLike[str], directory: str | os.PathLike[str]) -> bool:
    """Return whether ``path`` resolves to a location inside ``directory``.

    Symbolic links are resolved on both sides. A key file inside the data directory
    gets copied with the data it protects, which defeats the point of a separate key.
    """
    resolved = Path(path).resolve()
    base = Path(directory).resolve()
    return resolved == base or base in resolved.parents


def _new_entry(suite_name: str) -> dict[str, str]:
    suite = get_suite(suite_name)
    return {
        "id": new_key_id("kek"),
        "suite": suite.name,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "key": base64.b64encode(os.urandom(suite.key_size)).decode("ascii"),
    }


def _document(current: str, entries: list[dict[str, str]]) -> dict[str, object]:
    return {
        "format": KEY_FILE_FORMAT,
        "version": KEY_FILE_VERSION,
        "current": current,
        "keys": entries,
    }


def _load_key_file_with_signature(key_path: Path) -> tuple[KeyFile, _FileSignature]:
    document, signature = _read_document(key_path)
    return _parse_document(key_path, document), signature


_FileSignature = tuple[int, int, int, int, int, int]


def _file_signature(status: os.stat_result) -> _FileSignature:
    """Return the ``stat`` fields that change when the key file is replaced or rewritten.

    :func:`add_key` and :func:`remove_key` replace the file, which gives it a new
    inode. A chmod changes the ctime, so a loosened mode is noticed as well.
    """
    return (
        status.st_dev,
        status.st_ino,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
        status.st_mode,
    )


def _read_document(key_path: Path) -> tuple[dict[str, Any], _FileSignature]:
    """Read the key file and return its JSON object and the ``stat`` signature of what was read."""
    try:
        fd = os.open(key_path, os.O_RDONLY)
    except FileNotFoundError:
        raise KeyFileError(
            f"Key file {key_path} does not exist. Create it with "
            "shoumi.crypto.create_key_file() or point SHOUMI_KEY_FILE at the existing file."
        ) from None
    except PermissionError:
        raise KeyFileError(
            f"Key file {key_path} is not readable by this process (uid {os.geteuid()}). "
            "Make the service's user its owner, with mode 0600."
        ) from None

    try:
        # fstat on the open descriptor checks the file actually read, even via a symlink.
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise KeyFileError(f"Key file {key_path} is not a regular file.")
        if status.st_mode & 0o077:
            raise KeyFileError(
                f"Key file {key_path} has mode {stat.S_IMODE(status.st_mode):04o}, so group or "
                f"others can read or write it. Run: chmod 600 {key_path}"
            )
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read()
        signature = _file_signature(status)
    finally:
        os.close(fd)

    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        # The chained exception would carry the file's text, keys included.
        raise KeyFileError(f"Key file {key_path} is not valid JSON.") from None
    if not isinstance(document, dict):
        raise KeyFileError(f"Key file {key_path} does not hold a JSON object.")
    return document, signature


def _validate_document(key_path: Path, document: dict[str, Any]) -> None:
    for key in _parse_document(key_path, document).keys:
        key.destroy()


def _parse_document(key_path: Path, document: dict[str, Any]) -> KeyFile:
    def invalid(reason: str) -> KeyFileError:
        return KeyFileError(f"Key file {key_path} is invalid: {reason}.")

    if document.get("format") != KEY_FILE_FORMAT:
        raise invalid(f"'format' must be {KEY_FILE_FORMAT!r}")
    if document.get("version") != KEY_FILE_VERSION:
        raise invalid(f"'version' must be {KEY_FILE_VERSION}")
    entries = document.get("keys")
    if not isinstance(entries, list) or not entries:
        raise invalid("'keys' must be a non-empty list")

    keys = [_parse_entry(index, entry, invalid) for index, entry in enumerate(entries)]
    key_ids = [key.key_id for key in keys]
    duplicates = sorted({key_id for key_id in key_ids if key_ids.count(key_id) > 1})
    if duplicates:
        raise invalid(f"duplicate key id(s) {', '.join(duplicates)}")
    current = document.get("current")
    if current not in key_ids:
        raise invalid(f"'current' must be one of the key ids ({', '.join(key_ids)})")

    return KeyFile(path=key_path, current_key_id=current, keys=tuple(keys))


def _parse_entry(index: int, entry: object, invalid: Callable[[str], KeyFileError]) -> LocalKek:
    if not isinstance(entry, dict):
        raise invalid(f"keys[{index}] must be an object")
    key_id = entry.get("id")
    if not isinstance(key_id, str) or not KEY_ID_PATTERN.fullmatch(key_id):
        raise invalid(f"keys[{index}].id must be 1 to 64 characters of A-Z a-z 0-9 _ -")
    try:
        suite = get_suite(str(entry.get("suite")))
    except UnknownSuiteError as exc:
        raise invalid(f"key {key_id}: {exc.message.rstrip('.')}") from None
    encoded = entry.get("key")
    if not isinstance(encoded, str):
        raise invalid(f"key {key_id} has no base64 'key'")
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise invalid(f"key {key_id}: 'key' is not valid base64") from None
    if len(key) != suite.key_size:
        raise invalid(f"key {key_id} is {len(key)} bytes, but {suite.name} needs {suite.key_size}")
    return LocalKek(key_id, key, suite)


@contextlib.contextmanager
def _locked(key_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<key file>.lock`` while the key file is rewritten.

    Two processes adding keys at once would otherwise both read the old file, and
    the second write would drop the first one's new master key.
    """
    lock_path = key_path.with_name(f".{key_path.name}.lock")
    fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT, KEY_FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _replace_file(key_path: Path, document: dict[str, Any]) -> None:
    temporary = key_path.with_name(f".{key_path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    except FileExistsError:
        raise KeyFileError(
            f"Temporary file {temporary} exists, so another process may be changing the key "
            "file. Check, delete it, and retry."
        ) from None
    try:
        _write_and_close(fd, document)
        os.replace(temporary, key_path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(key_path.parent)


def _write_and_close(fd: int, document: dict[str, Any]) -> None:
    # The umask may have dropped bits from the requested mode, so fchmod sets it exactly.
    os.fchmod(fd, KEY_FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
