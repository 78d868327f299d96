"""Versioned storage formats of sealed values and wrapped keys.

Both formats exist as text (for text columns) and as bytes (for binary columns), and
either form parses back to the same object. Each names its format version and key
ids in clear, so data sealed under older suites or keys keeps decrypting, and a
rotation job can find what still depends on a key without decrypting anything.

Sealed field value, format version 1::

    text:   shoumi:v1:<suite>:<data key id>:<base64url(nonce || ciphertext || tag)>
    binary: b"SHM" 0x01 | suite code (1 byte) | key id length (1) | key id | nonce (12)
            | ciphertext | tag (16)

Wrapped key (a data key or blind-index root key encrypted by a master key)::

    text:   shoumi-key:v1:<master key id>:<key id>:<base64url(provider output)>
    binary: b"SHK" 0x01 | master key id length (1) | master key id | key id length (1)
            | key id | provider output

A shredded key keeps only its key id, with the master key id ``!shredded`` and no
payload, so a later read reports "destroyed" rather than "missing".

Base64url is written without padding, and parsing rejects any non-canonical
encoding. Otherwise flipping the unused low bits of the last character would give a
different text that still decrypts. Every parse failure raises the opaque
:class:`DecryptionError`.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from shoumi.crypto.errors import DecryptionError, UnknownSuiteError
from shoumi.crypto.suites import NONCE_SIZE, TAG_SIZE, Suite, get_suite, suite_for_code

FORMAT_VERSION = 1

KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
SHREDDED_MARKER = "!shredded"

_SEALED_TEXT_PREFIX = "shoumi:v1:"
_SEALED_MAGIC = b"SHM\x01"
_WRAPPED_TEXT_PREFIX = "shoumi-key:v1:"
_WRAPPED_MAGIC = b"SHK\x01"
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def check_key_id(key_id: str) -> str:
    """Return ``key_id`` if it is 1 to 64 characters from ``A-Z a-z 0-9 _ -``.

    Raises ValueError otherwise, because ``:`` or non-ASCII text would break the formats.
    """
    if not isinstance(key_id, str) or not KEY_ID_PATTERN.fullmatch(key_id):
        raise ValueError(
            f"Invalid key id {key_id!r}: use 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'."
        )
    return key_id


def encode_base64url(data: bytes) -> str:
    """Encode ``data`` as unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_base64url(text: str) -> bytes:
    """Decode canonical unpadded base64url or raise :class:`DecryptionError`."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise DecryptionError()
    padded = text + "=" * (-len(text) % 4)
    try:
        data = base64.b64decode(padded, altchars=b"-_", validate=True)
    except binascii.Error:
        raise DecryptionError() from None
    if encode_base64url(data) != text:
        raise DecryptionError()
    return data


def _length_prefixed(key_id: str) -> bytes:
    encoded = key_id.encode("ascii")
    return bytes([len(encoded)]) + encoded


def _read_key_id(data: bytes, offset: int) -> tuple[str, int]:
    """Read a length-prefixed key id at ``offset`` and return it with the next offset."""
    if offset >= len(data):
        raise DecryptionError()
    length = data[offset]
    end = offset + 1 + length
    if end > len(data):
        raise DecryptionError()
    try:
        key_id = data[offset + 1 : end].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError() from None
    return key_id, end


def sealed_header(suite: Suite, key_id: str) -> bytes:
    """Return the binary header of a sealed value, authenticated as associated data.

    Authenticating the header means a changed suite, key id or format version fails
    the tag check, in the text form as well as in the binary form.
    """
    return _SEALED_MAGIC + bytes([suite.code]) + _length_prefixed(key_id)


def _text_fields(value: str | bytes, prefix: str) -> list[str] | None:
    """Return the three fields after ``prefix`` when ``value`` is a text form, else None.

    Bytes count as the text form when they start with ``prefix``. A ``str`` must be
    the text form, so anything else raises :class:`DecryptionError`.
    """
    if isinstance(value, bytes):
        if not value.startswith(prefix.encode("ascii")):
            return None
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            raise DecryptionError() from None
    if not isinstance(value, str) or not value.startswith(prefix):
        raise DecryptionError()
    fields = value[len(prefix) :].split(":")
    if len(fields) != 3:
        raise DecryptionError()
    return fields


@dataclass(frozen=True)
class Ciphertext:
    """A field value encrypted under a record's data key.

    ``payload`` is ``nonce || ciphertext || tag``. ``key_id`` names the data key.
    """

    suite: Suite
    key_id: str
    payload: bytes

    def __post_init__(self) -> None:
        check_key_id(self.key_id)
        if len(self.payload) < NONCE_SIZE + TAG_SIZE:
            raise ValueError(f"A sealed payload must be at least {NONCE_SIZE + TAG_SIZE} bytes.")

    def header(self) -> bytes:
        """Return the binary header, which is also authenticated as associated data."""
        return sealed_header(self.suite, self.key_id)

    def to_bytes(self) -> bytes:
        """Return the binary form."""
        return self.header() + self.payload

    def to_text(self) -> str:
        """Return the text form."""
        return (
            f"{_SEALED_TEXT_PREFIX}{self.suite.name}:{self.key_id}:{encode_base64url(self.payload)}"
        )

    @classmethod
    def parse(cls, value: str | bytes) -> Ciphertext:
        """Parse either form, or raise :class:`DecryptionError` if ``value`` is not one."""
        fields = _text_fields(value, _SEALED_TEXT_PREFIX)
        if fields is None:
            return cls._parse_bytes(value)  # type: ignore[arg-type]
        suite_name, key_id, encoded = fields
        try:
            suite = get_suite(suite_name)
        except UnknownSuiteError:
            raise DecryptionError() from None
        return cls._build(suite, key_id, decode_base64url(encoded))

    @classmethod
    def _parse_bytes(cls, data: bytes) -> Ciphertext:
        if not data.startswith(_SEALED_MAGIC) or len(data) < len(_SEALED_MAGIC) + 2:
            raise DecryptionError()
        suite = suite_for_code(data[len(_SEALED_MAGIC)])
        key_id, offset = _read_key_id(data, len(_SEALED_MAGIC) + 1)
        return cls._build(suite, key_id, data[offset:])

    @classmethod
    def _build(cls, suite: Suite, key_id: str, payload: bytes) -> Ciphertext:
        try:
            return cls(suite=suite, key_id=key_id, payload=payload)
        except ValueError:
            raise DecryptionError() from None


@dataclass(frozen=True)
class WrappedKey:
    """A secret key encrypted by a master key (KEK), or the tombstone of a shredded one.

    ``kek_id`` names the master key and ``key_id`` the wrapped key itself.
    ``payload`` is whatever the master-key provider returned.
    """

    kek_id: str
    key_id: str
    payload: bytes

    def __post_init__(self) -> None:
        check_key_id(self.key_id)
        if self.kek_id == SHREDDED_MARKER:
            if self.payload:
                raise ValueError("A shredded key keeps no payload.")
        else:
            check_key_id(self.kek_id)
            if not self.payload:
                raise ValueError("A wrapped key needs a non-empty payload.")

    @classmethod
    def shredded(cls, key_id: str) -> WrappedKey:
        """Return the tombstone that replaces a destroyed key."""
        return cls(kek_id=SHREDDED_MARKER, key_id=key_id, payload=b"")

    @property
    def is_shredded(self) -> bool:
        """Whether this is the tombstone of a destroyed key."""
        return self.kek_id == SHREDDED_MARKER

    def to_bytes(self) -> bytes:
        """Return the binary form."""
        return (
            _WRAPPED_MAGIC
            + _length_prefixed(self.kek_id)
            + _length_prefixed(self.key_id)
            + self.payload
        )

    def to_text(self) -> str:
        """Return the text form."""
        return f"{_WRAPPED_TEXT_PREFIX}{self.kek_id}:{self.key_id}:{encode_base64url(self.payload)}"

    @classmethod
    def parse(cls, value: str | bytes) -> WrappedKey:
        """Parse either form, or raise :class:`DecryptionError` if ``value`` is not one."""
        fields = _text_fields(value, _WRAPPED_TEXT_PREFIX)
        if fields is None:
            return cls._parse_bytes(value)  # type: ignore[arg-type]
        kek_id, key_id, encoded = fields
        return cls._build(kek_id, key_id, decode_base64url(encoded))

    @classmethod
    def _parse_bytes(cls, data: bytes) -> WrappedKey:
        if not data.startswith(_WRAPPED_MAGIC):
            raise DecryptionError()
        kek_id, offset = _read_key_id(data, len(_WRAPPED_MAGIC))
        key_id, offset = _read_key_id(data, offset)
        return cls._build(kek_id, key_id, data[offset:])

    @classmethod
    def _build(cls, kek_id: str, key_id: str, payload: bytes) -> WrappedKey:
        try:
            return cls(kek_id=kek_id, key_id=key_id, payload=payload)
        except ValueError:
            raise DecryptionError() from None


def is_sealed(value: object) -> bool:
    """Return whether ``value`` parses as a sealed value in either form.

    A migration that encrypts legacy plaintext columns uses this to skip values that
    are already sealed, so running it twice never encrypts a ciphertext again. A
    ``True`` result does not mean that the value decrypts.
    """
    if not isinstance(value, str | bytes):
        return False
    try:
        Ciphertext.parse(value)
    except DecryptionError:
        return False
    return True
