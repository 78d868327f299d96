"""Append audit events to the Merkle log.

``append`` is the one way into the audit trail; ``append_many`` writes a
batch with one lock and one insert per table. Both run inside the caller's
transaction, so if the event cannot be written the caller's action rolls
back with it (fail closed). Each event gets the next sequence number, its
canonical encoding, leaf hash and leaf tag, and the tree's new subtree
hashes are stored with it. Appends are serialised by the log head lock
(:mod:`shoumi.audit.head`), and a checkpoint is signed in the same
transaction when one is due.

Values in ``details`` and ``purpose`` pass through the same
identifier-shape redaction as the logs, plus the shapes the ledger rejects
(bank card numbers in groups of four, full-width digits). Callers must
still pass ids and masks only, never plaintext: the redaction catches
number shapes, not names or addresses.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import structlog
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, transaction
from django.http import HttpRequest

from shoumi.audit import keys
from shoumi.audit.actions import Action, Result
from shoumi.audit.checkpoints import checkpoint_due, sign_checkpoint
from shoumi.audit.encoding import ledger_fields
from shoumi.audit.errors import AuditError
from shoumi.audit.head import keep_compact_range, kept_compact_range, locked_head, save_head
from shoumi.audit.models import ACTOR_EMPLOYEE_NUMBER_KEY, AuditEvent
from shoumi.audit.store import DatabaseHashStore
from shoumi.config import clock
from shoumi.config.logging import REDACTED, redact_text
from shoumi.ledger import LedgerError, TreeAppender, encode_event, get_hasher

logger = structlog.get_logger(__name__)

DetailValue = str | int | bool | None

# Shapes that shoumi.ledger.encode_event rejects as a plaintext ID or bank
# card number, checked after NFKC normalisation: 15-19 digits, 17 digits and
# X, or 16-19 digits in groups of four. redact_text does not follow groups.
_LEDGER_REJECTED_SHAPE: Final = re.compile(
    r"(?<![0-9A-Za-z])"
    r"(?:[0-9]{15,19}|[0-9]{17}[Xx]|[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -][0-9]{1,3})?)"
    r"(?![0-9A-Za-z])"
)
_MAX_LENGTHS: Final = {"object_type": 48, "object_id": 64, "field": 64, "purpose": 200}
# The known codes, as sets: ``Action.values`` builds a list of every member on each call.
_ACTIONS: Final = frozenset(Action.values)
_RESULTS: Final = frozenset(Result.values)


@dataclass(frozen=True)
class EventDraft:
    """An audit event, cleaned and checked, before it gets its place in the log.

    It has no time: the append takes the time while it holds the log lock,
    so times never decrease along the log and no caller can backdate an event.
    """

    action: str
    result: str
    actor_id: int | None = None
    actor_employee_number: str = ""
    actor_roles: str = ""
    object_type: str = ""
    object_id: str = ""
    field: str = ""
    purpose: str = ""
    client_ip: str | None = None
    request_id: str = ""
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def client_ip_of(request: HttpRequest | None) -> str | None:
    """Return the client address Django saw (REMOTE_ADDR) in canonical form, or None."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR") or ""
    try:
        return ipaddress.ip_address(address).compressed
    except ValueError:
        if address:
            logger.warning("audit_client_ip_invalid")
        return None


def redact(text: str) -> str:
    """Return ``text`` with every identifier-shaped number replaced by a placeholder."""
    redacted = redact_text(text)
    normalised = unicodedata.normalize("NFKC", redacted)
    if _LEDGER_REJECTED_SHAPE.search(normalised):
        redacted = redact_text(_LEDGER_REJECTED_SHAPE.sub(REDACTED, normalised))
    return redacted


def _clean_details(details: Mapping[str, Any] | None) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in (details or {}).items():
        if key == ACTOR_EMPLOYEE_NUMBER_KEY:
            raise AuditError(f"Audit detail {key!r} is reserved for the audit service.")
        if isinstance(value, (list, tuple)):
            cleaned[key] = [_clean_scalar(key, item) for item in value]
        else:
            cleaned[key] = _clean_scalar(key, value)
    return cleaned


def _clean_scalar(key: str, value: Any) -> DetailValue:
    if value is None or isinstance(value, (bool, int)):
        return value
    if not isinstance(value, str):
        raise AuditError(
            f"Audit detail {key!r} has type {type(value).__name__}; use str, int, bool or None."
        )
    redacted = redact(value)
    if redacted != value:
        logger.warning("audit_detail_redacted", detail_key=key)
    return redacted


def event_draft(
    *,
    action: str,
    actor: Any = None,
    result: str = Result.SUCCESS,
    object_type: str = "",
    object_id: object = "",
    field: str = "",
    purpose: str = "",
    request: HttpRequest | None = None,
    details: Mapping[str, Any] | None = None,
) -> EventDraft:
    """Check and clean one event's values, with the same arguments as :func:`append`.

    Raises:
        AuditError: the action or result is unknown, a detail has an
            unsupported type or a reserved key, or a value is too long.
    """
    if action not in _ACTIONS:
        raise AuditError(f"Unknown audit action {action!r}; add it to shoumi.audit.actions.Action.")
    if result not in _RESULTS:
        raise AuditError(f"Unknown audit result {result!r}.")
    object_id = str(object_id)
    purpose = redact(purpose)
    values = {
        "object_type": object_type,
        "object_id": object_id,
        "field": field,
        "purpose": purpose,
    }
    for name, value in values.items():
        if len(value) > _MAX_LENGTHS[name]:
            raise AuditError(
                f"Audit value {name!r} has {len(value)} characters, maximum {_MAX_LENGTHS[name]}."
            )

    is_known_actor = actor is not None and getattr(actor, "pk", None) is not None
    return EventDraft(
        action=action,
        result=result,
        actor_id=actor.pk if is_known_actor else None,
        actor_employee_number=actor.employee_number if is_known_actor else "",
        actor_roles=",".join(sorted(actor.role_set)) if is_known_actor else "",
        client_ip=client_ip_of(request),
        # About 1 in 840 of the middleware's ids (16 random hex digits) has
        # a run of 15 digits, which the ledger rejects as a card number.
        request_id=redact(getattr(request, "request_id", "")) if request is not None else "",
        details=_clean_details(details),
        object_type=object_type,
        object_id=object_id,
        field=field,
        purpose=purpose,
    )


def append(
    *,
    action: str,
    actor: Any = None,
    result: str = Result.SUCCESS,
    object_type: str = "",
    object_id: object = "",
    field: str = "",
    purpose: str = "",
    request: HttpRequest | None = None,
    details: Mapping[str, Any] | None = None,
    savepoint: bool = True,
) -> AuditEvent:
    """Write one audit event and return it.

    Raises AuditError for an unknown action or result, or when the event
    cannot be stored; the caller's transaction must then roll back.
    ``savepoint`` is as for :func:`append_many`.
    """
    draft = event_draft(
        action=action,
        actor=actor,
        result=result,
        object_type=object_type,
        object_id=object_id,
        field=field,
        purpose=purpose,
        request=request,
        details=details,
    )
    return append_many([draft], savepoint=savepoint)[0]


def append_many(drafts: Sequence[EventDraft], *, savepoint: bool = True) -> list[AuditEvent]:
    """Write a batch of events with consecutive sequence numbers and return them.

    One lock, one insert into each table and at most one checkpoint for the
    whole batch, which is what makes bulk appends fast.

    Inside the caller's ``transaction.atomic()`` block the writes get a
    savepoint of their own, so that a caller who handles an AuditError can
    go on in its transaction. ``savepoint=False`` leaves the savepoint out,
    for a caller whose block ends on any error from here, so that the whole
    transaction rolls back (the reveal service); it saves two statements.

    Raises:
        AuditError: an event cannot be encoded (for example because a value
            is shaped like a plaintext ID number) or stored. Nothing of the
            batch is written, and the caller's transaction must roll back.
    """
    if not drafts:
        return []
    try:
        with transaction.atomic(savepoint=savepoint):
            events = _write(drafts)
    except (DatabaseError, LedgerError, ImproperlyConfigured) as error:
        logger.critical(
            "audit_append_failed",
            action=drafts[0].action,
            batch_size=len(drafts),
            error_type=type(error).__name__,
            error_code=getattr(error, "code", None),
        )
        raise AuditError("The audit event could not be stored.") from error
    return events


def _write(drafts: Sequence[EventDraft]) -> list[AuditEvent]:
    # One cursor for every statement of the append: opening one costs about
    # as much as running one of these statements.
    with transaction.get_connection().cursor() as cursor:
        return _write_with(drafts, cursor)


def _write_with(drafts: Sequence[EventDraft], cursor: Any) -> list[AuditEvent]:
    head = locked_head(cursor)
    now = clock.now()
    hasher = get_hasher(head.hash_name)
    tag = keys.log_leaf_tagger(head.hash_name).tag
    store = DatabaseHashStore(cursor=cursor)
    stored_range = kept_compact_range(head, hasher, tag)
    appender = (
        TreeAppender.open(store, hasher, head.size)
        if stored_range is None
        else TreeAppender(store, stored_range)
    )

    events = []
    leaf_hashes = []
    for seq, draft in enumerate(drafts, start=head.size):
        encoded = encode_event(
            ledger_fields(
                seq=seq,
                occurred_at=now,
                action=draft.action,
                result=draft.result,
                actor_id=draft.actor_id,
                actor_employee_number=draft.actor_employee_number,
                actor_roles=draft.actor_roles,
                object_type=draft.object_type,
                object_id=draft.object_id,
                field=draft.field,
                purpose=draft.purpose,
                client_ip=draft.client_ip,
                request_id=draft.request_id,
                details=draft.details,
            )
        )
        leaf_hash = hasher.hash_leaf(encoded)
        leaf_hashes.append(leaf_hash)
        events.append(
            AuditEvent(
                seq=seq,
                occurred_at=now,
                actor_id=draft.actor_id,
                actor_employee_number=draft.actor_employee_number,
                action=draft.action,
                object_type=draft.object_type,
                object_id=draft.object_id,
                result=draft.result,
                encoded=encoded,
                leaf_hash=leaf_hash,
                leaf_tag=tag(leaf_hash),
            )
        )

    appender.append_leaf_hashes(leaf_hashes)
    _insert_events(events, cursor)
    head.size = appender.size
    keep_compact_range(head, appender.compact_range(), tag)
    reason = checkpoint_due(head, now)
    if reason is not None:
        sign_checkpoint(head, appender.root(), reason, now)
    save_head(head, cursor)
    return events


_EVENT_COLUMNS: Final = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_employee_number",
    "action",
    "object_type",
    "object_id",
    "result",
    "encoded",
    "leaf_hash",
    "leaf_tag",
)


def _insert_events(events: list[AuditEvent], cursor: Any) -> None:
    """Insert the rows through ``cursor`` and give the instances their primary keys.

    One event is one INSERT that returns its key; a batch is one
    ``executemany`` and one SELECT of the keys.

    Raw SQL because Django's ``bulk_create`` spent most of a batched append
    building SQL for each field of each instance. The values here need no
    conversion except the time.
    """
    connection = transaction.get_connection()
    adapt_time = connection.ops.adapt_datetimefield_value
    table = AuditEvent._meta.db_table
    placeholders = ", ".join(["%s"] * len(_EVENT_COLUMNS))
    insert = f"INSERT INTO {table} ({', '.join(_EVENT_COLUMNS)}) VALUES ({placeholders})"  # noqa: S608
    rows = [
        (
            event.seq,
            adapt_time(event.occurred_at),
            event.actor_id,
            event.actor_employee_number,
            event.action,
            event.object_type,
            event.object_id,
            event.result,
            event.encoded,
            event.leaf_hash,
            event.leaf_tag,
        )
        for event in events
    ]
    if len(rows) == 1 and connection.features.can_return_columns_from_insert:
        # One event, the usual case: the key comes back with the insert.
        cursor.execute(f"{insert} RETURNING id", rows[0])
        primary_keys = {events[0].seq: cursor.fetchone()[0]}
    else:
        cursor.executemany(insert, rows)
        cursor.execute(
            f"SELECT seq, id FROM {table} WHERE seq >= %s AND seq <= %s",  # noqa: S608
            [events[0].seq, events[-1].seq],
        )
        primary_keys = dict(cursor.fetchall())
    for event in events:
        event.pk = primary_keys[event.seq]
        event._state.adding = False
        event._state.db = connection.alias
