"""Tables of the audit log: events, subtree hashes, checkpoints, archive records.

The log itself is the sequence of ``AuditEvent.encoded`` byte strings, in
``seq`` order, hashed into a Merkle tree (see :mod:`shoumi.ledger`). The
other event columns are a search index derived from the same values, and
``shoumi audit verify`` checks that they still agree with the encoding.

Every table here except ``LogHead`` is insert-only: database triggers
(:mod:`shoumi.audit.guards`) refuse UPDATE and DELETE, with one exception
for events that an archive segment already contains. NOTE: on SQLite, a
migration that alters one of these tables rebuilds it and drops its
triggers, so such a migration must call ``create_guards`` again. A test
checks that every trigger exists after all migrations.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any, Final

from django.db import models
from django.utils.translation import gettext_lazy as _

from shoumi.audit.actions import Action, Result

ACTOR_EMPLOYEE_NUMBER_KEY: Final = "actor_employee_number"
"""Key under which the encoded ``details`` carry the actor's employee number.

The ledger's event schema has no field for it, and the employee number must
be covered by the signatures as much as the actor id is."""

NODE_LEVEL_BITS = 6
"""A subtree hash is keyed by ``index << NODE_LEVEL_BITS | level``; levels stay below 64."""


def node_key(level: int, index: int) -> int:
    """Return the ``SubtreeHash`` primary key of the subtree ``(level, index)``."""
    return (index << NODE_LEVEL_BITS) | level


class AuditEvent(models.Model):
    """One security-relevant event. Never contains a plaintext personal value.

    ``encoded`` is the event: its canonical encoding
    (``shoumi.ledger.encode_event``), which the Merkle tree hashes.
    ``leaf_hash`` is its RFC 9162 leaf hash and ``leaf_tag`` an HMAC of the
    leaf hash under a key derived from the checkpoint signing key. The
    other columns copy the encoded values that searches filter on. The rest
    (roles, field, purpose, client IP, request id, details) is read from
    the encoding through properties.

    The actor is stored as id and employee-number snapshot rather than a
    foreign key, so events outlive the account and no cascade can reach them.
    """

    seq = models.BigIntegerField(_("sequence number"), unique=True)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    # No index of its own: ``audit_event_actor_recent`` starts with this column and serves
    # every lookup by actor, and one index fewer is one page fewer for each append to write.
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_employee_number = models.CharField(_("actor"), max_length=32, blank=True, db_index=True)
    # No ``choices`` here: every app adds actions to Action, and choices on
    # the column would need a migration for each. append() refuses unknown
    # actions instead, and ``action_label`` gives the display text.
    action = models.CharField(_("action"), max_length=48, db_index=True)
    object_type = models.CharField(_("object type"), max_length=48, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices)
    encoded = models.BinaryField(_("canonical encoding"))
    leaf_hash = models.BinaryField(_("leaf hash"))
    leaf_tag = models.BinaryField(_("leaf tag"))

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["seq"]
        indexes = [
            # The alert rules count one actor's events of the last hour after
            # every reveal; with result and action in the index, the count
            # reads no table rows.
            models.Index(
                fields=["actor_id", "occurred_at", "result", "action"],
                name="audit_event_actor_recent",
            )
        ]

    def __str__(self) -> str:
        return f"audit event {self.seq} {self.action}"

    @property
    def action_label(self) -> str:
        """The translated name of the action, or its code when the code is unknown."""
        try:
            return str(Action(self.action).label)
        except ValueError:
            return self.action

    @cached_property
    def decoded(self) -> dict[str, Any]:
        """The encoded event as a mapping, parsed without re-checking its canonical form."""
        value: dict[str, Any] = json.loads(bytes(self.encoded))
        return value

    @property
    def actor_roles(self) -> str:
        """The actor's roles when the event happened, comma-separated."""
        return self.decoded["actor_role"] or ""

    @property
    def field(self) -> str:
        return self.decoded["field"] or ""

    # Labels for the viewer; the stored event and the CSV export keep the codes.

    @property
    def actor_roles_label(self) -> str:
        """The actor's roles as their translated names."""
        from shoumi.accounts.roles import Role

        names = []
        for code in filter(None, self.actor_roles.split(",")):
            try:
                names.append(str(Role(code.strip()).label))
            except ValueError:
                names.append(code)
        return "、".join(names)

    def _model(self) -> type[models.Model] | None:
        from django.apps import apps

        label = "accounts.user" if self.object_type == "user" else self.object_type
        try:
            return apps.get_model(label) if "." in label else None
        except (LookupError, ValueError):
            return None

    @property
    def object_type_label(self) -> str:
        """The translated name of the object's model, or its code when unknown."""
        model = self._model()
        return str(model._meta.verbose_name) if model is not None else self.object_type

    @property
    def field_label(self) -> str:
        """The translated name of the field, or its code when unknown."""
        from shoumi.access.models import field_label

        model = self._model()
        if model is None or not self.field:
            return self.field
        labelled = field_label(f"{model._meta.label_lower}.{self.field}")
        if labelled != f"{model._meta.label_lower}.{self.field}":
            return labelled
        try:
            verbose_name = getattr(model._meta.get_field(self.field), "verbose_name", None)
        except Exception:  # noqa: BLE001 - FieldDoesNotExist
            return self.field
        return str(verbose_name) if verbose_name else self.field

    @property
    def purpose_label(self) -> str:
        """The purpose, with the redaction marker explained."""
        from shoumi.config.logging import REDACTED

        return self.purpose.replace(REDACTED, str(_("(removed: it contained an identifier)")))

    @property
    def purpose(self) -> str:
        return self.decoded["purpose"] or ""

    @property
    def client_ip(self) -> str | None:
        ip: str | None = self.decoded["client_ip"]
        return ip

    @property
    def request_id(self) -> str:
        return self.decoded["request_id"] or ""

    @property
    def details(self) -> dict[str, Any]:
        """The caller's details, without the actor snapshot the audit service adds."""
        return {
            key: value
            for key, value in self.decoded["details"].items()
            if key != ACTOR_EMPLOYEE_NUMBER_KEY
        }


class LogHead(models.Model):
    """The one row that serialises appends and records the log's size.

    Appends lock this row (SELECT ... FOR UPDATE on PostgreSQL; SQLite's
    IMMEDIATE transactions already admit one writer at a time). It is a
    cache of facts the other tables also contain, which verification never
    trusts.
    """

    SINGLETON_ID = 1

    size = models.BigIntegerField(_("events in the log"), default=0)
    hash_name = models.CharField(_("hash algorithm"), max_length=16)
    last_checkpoint_size = models.BigIntegerField(_("size at the last checkpoint"), default=0)
    last_checkpoint_at = models.DateTimeField(_("last checkpoint"), null=True, blank=True)
    # The compact range of the first ``compact_range_size`` events and its tag, so that an
    # append reads no subtree hashes. Used only while the size and the tag match.
    compact_range_size = models.BigIntegerField(_("size of the kept compact range"), default=0)
    compact_range = models.BinaryField(_("kept compact range"), default=b"")

    class Meta:
        verbose_name = _("audit log head")
        verbose_name_plural = _("audit log heads")

    def __str__(self) -> str:
        return f"audit log head size={self.size} hash={self.hash_name}"


class SubtreeHash(models.Model):
    """The hash of one perfect subtree of the Merkle tree, level 0 being the leaves.

    The key packs ``(level, index)`` into one integer (:func:`node_key`), so
    that a proof reads its ``O(log n)`` hashes with one ``IN`` lookup.
    """

    node = models.BigIntegerField(_("node"), primary_key=True)
    hash = models.BinaryField(_("hash"))

    class Meta:
        verbose_name = _("subtree hash")
        verbose_name_plural = _("subtree hashes")

    def __str__(self) -> str:
        level = self.node & ((1 << NODE_LEVEL_BITS) - 1)
        return f"subtree ({level}, {self.node >> NODE_LEVEL_BITS})"


class CheckpointReason(models.TextChoices):
    EVENTS = "events", _("Event count reached")
    TIME = "time", _("Interval elapsed")
    SHUTDOWN = "shutdown", _("Server shutdown")
    MANUAL = "manual", _("Requested by command")
    ARCHIVE = "archive", _("Archive segment written")
    MIGRATION = "migration", _("Earlier events converted")


class SignedCheckpoint(models.Model):
    """A signed note committing the log to its first ``size`` events."""

    size = models.BigIntegerField(_("tree size"), db_index=True)
    signed_at = models.DateTimeField(_("signed at"))
    reason = models.CharField(_("reason"), max_length=16, choices=CheckpointReason.choices)
    note = models.TextField(_("signed note"))

    class Meta:
        verbose_name = _("signed checkpoint")
        verbose_name_plural = _("signed checkpoints")
        ordering = ["size", "id"]

    def __str__(self) -> str:
        return f"checkpoint size={self.size}"


class ArchivedSegment(models.Model):
    """A range of events ``[first_seq, end_seq)`` moved out of the database into a signed file.

    Recording the segment is what allows the guard to let those event rows
    be deleted. ``sha256`` is the digest of the whole file as written.
    """

    first_seq = models.BigIntegerField(_("first sequence number"), unique=True)
    end_seq = models.BigIntegerField(_("end sequence number (exclusive)"), unique=True)
    file_name = models.CharField(_("file name"), max_length=200)
    path = models.CharField(_("path when written"), max_length=1000)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    created_at = models.DateTimeField(_("archived at"))

    class Meta:
        verbose_name = _("archived segment")
        verbose_name_plural = _("archived segments")
        ordering = ["first_seq"]

    def __str__(self) -> str:
        return f"archived events {self.first_seq}..{self.end_seq - 1}"


class VerificationRun(models.Model):
    """The outcome of one verification of the whole log, for the viewer and for auditors."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    is_valid = models.BooleanField(_("verified"))
    tree_size = models.BigIntegerField(_("events read"))
    covered_size = models.BigIntegerField(_("events covered by a checkpoint"))
    checkpoints_verified = models.IntegerField(_("checkpoints verified"))
    problem = models.CharField(_("problem"), max_length=32, blank=True)
    first_bad_seq = models.BigIntegerField(_("first bad event"), null=True, blank=True)
    last_bad_seq = models.BigIntegerField(_("last possible bad event"), null=True, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    against_export = models.BooleanField(_("against an exported checkpoint"), default=False)

    class Meta:
        verbose_name = _("verification run")
        verbose_name_plural = _("verification runs")
        ordering = ["-finished_at", "-id"]

    def __str__(self) -> str:
        return f"verification {self.finished_at:%Y-%m-%d %H:%M} valid={self.is_valid}"
