"""Queries for the audit log viewer, which only the audit administrator may use.

:func:`proof_statuses` shows, for each event on a page, whether its
inclusion proof leads to the root of the latest signed checkpoint. The
leaf hash is recomputed from the event's encoding rather than read from
the row, so an event edited in place fails its proof even when its stored
hashes were rewritten.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shoumi.accounts.models import User, normalise_employee_number
from shoumi.accounts.roles import Role
from shoumi.audit import keys
from shoumi.audit.checkpoints import latest_checkpoint
from shoumi.audit.encoding import IndexRow, index_mismatch
from shoumi.audit.head import current_head
from shoumi.audit.models import AuditEvent, SignedCheckpoint, VerificationRun
from shoumi.audit.store import DatabaseHashStore
from shoumi.audit.verification import last_verification
from shoumi.clients import selectors as client_selectors
from shoumi.ledger import (
    Checkpoint,
    InvalidProofError,
    LedgerError,
    TreeStateError,
    format_event_time,
    get_hasher,
    inclusion_proof,
    verify_inclusion,
)
from shoumi.ledger.tree import inclusion_proof_ranges, range_nodes


@dataclass(frozen=True)
class EventFilters:
    """Search criteria of the viewer; empty values do not filter."""

    actor: str = ""
    client: str = ""
    action: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


class ProofStatus(enum.StrEnum):
    PROVEN = "proven"
    FAILED = "failed"
    PENDING = "pending"
    NO_CHECKPOINT = "no_checkpoint"
    CHECKPOINT_INVALID = "checkpoint_invalid"
    INDEX_MISMATCH = "index_mismatch"


PROOF_STATUS_LABELS = {
    ProofStatus.PROVEN: _("Proven by checkpoint"),
    ProofStatus.FAILED: _("Proof failed"),
    ProofStatus.PENDING: _("Not yet in a checkpoint"),
    ProofStatus.NO_CHECKPOINT: _("No checkpoint yet"),
    ProofStatus.CHECKPOINT_INVALID: _("Checkpoint signature invalid"),
    ProofStatus.INDEX_MISMATCH: _("Search columns differ from the event"),
}


@dataclass(frozen=True)
class LogOverview:
    """Summary of the whole log, shown above the viewer's table."""

    size: int
    checkpoint: Checkpoint | None
    checkpoint_record: SignedCheckpoint | None
    last_verification: VerificationRun | None


def _require_audit_admin(user: User) -> None:
    if not user.has_role(Role.AUDIT_ADMIN):
        raise PermissionDenied


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def event_list(*, user: User, filters: EventFilters) -> QuerySet[AuditEvent]:
    """Return the live events matching ``filters``, newest first.

    Raises:
        PermissionDenied: ``user`` is not the audit administrator.
    """
    _require_audit_admin(user)
    events = AuditEvent.objects.all()
    if filters.actor:
        events = events.filter(actor_employee_number=normalise_employee_number(filters.actor))
    if filters.client:
        object_ids = client_selectors.client_audit_object_ids(user=user, client_key=filters.client)
        events = events.filter(object_id__in=object_ids or [])
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.since is not None:
        events = events.filter(occurred_at__gte=_local_midnight(filters.since))
    if filters.until is not None:
        next_day = filters.until + dt.timedelta(days=1)
        events = events.filter(occurred_at__lt=_local_midnight(next_day))
    return events.order_by("-seq")


def log_overview(*, user: User) -> LogOverview:
    """Return the log size, the latest checkpoint (signature checked) and the last verification.

    ``checkpoint`` is None when there is no checkpoint or its signature
    does not verify; ``checkpoint_record`` is the stored row either way.
    """
    _require_audit_admin(user)
    head = current_head()
    record = latest_checkpoint()
    checkpoint = None
    if record is not None:
        try:
            checkpoint = keys.log_verifier().verify(record.note)
        except LedgerError:
            checkpoint = None
    return LogOverview(
        size=head.size if head is not None else 0,
        checkpoint=checkpoint,
        checkpoint_record=record,
        last_verification=last_verification(),
    )


class _PrefetchedStore:
    """Subtree hashes read in one query for all proofs of a page."""

    def __init__(self, hashes: dict[tuple[int, int], bytes]) -> None:
        self._hashes = hashes

    def get_hashes(self, nodes: Sequence[tuple[int, int]]) -> list[bytes]:
        return [self._hashes[node] for node in nodes]

    def put_hashes(self, entries: Sequence[tuple[int, int, bytes]]) -> None:
        raise TreeStateError("the viewer's prefetched subtree hashes are read-only")


def _prefetch(seqs: Sequence[int], size: int) -> _PrefetchedStore:
    nodes = sorted(
        {
            node
            for seq in seqs
            for begin, end in inclusion_proof_ranges(seq, size)
            for node in range_nodes(begin, end)
        }
    )
    return _PrefetchedStore(dict(zip(nodes, DatabaseHashStore().get_hashes(nodes), strict=True)))


def _index_row(event: AuditEvent) -> IndexRow:
    return IndexRow(
        seq=event.seq,
        time=format_event_time(event.occurred_at),
        actor_id=event.actor_id,
        actor_employee_number=event.actor_employee_number,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        result=event.result,
    )


def proof_statuses(
    *, user: User, events: Sequence[AuditEvent], overview: LogOverview
) -> dict[int, ProofStatus]:
    """Return each event's inclusion-proof status against the latest checkpoint, by ``seq``."""
    _require_audit_admin(user)
    statuses: dict[int, ProofStatus] = {}
    checkpoint = overview.checkpoint
    if checkpoint is None:
        status = (
            ProofStatus.NO_CHECKPOINT
            if overview.checkpoint_record is None
            else ProofStatus.CHECKPOINT_INVALID
        )
        return dict.fromkeys((event.seq for event in events), status)

    hasher = get_hasher(checkpoint.hash_name)
    covered = [event for event in events if event.seq < checkpoint.size]
    try:
        store = _prefetch([event.seq for event in covered], checkpoint.size)
    except LedgerError:
        store = None
    for event in events:
        encoded = bytes(event.encoded)
        if index_mismatch(_index_row(event), encoded) is not None:
            statuses[event.seq] = ProofStatus.INDEX_MISMATCH
        elif event.seq >= checkpoint.size:
            statuses[event.seq] = ProofStatus.PENDING
        elif store is None:
            statuses[event.seq] = ProofStatus.FAILED
        else:
            proof = inclusion_proof(store, hasher, event.seq, checkpoint.size)
            try:
                verify_inclusion(
                    hasher,
                    event.seq,
                    checkpoint.size,
                    hasher.hash_leaf(encoded),
                    proof,
                    checkpoint.root_hash,
                )
            except InvalidProofError:
                statuses[event.seq] = ProofStatus.FAILED
            else:
                statuses[event.seq] = ProofStatus.PROVEN
    return statuses
