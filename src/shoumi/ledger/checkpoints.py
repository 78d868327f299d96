"""Signed checkpoints: the tree size and root hash of the log, signed as a C2SP note.

A checkpoint commits the log to its first ``size`` events. Anyone holding a
checkpoint can later prove that those events were not changed, removed or
reordered, even by someone with full write access to the database, as long
as that person does not hold the signing key.

Text format. The body follows C2SP ``tlog-checkpoint`` (origin line, decimal
tree size, base64 root hash) with two extension lines, and is signed as a
C2SP ``signed-note``::

    shoumi.example/audit
    1000
    3q2+7w...=
    time 2026-03-01T08:00:00.000000Z
    hash sha256

    — shoumi.example/audit AbCdEf...

Signatures. Every checkpoint carries an Ed25519 signature (RFC 8032) whose
key ID is ``SHA-256(key name || 0x0A || 0x01 || public key)[:4]``, as the
signed-note specification recommends. Its public key can be handed out for
offline verification. In 国密 mode the note also carries an HMAC-SM3 tag
(signature type ``0xff`` followed by the identifier ``shoumi/hmac-sm3``),
because the commercial cryptography assessment (GB/T 39786-2021) favours SM
algorithms for the integrity of audit records.

Why HMAC-SM3 and not an SM2 signature: pyca/cryptography (the project's
maintained, OpenSSL-backed library) provides SM3 and HMAC-SM3 but no SM2.
The SM2 candidates were judged as follows. ``gmssl`` (py-gmssl) is pure
Python with big-integer arithmetic that is not constant time, had its last
release in February 2023, and has open reports of signatures that do not
interoperate with other SM2 implementations. ``gmssl-python`` is a ctypes
binding that needs the GmSSL C library installed separately and had its last
release in October 2023. ``snowland-smx`` is also pure Python. None is a
dependency this project should trust with signing keys, so SM2 is not used.

What this does not protect against: an HMAC tag can be checked only by a
holder of the secret HMAC key, so third parties verify the Ed25519
signature alone. Anyone who obtains the private key file can sign false
checkpoints; a checkpoint kept outside the system (printed or emailed) is
the defence against that.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shoumi.ledger.errors import (
    CheckpointFormatError,
    EventEncodingError,
    SignatureVerificationError,
)
from shoumi.ledger.events import format_event_time, parse_event_time
from shoumi.ledger.hashing import HASH_NAMES, get_hasher
from shoumi.ledger.tags import LeafTagger, derive_tag_key

ED25519_TYPE: Final = b"\x01"
HMAC_SM3_TYPE: Final = b"\xff" + b"shoumi/hmac-sm3"
SIGNATURE_DASH: Final = "— "
MAX_SIGNATURES: Final = 16
HMAC_KEY_SIZE: Final = 32

_KEY_NAME_PATTERN: Final = re.compile(r"[!-*,-~]+")
"""Printable ASCII without space or ``+``, which the signed-note key name forbids."""


def check_key_name(name: str) -> None:
    """Raise :class:`CheckpointFormatError` unless ``name`` is a valid signed-note key name."""
    if not isinstance(name, str) or not _KEY_NAME_PATTERN.fullmatch(name):
        raise CheckpointFormatError(
            "key name must be non-empty printable ASCII without spaces or '+', "
            "for example 'shoumi.example/audit'"
        )


def ed25519_key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """Return the 4-byte signed-note key ID of an Ed25519 key."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + raw).digest()[:4]


def hmac_sm3(key: bytes, message: bytes) -> bytes:
    """Return HMAC-SM3 of ``message`` (RFC 2104 with SM3, GB/T 32905-2016)."""
    tag = crypto_hmac.HMAC(key, hashes.SM3())
    tag.update(message)
    return tag.finalize()


def hmac_key_id(name: str, hmac_key: bytes) -> bytes:
    """Return the 4-byte key ID of an HMAC-SM3 key.

    The ID hashes a keyed fingerprint, never the key itself.
    """
    fingerprint = hmac_sm3(hmac_key, b"shoumi ledger key id")
    return hashlib.sha256(name.encode() + b"\n" + HMAC_SM3_TYPE + fingerprint).digest()[:4]


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a signed note."""

    key_name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        encoded = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{SIGNATURE_DASH}{self.key_name} {encoded}\n"


def _check_note_characters(note: str) -> None:
    if any(ord(character) < 0x20 and character != "\n" for character in note):
        raise CheckpointFormatError("signed note contains a control character other than newline")


def format_signed_note(text: str, signatures: list[NoteSignature]) -> str:
    """Return the signed note of ``text`` (ending in a newline) and its signature lines."""
    if not text.endswith("\n"):
        raise CheckpointFormatError("note text must end with a newline")
    return text + "\n" + "".join(signature.line() for signature in signatures)


def parse_signed_note(note: str) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text and signature lines.

    Raises:
        CheckpointFormatError: the note does not have the signed-note shape.
    """
    _check_note_characters(note)
    if not note.endswith("\n"):
        raise CheckpointFormatError("signed note must end with a newline")
    separator = note.rfind("\n\n")
    if separator < 0:
        raise CheckpointFormatError("signed note has no blank line before its signatures")
    text = note[: separator + 1]
    lines = note[separator + 2 :].splitlines()
    if not lines or len(lines) > MAX_SIGNATURES:
        raise CheckpointFormatError(
            f"signed note must have between 1 and {MAX_SIGNATURES} signature lines"
        )

    signatures = []
    for line in lines:
        if not line.startswith(SIGNATURE_DASH):
            raise CheckpointFormatError("signature line does not start with an em dash and space")
        name, _, encoded = line[len(SIGNATURE_DASH) :].partition(" ")
        check_key_name(name)
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise CheckpointFormatError("signature is not valid base64") from None
        if len(raw) < 5:
            raise CheckpointFormatError("signature is shorter than a key ID")
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    return text, signatures


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree size and root hash at a moment, as one origin states it."""

    origin: str
    size: int
    root_hash: bytes
    time: dt.datetime
    hash_name: str = "sha256"

    def __post_init__(self) -> None:
        origin = self.origin
        if not origin or origin != origin.strip() or any(ord(c) < 0x20 for c in origin):
            raise CheckpointFormatError("checkpoint origin must be one non-empty line")
        if not isinstance(self.size, int) or isinstance(self.size, bool) or self.size < 0:
            raise CheckpointFormatError("checkpoint size must be a non-negative integer")
        if self.hash_name not in HASH_NAMES:
            raise CheckpointFormatError(
                f"checkpoint hash must be one of {', '.join(HASH_NAMES)}; got {self.hash_name!r}"
            )
        if len(self.root_hash) != get_hasher(self.hash_name).digest_size:
            raise CheckpointFormatError("checkpoint root hash has the wrong length")
        try:
            format_event_time(self.time)
        except EventEncodingError:
            raise CheckpointFormatError("checkpoint time must be timezone-aware") from None

    def body(self) -> str:
        """Return the note text that is signed."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        return (
            f"{self.origin}\n{self.size}\n{root}\n"
            f"time {format_event_time(self.time)}\nhash {self.hash_name}\n"
        )

    @classmethod
    def from_body(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text written by :meth:`body`.

        Raises:
            CheckpointFormatError: the text is not a checkpoint body.
        """
        lines = text.split("\n")
        if len(lines) != 6 or lines[5] != "":
            raise CheckpointFormatError("checkpoint body must have exactly five lines")
        origin, size_text, root_text, time_line, hash_line, _ = lines
        if not size_text.isdigit() or (size_text.startswith("0") and size_text != "0"):
            raise CheckpointFormatError("checkpoint size is not a canonical decimal number")
        if not time_line.startswith("time ") or not hash_line.startswith("hash "):
            raise CheckpointFormatError("checkpoint body lacks its 'time' and 'hash' lines")
        try:
            root_hash = base64.b64decode(root_text, validate=True)
            moment = parse_event_time(time_line[len("time ") :])
        except (binascii.Error, EventEncodingError):
            raise CheckpointFormatError("checkpoint root hash or time is malformed") from None
        checkpoint = cls(origin, int(size_text), root_hash, moment, hash_line[len("hash ") :])
        if checkpoint.body() != text:
            raise CheckpointFormatError("checkpoint body is not in canonical form")
        return checkpoint


class CheckpointSigner:
    """Signs checkpoints and other notes with the log's Ed25519 key (and HMAC-SM3 key)."""

    def __init__(
        self, key_name: str, private_key: Ed25519PrivateKey, hmac_key: bytes | None = None
    ) -> None:
        check_key_name(key_name)
        if hmac_key is not None and len(hmac_key) != HMAC_KEY_SIZE:
            raise CheckpointFormatError(f"HMAC-SM3 key must be {HMAC_KEY_SIZE} bytes")
        self.key_name = key_name
        self._private_key = private_key
        self._hmac_key = hmac_key
        self.key_id = ed25519_key_id(key_name, private_key.public_key())

    def __repr__(self) -> str:
        return f"CheckpointSigner(key_name={self.key_name!r}, key_id={self.key_id.hex()!r})"

    @property
    def has_hmac_key(self) -> bool:
        return self._hmac_key is not None

    def public_key(self) -> Ed25519PublicKey:
        return self._private_key.public_key()

    def sign_note(self, text: str) -> str:
        """Return ``text`` as a signed note."""
        _check_note_characters(text)
        message = text.encode("utf-8")
        signatures = [NoteSignature(self.key_name, self.key_id, self._private_key.sign(message))]
        if self._hmac_key is not None:
            signatures.append(
                NoteSignature(
                    self.key_name,
                    hmac_key_id(self.key_name, self._hmac_key),
                    hmac_sm3(self._hmac_key, message),
                )
            )
        return format_signed_note(text, signatures)

    def sign(self, checkpoint: Checkpoint) -> str:
        """Return the signed note of ``checkpoint``."""
        return self.sign_note(checkpoint.body())

    def verifier(self) -> CheckpointVerifier:
        """Return a verifier for this signer's keys, including the HMAC-SM3 key."""
        return CheckpointVerifier(self.key_name, self.public_key(), self._hmac_key)

    def leaf_tagger(self, hash_name: str = "sha256") -> LeafTagger:
        """Return the leaf tagger whose key is derived from this signer's secret keys.

        The HMAC-SM3 key is the source when the log uses SM3 and the key
        exists, otherwise the Ed25519 private key.
        """
        if hash_name == "sm3" and self._hmac_key is not None:
            secret = self._hmac_key
        else:
            secret = self._private_key.private_bytes_raw()
        return LeafTagger(derive_tag_key(secret, hash_name), hash_name)


class CheckpointVerifier:
    """Verifies notes signed by one :class:`CheckpointSigner`.

    With ``hmac_key`` set (国密 mode), a note must carry both a valid Ed25519
    signature and a valid HMAC-SM3 tag.
    """

    def __init__(
        self, key_name: str, public_key: Ed25519PublicKey, hmac_key: bytes | None = None
    ) -> None:
        check_key_name(key_name)
        self.key_name = key_name
        self._public_key = public_key
        self._hmac_key = hmac_key
        self.key_id = ed25519_key_id(key_name, public_key)

    def __repr__(self) -> str:
        return f"CheckpointVerifier(key_name={self.key_name!r}, key_id={self.key_id.hex()!r})"

    def verify_note(self, note: str) -> str:
        """Return the text of ``note`` after checking its signatures.

        Signatures by other keys are ignored, as the signed-note
        specification requires.

        Raises:
            SignatureVerificationError: the note is malformed, has no valid
                signature by this key, or (in 国密 mode) no valid HMAC-SM3 tag.
        """
        try:
            text, signatures = parse_signed_note(note)
        except CheckpointFormatError:
            raise SignatureVerificationError() from None
        message = text.encode("utf-8")
        has_signature = False
        has_tag = self._hmac_key is None
        tag_id = None if self._hmac_key is None else hmac_key_id(self.key_name, self._hmac_key)

        for signature in signatures:
            if signature.key_name != self.key_name:
                continue
            if signature.key_id == self.key_id:
                try:
                    self._public_key.verify(signature.signature, message)
                except InvalidSignature:
                    raise SignatureVerificationError() from None
                has_signature = True
            elif self._hmac_key is not None and signature.key_id == tag_id:
                expected = hmac_sm3(self._hmac_key, message)
                if not hmac.compare_digest(expected, signature.signature):
                    raise SignatureVerificationError()
                has_tag = True
        if not (has_signature and has_tag):
            raise SignatureVerificationError()
        return text

    def verify(self, note: str) -> Checkpoint:
        """Return the checkpoint in ``note`` after checking its signatures.

        Raises:
            SignatureVerificationError: as :meth:`verify_note`.
            CheckpointFormatError: the signed text is not a checkpoint.
        """
        return Checkpoint.from_body(self.verify_note(note))
