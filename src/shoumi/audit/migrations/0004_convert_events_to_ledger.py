"""Turn the rows of the interim event table into events of the Merkle log.

Rows become events in their id order, numbered from 0, keeping their time,
actor, action, object, field, purpose, result, client IP, request id and
details. The tree is built as they are converted, and one checkpoint signs
the result, so the converted events are covered from the start. Strings
pass through the audit service's redaction first; the interim table
already redacted them, but the ledger also rejects number shapes that the
interim redaction missed.
"""

import ipaddress

from django.db import migrations

BATCH_SIZE = 2000


def _canonical_ip(address):
    if not address:
        return None
    try:
        return ipaddress.ip_address(address).compressed
    except ValueError:
        return None


def _redacted_details(details, redact):
    cleaned = {}
    for key, value in (details or {}).items():
        if isinstance(value, str):
            cleaned[key] = redact(value)
        elif isinstance(value, list):
            cleaned[key] = [redact(item) if isinstance(item, str) else item for item in value]
        else:
            cleaned[key] = value
    return cleaned


def convert_events(apps, schema_editor):
    from shoumi.audit import keys
    from shoumi.audit.encoding import ledger_fields
    from shoumi.audit.head import configured_hash_name
    from shoumi.audit.models import node_key
    from shoumi.audit.services import redact
    from shoumi.config import clock
    from shoumi.ledger import Checkpoint, CompactRange, LedgerError, encode_event, get_hasher

    using = schema_editor.connection.alias
    AuditEvent = apps.get_model("audit", "AuditEvent")
    SubtreeHash = apps.get_model("audit", "SubtreeHash")
    LogHead = apps.get_model("audit", "LogHead")
    SignedCheckpoint = apps.get_model("audit", "SignedCheckpoint")

    rows = AuditEvent.objects.using(using).order_by("id")
    if not rows.exists():
        return
    hash_name = configured_hash_name()
    hasher = get_hasher(hash_name)
    signer = keys.log_signer()
    tag = signer.leaf_tagger(hash_name).tag
    state = CompactRange(hasher)
    completed: list = []

    for seq, row in enumerate(rows.iterator(chunk_size=BATCH_SIZE)):
        try:
            encoded = encode_event(
                ledger_fields(
                    seq=seq,
                    occurred_at=row.occurred_at,
                    action=row.action,
                    result=row.result,
                    actor_id=row.actor_id,
                    actor_employee_number=row.actor_employee_number,
                    actor_roles=row.actor_roles,
                    object_type=row.object_type,
                    object_id=row.object_id,
                    field=row.field,
                    purpose=redact(row.purpose),
                    client_ip=_canonical_ip(row.client_ip),
                    request_id=row.request_id,
                    details=_redacted_details(row.details, redact),
                )
            )
        except LedgerError as error:
            raise RuntimeError(
                f"Audit event id {row.pk} cannot be converted to the ledger format "
                f"({error.code}: {error}). Correct that row, then run the migration again."
            ) from error
        leaf_hash = hasher.hash_leaf(encoded)
        state.append(leaf_hash, completed)
        AuditEvent.objects.using(using).filter(pk=row.pk).update(
            seq=seq, encoded=encoded, leaf_hash=leaf_hash, leaf_tag=tag(leaf_hash)
        )
        if len(completed) >= BATCH_SIZE:
            _store_hashes(SubtreeHash, using, completed, node_key)
    _store_hashes(SubtreeHash, using, completed, node_key)

    now = clock.now()
    note = signer.sign(Checkpoint(signer.key_name, state.size, state.root(), now, hash_name))
    SignedCheckpoint.objects.using(using).create(
        size=state.size, signed_at=now, reason="migration", note=note
    )
    LogHead.objects.using(using).update_or_create(
        pk=1,
        defaults={
            "size": state.size,
            "hash_name": hash_name,
            "last_checkpoint_size": state.size,
            "last_checkpoint_at": now,
        },
    )


def _store_hashes(SubtreeHash, using, completed, node_key):
    SubtreeHash.objects.using(using).bulk_create(
        [SubtreeHash(node=node_key(level, index), hash=value) for level, index, value in completed]
    )
    completed.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_merkle_log_tables"),
    ]

    operations = [
        migrations.RunPython(convert_events, migrations.RunPython.noop),
    ]
