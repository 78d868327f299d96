"""Verification of the stored audit log, and the record of each verification run.

:func:`verify_stored_log` reads archive segments and live events once, in
sequence order. It checks them with :func:`shoumi.ledger.verify_log`
against every stored checkpoint and optionally one exported checkpoint.
Leaf tags are checked too, so an edited event is named by its sequence
number even when its stored hashes were rewritten. Each event's index
columns must also agree with its signed encoding. Outside a transaction a
second thread checks them (:class:`ColumnCheck`) while this one replays the
log, so a verification takes about as long as the replay alone.

The events after the newest checkpoint are checked by hash, leaf tag and
sequence number, but no signature covers them yet, so removing the newest
of them leaves no trace. Signing a checkpoint first (``shoumi audit
checkpoint``) closes that gap.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import structlog
from django.db import connection, transaction
from django.db.models import Max

from shoumi.audit import keys
from shoumi.audit.encoding import index_mismatch
from shoumi.audit.guards import missing_guards
from shoumi.audit.head import configured_hash_name, current_head
from shoumi.audit.models import ArchivedSegment, SignedCheckpoint, VerificationRun
from shoumi.config import clock
from shoumi.ledger import (
    Problem,
    StoredEvent,
    VerificationReport,
    verify_archived_log,
    verify_log,
)

logger = structlog.get_logger(__name__)

FETCH_ROWS: Final = 5000
INDEX_MISMATCH: Final = "index_mismatch"
SEGMENT_MISSING: Final = "segment_missing"

_LEDGER_COLUMNS: Final = "seq, encoded, leaf_hash, leaf_tag"
_COLUMNS: Final = (
    _LEDGER_COLUMNS + ", seq, {time}, actor_id, actor_employee_number, "
    "action, object_type, object_id, result"
)
"""The ``SELECT`` list: the ledger's four values, then the ``IndexRow`` fields in order."""
_TIME_SQL: Final = {
    # Django stores SQLite datetimes as UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]". Any
    # other shape gives '', which no event time equals. The viewer's time filters
    # compare the stored text, so another shape would hide the event from them.
    "sqlite": (
        "CASE WHEN typeof(occurred_at) = 'text' AND substr(occurred_at, 11, 1) = ' ' "
        "THEN replace(occurred_at, ' ', 'T') || "
        "CASE WHEN length(occurred_at) = 19 THEN '.000000Z' ELSE 'Z' END "
        "ELSE '' END"
    ),
    "postgresql": ("to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"),
}


@dataclass(frozen=True)
class LogVerification:
    """The outcome of verifying the whole stored log.

    ``first_bad_seq`` and ``last_bad_seq`` bound the first tampered event
    (equal when it is known exactly). ``covered_size`` counts the events a
    verified checkpoint covers. ``missing_guards`` lists the triggers that
    should make the tables insert-only but are absent; they do not make the
    log invalid, but they leave it unprotected.
    """

    is_valid: bool
    tree_size: int
    covered_size: int
    checkpoints_verified: int
    archived_segments: int
    problem: str = ""
    first_bad_seq: int | None = None
    last_bad_seq: int | None = None
    message: str = "log verified"
    missing_guards: tuple[str, ...] = ()


def _bytes(value: Any) -> bytes:
    return value if type(value) is bytes else bytes(value)


def _live_events(mismatches: list[tuple[int, str]] | None) -> Iterator[StoredEvent]:
    """Yield the live events in ``seq`` order; note the first index mismatch in ``mismatches``.

    With ``mismatches`` None the index columns are not read (a
    :class:`ColumnCheck` compares them). The rows are yielded as plain
    tuples, which ``verify_log`` accepts and which cost less to build than
    ``StoredEvent`` values.
    """
    if mismatches is None:
        columns = _LEDGER_COLUMNS
    else:
        columns = _COLUMNS.format(time=_TIME_SQL[connection.vendor])
    sql = f"SELECT {columns} FROM audit_auditevent ORDER BY seq"  # noqa: S608
    text_kept = _undecodable_text_kept() if mismatches is not None else contextlib.nullcontext()
    with text_kept, connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(FETCH_ROWS):
            for row in rows:
                seq, encoded, leaf_hash, leaf_tag = row[:4]
                if type(encoded) is not bytes:
                    encoded, leaf_hash, leaf_tag = map(_bytes, (encoded, leaf_hash, leaf_tag))
                if mismatches is not None and not mismatches:
                    column = index_mismatch(row[4:], encoded)
                    if column is not None:
                        mismatches.append((seq, column))
                yield (seq, encoded, leaf_hash, leaf_tag)  # type: ignore[misc]


# Text factory that decodes SQLite text that is not UTF-8 into lone surrogates, not an error.
_KEEP_UNDECODABLE = functools.partial(str, encoding="utf-8", errors="surrogateescape")


@contextlib.contextmanager
def _undecodable_text_kept() -> Iterator[None]:
    """Read SQLite text that is not valid UTF-8 as a string that matches no encoded value.

    SQLite keeps any bytes in a text column, and Python's driver raises on the whole
    query when a value does not decode. Read this way, such a value differs from the
    signed encoding, so ``index_mismatch`` names its column. Only the scans that read
    the index columns use it, because it costs a Python call per text value.
    """
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    previous = raw.text_factory
    raw.text_factory = _KEEP_UNDECODABLE
    try:
        yield
    finally:
        raw.text_factory = previous


# The index columns against the encoding, as values: one JSON array from the
# encoding, one built from the columns. Different text means a candidate,
# which index_mismatch then confirms. Equal text means equal values.
_JSON_PATHS: Final = (
    "'$.seq', '$.time', '$.actor_id', '$.details.actor_employee_number', "
    "'$.action', '$.object_type', '$.object_id', '$.result'"
)
_CANDIDATE_CONDITION: Final = {
    # SQLite keeps any type in any column. An actor id that is not an integer
    # becomes a BLOB here, and json_array() raises on a BLOB in any column, so
    # such a row sends the check to Python, as does an encoding that is not JSON.
    "sqlite": (
        f"json_extract(CAST(encoded AS TEXT), {_JSON_PATHS}) IS NOT json_array("
        "seq, {time}, CASE typeof(actor_id) WHEN 'integer' THEN CAST(actor_id AS TEXT) "
        "WHEN 'null' THEN NULL ELSE CAST(actor_id AS BLOB) END, "
        "NULLIF(actor_employee_number, ''), action, "
        "NULLIF(object_type, ''), NULLIF(object_id, ''), result)"
    ),
    "postgresql": (
        "((parsed.j -> 'seq') IS DISTINCT FROM to_jsonb(seq) "
        "OR (parsed.j ->> 'time') IS DISTINCT FROM {time} "
        "OR (parsed.j ->> 'actor_id') IS DISTINCT FROM actor_id::text "
        "OR (parsed.j -> 'details' ->> 'actor_employee_number') "
        "IS DISTINCT FROM NULLIF(actor_employee_number, '') "
        "OR (parsed.j ->> 'action') IS DISTINCT FROM action "
        "OR (parsed.j ->> 'object_type') IS DISTINCT FROM NULLIF(object_type, '') "
        "OR (parsed.j ->> 'object_id') IS DISTINCT FROM NULLIF(object_id, '') "
        "OR (parsed.j ->> 'result') IS DISTINCT FROM result)"
    ),
}
# OFFSET 0 keeps PostgreSQL from inlining the subquery, which would parse the
# encoding once per comparison instead of once per row (five times slower).
_CANDIDATE_FROM: Final = {
    "sqlite": "audit_auditevent",
    "postgresql": (
        "audit_auditevent CROSS JOIN LATERAL "
        "(SELECT convert_from(encoded, 'UTF8')::jsonb AS j OFFSET 0) AS parsed"
    ),
}


def first_column_mismatch() -> tuple[int, str] | None:
    """Return the first event whose index columns disagree with its encoding, and the column.

    The database compares the values with its JSON functions, so the scan
    runs without the interpreter. Each row it returns is confirmed with
    :func:`index_mismatch`, which also names the column. Returns None when
    every event agrees. Raises ``DatabaseError`` when the database cannot
    run the comparison, for example on an encoding that is not JSON on
    PostgreSQL, and the caller then checks in Python.
    """
    vendor = connection.vendor
    time_sql = _TIME_SQL[vendor]
    sql = (
        f"SELECT {_COLUMNS.format(time=time_sql)} FROM {_CANDIDATE_FROM[vendor]} "  # noqa: S608
        f"WHERE seq > %s AND {_CANDIDATE_CONDITION[vendor].format(time=time_sql)} "
        "ORDER BY seq LIMIT 1"
    )
    # Below every sequence number, negative ones included, which the ledger rejects.
    after = -(2**63)
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [after])
            row = cursor.fetchone()
            if row is None:
                return None
            column = index_mismatch(row[4:], _bytes(row[1]))
            if column is not None:
                return row[0], column
            # The values agree; the two JSON texts only spell them differently.
            after = row[0]


class ColumnCheck:
    """:func:`first_column_mismatch` in a thread of its own, beside the ledger's pass.

    The thread has its own database connection and spends its time in the
    database, which releases the interpreter lock, so on a machine with two
    cores the check adds almost nothing to the time of a verification. It
    reads committed rows only, so it is used only outside a transaction.
    """

    def __init__(self) -> None:
        self._found: tuple[int, str] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="audit-column-check", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._found = first_column_mismatch()
        except Exception as error:  # noqa: BLE001 - reported by mismatches()
            self._error = error
        finally:
            # The connection Django opened for this thread.
            connection.close()

    def mismatches(self) -> list[tuple[int, str]]:
        """Wait for the check and return the first mismatch as ``_live_events`` notes it."""
        self._thread.join()
        if self._error is not None:
            logger.warning("audit_column_check_in_python", error_type=type(self._error).__name__)
            mismatches: list[tuple[int, str]] = []
            for _event in _live_events(mismatches):
                if mismatches:
                    break
            return mismatches
        return [] if self._found is None else [self._found]


def _segment_path(segment: ArchivedSegment, archive_dir: Path | None) -> Path:
    return archive_dir / segment.file_name if archive_dir is not None else Path(segment.path)


def _segment_files(paths: list[Path]) -> Iterator[bytes]:
    for path in paths:
        yield path.read_bytes()


def _combine(
    report: VerificationReport, mismatches: list[tuple[int, str]], segments: int
) -> LogVerification:
    outcome = LogVerification(
        is_valid=report.is_valid,
        tree_size=report.tree_size,
        covered_size=report.covered_size,
        checkpoints_verified=report.checkpoints_verified,
        archived_segments=segments,
        problem=str(report.problem or ""),
        first_bad_seq=report.first_bad_seq,
        last_bad_seq=report.last_bad_seq,
        message=report.message,
    )
    if not mismatches:
        return outcome
    seq, column = mismatches[0]
    if report.is_valid or (report.first_bad_seq is not None and seq < report.first_bad_seq):
        return LogVerification(
            is_valid=False,
            tree_size=report.tree_size,
            covered_size=min(report.covered_size, seq),
            checkpoints_verified=report.checkpoints_verified,
            archived_segments=segments,
            problem=INDEX_MISMATCH,
            first_bad_seq=seq,
            last_bad_seq=seq,
            message=f"the {column} column of event {seq} differs from its signed encoding",
        )
    return outcome


def _verify(
    against_note: str | None, archive_dir: Path | None, *, in_parallel: bool
) -> LogVerification:
    head = current_head()
    hash_name = head.hash_name if head is not None else configured_hash_name()
    notes = list(SignedCheckpoint.objects.order_by("size", "id").values_list("note", flat=True))
    if against_note is not None:
        notes.append(against_note)
    segments = list(ArchivedSegment.objects.order_by("first_seq"))
    paths = [_segment_path(segment, archive_dir) for segment in segments]
    for segment, path in zip(segments, paths, strict=True):
        if not path.is_file():
            return LogVerification(
                is_valid=False,
                tree_size=0,
                covered_size=0,
                checkpoints_verified=0,
                archived_segments=len(segments),
                problem=SEGMENT_MISSING,
                first_bad_seq=segment.first_seq,
                last_bad_seq=segment.end_seq - 1,
                message=f"archive file {path} for events {segment.first_seq}.."
                f"{segment.end_seq - 1} was not found",
            )

    column_check = ColumnCheck() if in_parallel else None
    mismatches: list[tuple[int, str]] | None = [] if column_check is None else None
    report = _replay(paths, notes, hash_name, mismatches)
    if against_note is not None and report.problem == Problem.FORKED_CHECKPOINTS:
        # A stored checkpoint contradicts the exported one, so the rewritten
        # log was re-signed with the signing key. The exported checkpoint
        # alone narrows the change down to the events it covers.
        if mismatches is not None:
            mismatches.clear()
        report = _replay(paths, [against_note], hash_name, mismatches)
    found = column_check.mismatches() if column_check is not None else mismatches or []
    outcome = _combine(report, found, len(segments))
    return _check_known_size(outcome, head.size if head is not None else 0)


def _check_known_size(outcome: LogVerification, head_size: int) -> LogVerification:
    """Fail a verified log that holds fewer events than the log head or an earlier run saw.

    Events removed from the end after the last signed checkpoint leave a
    log that verifies by itself; the head row and the recorded runs still
    remember how long it was. Only an exported checkpoint proves it against
    someone who rewrites those rows too, but this catches the plain case.
    """
    if not outcome.is_valid:
        return outcome
    seen = VerificationRun.objects.aggregate(size=Max("tree_size"))["size"] or 0
    known = max(head_size, seen)
    if known <= outcome.tree_size:
        return outcome
    source = "the log head" if head_size >= seen else "an earlier verification"
    return dataclasses.replace(
        outcome,
        is_valid=False,
        problem=Problem.TRUNCATED,
        first_bad_seq=outcome.tree_size,
        last_bad_seq=known - 1,
        message=f"{source} recorded {known} events, but only {outcome.tree_size} are stored",
    )


def _replay(
    segment_paths: list[Path],
    notes: list[str],
    hash_name: str,
    mismatches: list[tuple[int, str]] | None,
) -> VerificationReport:
    verifier = keys.log_verifier()
    tagger = keys.log_leaf_tagger(hash_name)
    origin = keys.log_origin()
    events = _live_events(mismatches)
    if segment_paths:
        return verify_archived_log(
            _segment_files(segment_paths),
            events,
            notes,
            verifier,
            origin=origin,
            hash_name=hash_name,
            leaf_tagger=tagger,
        )
    return verify_log(
        events, notes, verifier, origin=origin, hash_name=hash_name, leaf_tagger=tagger
    )


def verify_stored_log(
    *, against_note: str | None = None, archive_dir: Path | None = None, record: bool = True
) -> LogVerification:
    """Verify archive segments, live events and checkpoints, and record the run.

    ``against_note`` is a signed checkpoint kept outside the system, checked
    with the stored ones. ``archive_dir`` is where the archive files are
    now, when they were moved since they were written. With ``record``
    False the run is not stored as a ``VerificationRun``.

    Raises:
        ImproperlyConfigured: the signing key files cannot be loaded.
    """
    started_at = clock.now()
    # Inside the caller's transaction another connection would not see its
    # rows, so the index columns are then checked in this thread.
    in_parallel = not connection.in_atomic_block and connection.vendor in _CANDIDATE_CONDITION
    # PostgreSQL streams from a server-side cursor, which needs a
    # transaction to avoid materialising the result. On SQLite an
    # IMMEDIATE transaction would block every append while verifying.
    in_transaction = (
        transaction.atomic() if connection.vendor == "postgresql" else contextlib.nullcontext()
    )
    with in_transaction:
        outcome = _verify(against_note, archive_dir, in_parallel=in_parallel)
    absent = tuple(missing_guards(connection))
    if absent:
        outcome = dataclasses.replace(outcome, missing_guards=absent)
    finished_at = clock.now()
    _log_outcome(outcome, finished_at - started_at)
    if record:
        VerificationRun.objects.create(
            started_at=started_at,
            finished_at=finished_at,
            is_valid=outcome.is_valid,
            tree_size=outcome.tree_size,
            covered_size=outcome.covered_size,
            checkpoints_verified=outcome.checkpoints_verified,
            problem=outcome.problem,
            first_bad_seq=outcome.first_bad_seq,
            last_bad_seq=outcome.last_bad_seq,
            message=outcome.message[:500],
            against_export=against_note is not None,
        )
    return outcome


def _log_outcome(outcome: LogVerification, duration: dt.timedelta) -> None:
    fields = {
        "tree_size": outcome.tree_size,
        "covered_size": outcome.covered_size,
        "seconds": round(duration.total_seconds(), 3),
    }
    if outcome.is_valid:
        logger.info("audit_log_verified", **fields)
    else:
        logger.critical(
            "audit_log_verification_failed",
            problem=outcome.problem,
            first_bad_seq=outcome.first_bad_seq,
            last_bad_seq=outcome.last_bad_seq,
            **fields,
        )
    if outcome.missing_guards:
        logger.critical("audit_guards_missing", triggers=list(outcome.missing_guards))


def last_verification() -> VerificationRun | None:
    """Return the most recent verification run, or None if the log was never verified."""
    return VerificationRun.objects.order_by("-finished_at", "-id").first()
