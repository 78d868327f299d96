"""System checks of the audit log: its guards exist and its hash matches 国密 mode.

Both read the database, so they run with ``shoumi check --database default``
and ``shoumi check-deploy``, and before ``shoumi migrate``.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import DatabaseError, connections
from django.db.migrations.recorder import MigrationRecorder

from shoumi.audit.guards import missing_guards
from shoumi.audit.head import configured_hash_name

GUARD_MIGRATION = ("audit", "0006_insert_only_guards")


def _guard_migration_applied(alias: str) -> bool:
    recorder = MigrationRecorder(connections[alias])
    if not recorder.has_table():
        return False
    return recorder.migration_qs.filter(app=GUARD_MIGRATION[0], name=GUARD_MIGRATION[1]).exists()


@register(Tags.database, Tags.security)
def check_guards(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for alias in kwargs.get("databases") or []:
        try:
            if not _guard_migration_applied(alias):
                continue
            absent = missing_guards(connections[alias])
        except DatabaseError:
            continue
        if absent:
            # A warning, not an error: an error would also stop `shoumi migrate`.
            messages.append(
                Warning(
                    f"The audit tables of database {alias!r} lack the triggers "
                    f"{', '.join(absent)}, so their rows can be changed or deleted.",
                    hint="Run `shoumi audit guards` to create them again, then "
                    "`shoumi audit verify` to check that nothing was changed meanwhile.",
                    id="audit.W002",
                )
            )
    return messages


@register(Tags.database)
def check_hash_algorithm(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from shoumi.audit.models import LogHead

    messages: list[CheckMessage] = []
    for alias in kwargs.get("databases") or []:
        try:
            head = LogHead.objects.using(alias).filter(pk=LogHead.SINGLETON_ID).first()
        except DatabaseError:
            continue
        if head is not None and head.size > 0 and head.hash_name != configured_hash_name():
            messages.append(
                Warning(
                    f"The audit log uses {head.hash_name} but SHOUMI_GUOMI_MODE asks for "
                    f"{configured_hash_name()}; a log keeps its hash algorithm, so it stays "
                    f"on {head.hash_name}.",
                    hint="Switching the algorithm needs a new log: archive the old events "
                    "and start a new database and signing key.",
                    id="audit.W001",
                )
            )
    return messages
