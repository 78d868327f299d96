"""Exceptions of the ledger package.

Every message refers to events by sequence number and to checkpoints by tree
size; none carries event content, key material or a signature.
"""

from __future__ import annotations

from shoumi.errors import ShoumiError


class LedgerError(ShoumiError):
    """Base class of ledger errors."""

    code = "ledger_error"


class UnknownHashError(LedgerError):
    """A hash algorithm name is not one the ledger supports."""

    code = "ledger_unknown_hash"


class EventEncodingError(LedgerError):
    """An event mapping or its encoded bytes break the canonical event schema."""

    code = "ledger_event_encoding"


class InvalidProofError(LedgerError):
    """An inclusion or consistency proof does not verify."""

    code = "ledger_invalid_proof"


class TreeStateError(LedgerError):
    """A tree size, leaf index or stored subtree hash is out of range or missing."""

    code = "ledger_tree_state"


class CheckpointFormatError(LedgerError):
    """A checkpoint or signed note is not in the expected text format."""

    code = "ledger_checkpoint_format"


class SignatureVerificationError(LedgerError):
    """A checkpoint or archive signature did not verify.

    The message is the same whatever the cause (unknown key, wrong key id,
    bad signature, missing HMAC tag), so a caller learns nothing about which
    check failed.
    """

    code = "ledger_signature_invalid"

    def __init__(self) -> None:
        super().__init__("signature verification failed")


class KeyFileError(LedgerError):
    """A ledger key file is missing, malformed or readable by other users."""

    code = "ledger_key_file"


class ArchiveFormatError(LedgerError):
    """An archive segment file is not in the expected format."""

    code = "ledger_archive_format"
