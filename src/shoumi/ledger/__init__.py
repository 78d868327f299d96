"""Tamper-evident audit ledger: an append-only Merkle log with signed checkpoints.

Pure Python; imports nothing from Django. The audit app stores events and
subtree hashes in its tables and calls this package to append, prove,
checkpoint, archive and verify. The package offers no update or delete.
``docs/ledger.md`` walks through the tables and calls the audit app needs.
"""

from shoumi.ledger.archive import (
    ArchiveSegment,
    read_archive_segment,
    verify_archive_segment,
    verify_archived_log,
    write_archive_segment,
)
from shoumi.ledger.checkpoints import Checkpoint, CheckpointSigner, CheckpointVerifier
from shoumi.ledger.errors import (
    ArchiveFormatError,
    CheckpointFormatError,
    EventEncodingError,
    InvalidProofError,
    KeyFileError,
    LedgerError,
    SignatureVerificationError,
    TreeStateError,
    UnknownHashError,
)
from shoumi.ledger.events import (
    EVENT_FORMAT_VERSION,
    decode_event,
    encode_event,
    format_event_time,
    parse_event_time,
)
from shoumi.ledger.export import (
    checkpoint_qr,
    checkpoint_qr_png,
    checkpoint_qr_svg,
    checkpoint_qr_text,
    read_checkpoint_export,
)
from shoumi.ledger.hashing import TreeHasher, get_hasher
from shoumi.ledger.keys import create_keys, load_hmac_key, load_signer, load_verifier
from shoumi.ledger.proofs import verify_consistency, verify_inclusion
from shoumi.ledger.tags import LeafTagger
from shoumi.ledger.tree import (
    CompactRange,
    MemoryHashStore,
    SubtreeHashStore,
    TreeAppender,
    consistency_proof,
    inclusion_proof,
    load_compact_range,
    root_hash,
)
from shoumi.ledger.verify import (
    Problem,
    StoredEvent,
    VerificationReport,
    verify_against_checkpoint,
    verify_log,
)

__all__ = [
    "EVENT_FORMAT_VERSION",
    "ArchiveFormatError",
    "ArchiveSegment",
    "Checkpoint",
    "CheckpointFormatError",
    "CheckpointSigner",
    "CheckpointVerifier",
    "CompactRange",
    "EventEncodingError",
    "InvalidProofError",
    "KeyFileError",
    "LeafTagger",
    "LedgerError",
    "MemoryHashStore",
    "Problem",
    "SignatureVerificationError",
    "StoredEvent",
    "SubtreeHashStore",
    "TreeAppender",
    "TreeHasher",
    "TreeStateError",
    "UnknownHashError",
    "VerificationReport",
    "checkpoint_qr",
    "checkpoint_qr_png",
    "checkpoint_qr_svg",
    "checkpoint_qr_text",
    "consistency_proof",
    "create_keys",
    "decode_event",
    "encode_event",
    "format_event_time",
    "get_hasher",
    "inclusion_proof",
    "load_compact_range",
    "load_hmac_key",
    "load_signer",
    "load_verifier",
    "parse_event_time",
    "read_archive_segment",
    "read_checkpoint_export",
    "root_hash",
    "verify_against_checkpoint",
    "verify_archive_segment",
    "verify_archived_log",
    "verify_consistency",
    "verify_inclusion",
    "verify_log",
    "write_archive_segment",
]
