"""Helpers for the audit log tests: appending synthetic events, tampering, running commands."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.management import CommandError, call_command
from django.db import connection

from shoumi.audit import services
from shoumi.audit.actions import Action, Result
from shoumi.audit.guards import create_guards, drop_guards
from shoumi.audit.models import AuditEvent

ACTIONS = (Action.LOGIN_SUCCEEDED, Action.REVEAL, Action.RECORD_UPDATED, Action.EXPORT)


def append_events(count: int, *, actor: Any = None, **fields: Any) -> list[AuditEvent]:
    """Append ``count`` synthetic events in one batch and return them."""
    drafts = [
        services.event_draft(
            action=fields.get("action", ACTIONS[number % len(ACTIONS)]),
            actor=actor,
            result=fields.get("result", Result.SUCCESS),
            object_type=fields.get("object_type", "clients.client"),
            object_id=fields.get("object_id", f"client-{number % 13}"),
            purpose=fields.get("purpose", "核对资料"),
            details=fields.get("details", {"number": number, "mask": "6217 **** **** 6786"}),
        )
        for number in range(count)
    ]
    return services.append_many(drafts)


@contextlib.contextmanager
def without_guards() -> Iterator[None]:
    """Drop the triggers for the block, as a database owner attacking the log could."""
    drop_guards(connection)
    try:
        yield
    finally:
        create_guards(connection, allow_test_flush=True)


def execute(sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@dataclass
class CommandOutcome:
    exit_code: int
    stdout: str
    stderr: str


def run_command(*arguments: str) -> CommandOutcome:
    """Run ``shoumi <arguments>`` and return its exit code and output."""
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command(*arguments, stdout=stdout, stderr=stderr)
    except CommandError as error:
        stderr.write(str(error))
        return CommandOutcome(error.returncode, stdout.getvalue(), stderr.getvalue())
    return CommandOutcome(0, stdout.getvalue(), stderr.getvalue())
