"""Retention: moving old events out of the live table as signed archive segments.

Events stay in the database for at least ``AUDIT_RETENTION_DAYS`` (180 by
default and at minimum, because Art. 21 of the Cybersecurity Law requires
network logs to be kept for at least six months). Older events are never deleted in place: they are
written to a segment file (``shoumi.ledger.write_archive_segment``) that
carries their encodings, the tree state before them and signed
checkpoints, and the file is read back and verified before the rows go.
Recording the segment in ``ArchivedSegment`` is what lets the database
guard accept the deletion of exactly those rows. Subtree hashes and
checkpoints stay, so proofs and later verification still work, and
``shoumi audit verify`` reads the segment files before the live events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumi.audit import keys, services
from shoumi.audit.actions import Action
from shoumi.audit.errors import ArchiveError
from shoumi.audit.head import current_head
from shoumi.audit.models import ArchivedSegment, AuditEvent, CheckpointReason, SignedCheckpoint
from shoumi.audit.store import DatabaseHashStore
from shoumi.audit.verification import verify_stored_log
from shoumi.config import clock
from shoumi.ledger import (
    get_hasher,
    load_compact_range,
    read_archive_segment,
    root_hash,
    verify_archive_segment,
    write_archive_segment,
)

logger = structlog.get_logger(__name__)

SEGMENT_EVENTS: Final = 100_000
"""Maximum events per segment file. About 40 MB at 400 bytes per event, built in memory."""


@dataclass(frozen=True)
class ArchivePlan:
    """The live events older than ``cutoff``: ``[first_seq, end_seq)``, split into segments."""

    cutoff: dt.datetime
    first_seq: int
    end_seq: int
    segments: tuple[tuple[int, int], ...]

    @property
    def event_count(self) -> int:
        return self.end_seq - self.first_seq


def segment_file_name(first_seq: int, end_seq: int) -> str:
    """Return the file name of the segment holding events ``[first_seq, end_seq)``."""
    return f"audit-{first_seq:012d}-{end_seq - 1:012d}.segment"


def archive_plan(*, before: dt.date) -> ArchivePlan:
    """Return which live events occurred before local midnight starting ``before``.

    Raises:
        ArchiveError: ``before`` is later than the retention period allows.
    """
    cutoff = timezone.make_aware(dt.datetime.combine(before, dt.time.min))
    earliest_allowed = clock.now() - dt.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    if cutoff > earliest_allowed:
        raise ArchiveError(
            _("Audit events must be kept for %(days)d days; choose a date on or before %(date)s.")
            % {
                "days": settings.AUDIT_RETENTION_DAYS,
                "date": f"{timezone.localdate(earliest_allowed):%Y-%m-%d}",
            },
            code="audit_retention",
        )
    live = AuditEvent.objects.aggregate(first=Min("seq"), last=Max("seq"))
    if live["first"] is None:
        return ArchivePlan(cutoff, 0, 0, ())
    first_seq = live["first"]
    newer = AuditEvent.objects.filter(occurred_at__gte=cutoff).aggregate(first=Min("seq"))
    end_seq = newer["first"] if newer["first"] is not None else live["last"] + 1
    segments = tuple(
        (start, min(start + SEGMENT_EVENTS, end_seq))
        for start in range(first_seq, end_seq, SEGMENT_EVENTS)
    )
    return ArchivePlan(cutoff, first_seq, end_seq, segments)


def _write_file(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _segment_data(first_seq: int, end_seq: int, hash_name: str) -> bytes:
    """Build and check the segment file for ``[first_seq, end_seq)`` from the live table."""
    hasher = get_hasher(hash_name)
    store = DatabaseHashStore()
    rows = (
        AuditEvent.objects.filter(seq__gte=first_seq, seq__lt=end_seq)
        .order_by("seq")
        .values_list("seq", "encoded")
    )
    encoded = []
    for expected, (seq, event) in enumerate(rows.iterator(chunk_size=5000), start=first_seq):
        if seq != expected:
            raise ArchiveError(
                _("Event %(seq)d is missing from the database; run `shoumi audit verify`.")
                % {"seq": expected}
            )
        encoded.append(bytes(event))
    if len(encoded) != end_seq - first_seq:
        raise ArchiveError(
            _("Events %(first)d to %(last)d are not all in the database.")
            % {"first": first_seq, "last": end_seq - 1}
        )

    start = load_compact_range(store, hasher, first_seq)
    signer = keys.log_signer()
    data = write_archive_segment(
        encoded, start=start, signer=signer, origin=signer.key_name, time=clock.now()
    )
    report = verify_archive_segment(
        data, signer.verifier(), origin=signer.key_name, hash_name=hash_name, previous=start
    )
    if not report.is_valid or report.root_hash != root_hash(store, hasher, end_seq):
        raise ArchiveError(
            _("The archive file for events %(first)d to %(last)d does not match the stored tree.")
            % {"first": first_seq, "last": end_seq - 1}
        )
    return data


def archive_execute(*, plan: ArchivePlan, out_dir: Path) -> list[ArchivedSegment]:
    """Write the planned segments to ``out_dir``, then remove their events from the live table.

    The whole log is verified first. Each segment is written, synced and
    verified before its rows are deleted in one transaction that also
    records the segment, stores its end checkpoint and appends an
    ``audit_archived`` event. A failure leaves earlier segments archived
    and later ones untouched.

    Raises:
        ArchiveError: the log does not verify, or a segment cannot be built.
    """
    if not plan.segments:
        return []
    verification = verify_stored_log()
    if not verification.is_valid:
        raise ArchiveError(
            _("The audit log does not verify (%(reason)s), so nothing was archived.")
            % {"reason": verification.message},
            code="audit_archive_unverified",
        )
    head = current_head()
    hash_name = head.hash_name if head is not None else ""
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    archived = []
    for first_seq, end_seq in plan.segments:
        data = _segment_data(first_seq, end_seq, hash_name)
        path = (out_dir / segment_file_name(first_seq, end_seq)).resolve()
        _write_file(path, data)
        if path.read_bytes() != data:
            raise ArchiveError(
                _("The archive file %(path)s does not read back as written.") % {"path": path}
            )
        digest = hashlib.sha256(data).hexdigest()
        with transaction.atomic():
            segment = ArchivedSegment.objects.create(
                first_seq=first_seq,
                end_seq=end_seq,
                file_name=path.name,
                path=str(path),
                sha256=digest,
                created_at=clock.now(),
            )
            SignedCheckpoint.objects.create(
                size=end_seq,
                signed_at=clock.now(),
                reason=CheckpointReason.ARCHIVE,
                note=read_archive_segment(data).end_checkpoint,
            )
            AuditEvent.objects.filter(seq__gte=first_seq, seq__lt=end_seq).delete()
            services.append(
                action=Action.AUDIT_ARCHIVED,
                object_type="audit.archivedsegment",
                object_id=segment.pk,
                details={"first_seq": first_seq, "end_seq": end_seq, "sha256": digest},
            )
        logger.info(
            "audit_events_archived", first_seq=first_seq, end_seq=end_seq, file_name=path.name
        )
        archived.append(segment)
    return archived
