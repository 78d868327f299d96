"""Signed checkpoints of the audit log: when they are due, and signing them.

A checkpoint signs the tree size and root hash. Appends sign one in the
same transaction once ``CHECKPOINT_EVERY_EVENTS`` events have been added
since the last one, or once ``CHECKPOINT_EVERY_MINUTES`` have passed.
:mod:`shoumi.audit.scheduler` covers quiet periods and the shutdown of the
serving process, and ``shoumi audit checkpoint`` signs one on request.
"""

from __future__ import annotations

import datetime as dt

import structlog
from django.conf import settings
from django.db import transaction

from shoumi.audit import keys
from shoumi.audit.head import locked_head, save_head
from shoumi.audit.models import CheckpointReason, LogHead, SignedCheckpoint
from shoumi.audit.store import DatabaseHashStore
from shoumi.config import clock
from shoumi.ledger import Checkpoint, get_hasher, root_hash

logger = structlog.get_logger(__name__)


def checkpoint_due(head: LogHead, now: dt.datetime) -> str | None:
    """Return the reason a checkpoint is due for ``head`` at ``now``, or None.

    Nothing is due while no event was added since the last checkpoint.
    """
    added = head.size - head.last_checkpoint_size
    if added <= 0:
        return None
    if added >= settings.CHECKPOINT_EVERY_EVENTS:
        return CheckpointReason.EVENTS
    interval = dt.timedelta(minutes=settings.CHECKPOINT_EVERY_MINUTES)
    if head.last_checkpoint_at is None or now - head.last_checkpoint_at >= interval:
        return CheckpointReason.TIME
    return None


def sign_checkpoint(head: LogHead, root: bytes, reason: str, now: dt.datetime) -> SignedCheckpoint:
    """Sign and store a checkpoint of the locked ``head`` whose tree has ``root``.

    Updates the head's checkpoint fields in memory; the caller saves the head.
    """
    signer = keys.log_signer()
    checkpoint = Checkpoint(signer.key_name, head.size, root, now, head.hash_name)
    stored = SignedCheckpoint.objects.create(
        size=head.size, signed_at=now, reason=reason, note=signer.sign(checkpoint)
    )
    head.last_checkpoint_size = head.size
    head.last_checkpoint_at = now
    logger.info("audit_checkpoint_signed", size=head.size, reason=reason)
    return stored


def checkpoint_create(*, reason: str, only_if_due: bool = False) -> SignedCheckpoint | None:
    """Sign a checkpoint of the whole log now; return it, or None when there is nothing to sign.

    Nothing is signed for an empty log or when the last checkpoint already
    covers every event. With ``only_if_due`` a checkpoint is signed only
    when :func:`checkpoint_due` returns a reason.
    """
    with transaction.atomic():
        head = locked_head()
        now = clock.now()
        if head.size == 0 or head.size == head.last_checkpoint_size:
            return None
        if only_if_due and checkpoint_due(head, now) is None:
            return None
        root = root_hash(DatabaseHashStore(), get_hasher(head.hash_name), head.size)
        stored = sign_checkpoint(head, root, reason, now)
        save_head(head)
    return stored


def latest_checkpoint() -> SignedCheckpoint | None:
    """Return the stored checkpoint with the largest size, the newest among equals."""
    return SignedCheckpoint.objects.order_by("-size", "-id").first()
