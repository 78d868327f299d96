"""The write phase of a ledger import: insert the checked rows' records in batches.

Runs inside the import's transaction. Each batch of rows becomes column
values without model instances and is inserted with one ``executemany`` per
table, because building instances and letting ``bulk_create`` prepare about
40 values per row cost more than sealing them (BENCHMARKS.md, section
Import). The values are those the builders of ``shoumi.clients.services``
would produce from the same checked cells: sealed fields go through
``shoumi.vault.services.sealed_columns``, which seals exactly as ``seal``
does, and sealed columns still pass ``SealedField``'s check that refuses
plaintext. The blind indexes computed while checking are reused unless
the blind-index keys changed in between.

Each batch writes one ``record_created`` event per model that names every
record id of the batch (as 32-digit hex).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    CharField,
    DateTimeField,
    Field,
    ForeignKey,
    Model,
    TextField,
    UUIDField,
)

from shoumi import identifiers
from shoumi.accounts.models import Department, User
from shoumi.audit import services as audit
from shoumi.audit.actions import Action
from shoumi.clients import services
from shoumi.clients.imports import workers
from shoumi.clients.imports.errors import ImportConflictError
from shoumi.clients.imports.rows import (
    AccountValues,
    ClientTarget,
    ImportPlan,
    PersonValues,
    Progress,
    RowPlan,
    RowStatus,
)
from shoumi.clients.models import BankAccount, Client, Person, PersonRole, ValueWarning
from shoumi.config import clock
from shoumi.vault import services as vault
from shoumi.vault.fields import SealedField

# Rows written per batch; each batch writes one audit event per model.
WRITE_BATCH_ROWS = 1000

# How many values go into one ``__in`` query.
QUERY_CHUNK = 500


@dataclass
class WriteCounts:
    """How many records the write phase created."""

    clients: int = 0
    people: int = 0
    accounts: int = 0


@dataclass
class _Batch:
    """One batch's new records as insert parameters, by model, with their ids and warnings."""

    clients: list[tuple[Any, ...]] = field(default_factory=list)
    people: list[tuple[Any, ...]] = field(default_factory=list)
    accounts: list[tuple[Any, ...]] = field(default_factory=list)
    client_ids: list[uuid.UUID] = field(default_factory=list)
    person_ids: list[uuid.UUID] = field(default_factory=list)
    account_ids: list[uuid.UUID] = field(default_factory=list)
    warnings: list[ValueWarning] = field(default_factory=list)


@dataclass(frozen=True)
class _Context:
    """The values that every batch of one import shares."""

    actor: User | None
    department: Department | None
    job_id: uuid.UUID | None
    reuses_indexes: bool
    # The id of every client that rows refer to, by target key, new clients' ids included.
    client_ids: dict[str, uuid.UUID]
    inserts: dict[type[Model], _Insert]


def write_plan(
    plan: ImportPlan,
    *,
    actor: User | None,
    department: Department | None,
    assigned_staff: Sequence[User],
    job_id: uuid.UUID | None,
    progress: Progress | None,
) -> WriteCounts:
    """Insert the records of the plan's new and added rows inside the caller's transaction.

    Batches are built in worker processes when ``shoumi.clients.imports.workers``
    finds that useful, and inserted here in order. Raises ImportConflictError
    when records the plan would create appeared after the rows were checked,
    and IntegrityError when the database refuses a row (a credit code taken at
    the same moment on PostgreSQL).
    """
    rows = [row for row in plan.rows if row.status in (RowStatus.NEW_CLIENT, RowStatus.ADDED)]
    _check_unchanged(plan, rows)
    # Everything a batch reads is ready before the first batch, so forked workers see it.
    context = _Context(
        actor=actor,
        department=department,
        job_id=job_id,
        reuses_indexes=plan.index_key_ids == vault.blind_index_key_ids(),
        client_ids={target.key: target.existing_id or uuid.uuid4() for target in plan.targets},
        inserts={model: _Insert.of(model) for model in (Client, Person, BankAccount)},
    )
    batches = [
        rows[start : start + WRITE_BATCH_ROWS] for start in range(0, len(rows), WRITE_BATCH_ROWS)
    ]

    def build(index: int) -> _Batch:
        return _build_batch(batches[index], context)

    counts = WriteCounts()
    done = 0
    for index, batch in enumerate(workers.build_batches(build, len(batches))):
        _insert_batch(batch, assigned_staff, context)
        counts.clients += len(batch.clients)
        counts.people += len(batch.people)
        counts.accounts += len(batch.accounts)
        done += len(batches[index])
        if progress is not None:
            progress("writing", done, len(rows))
    return counts


def _check_unchanged(plan: ImportPlan, rows: list[RowPlan]) -> None:
    """Raise ImportConflictError if records the plan will create appeared after checking.

    Runs inside the write transaction. On SQLite that transaction already
    has the write lock, so nothing can appear after this check. On
    PostgreSQL the unique constraint on the credit code still catches a
    client created at the same moment.
    """
    new_targets = [target for target in plan.targets if target.existing_id is None]
    uscc_values = [target.key[5:] for target in new_targets if target.key.startswith("uscc:")]
    names = [target.key[5:] for target in new_targets if target.key.startswith("name:")]
    existing_ids = [target.existing_id for target in plan.targets if target.existing_id]
    rows_for_existing = [row for row in rows if row.target and row.target.existing_id]
    id_indexes = [
        row.person.resident_id_index
        for row in rows_for_existing
        if row.person and row.person.resident_id_index
    ]
    account_indexes = [row.account.number_index for row in rows_for_existing if row.account]

    checks = [
        (uscc_values, lambda chunk: Client.objects.filter(uscc__in=chunk)),
        (names, lambda chunk: Client.objects.filter(uscc="", name__in=chunk)),
        (
            id_indexes,
            lambda chunk: Person.objects.filter(
                client_id__in=existing_ids, resident_id_blind_index__in=chunk
            ),
        ),
        (
            account_indexes,
            lambda chunk: BankAccount.objects.filter(
                client_id__in=existing_ids, account_number_blind_index__in=chunk
            ),
        ),
    ]
    for values, query in checks:
        for start in range(0, len(values), QUERY_CHUNK):
            if query(values[start : start + QUERY_CHUNK]).exists():
                raise ImportConflictError("Records of the import appeared after it was checked.")


# Building column values ---------------------------------------------------------------


def _build_batch(rows: list[RowPlan], context: _Context) -> _Batch:
    """Seal one batch's records and convert them to insert parameters, without database access."""
    batch = _Batch()
    now = clock.now()
    inserts = context.inserts
    for row in rows:
        target = row.target
        if target is None:
            raise TypeError("check_row sets a target on every row")
        client_id = context.client_ids[target.key]
        if row.creates_client:
            client_columns = _client_columns(target, client_id, context, now)
            batch.clients.append(inserts[Client].parameters(client_columns))
            batch.client_ids.append(client_id)
            _add_warnings(batch, row, "uscc", Client, client_columns, client_id, context)
        if row.person is not None:
            person_columns = _person_columns(row.person, client_id, context, now)
            batch.people.append(inserts[Person].parameters(person_columns))
            batch.person_ids.append(person_columns["id"])
            _add_warnings(batch, row, "resident_id", Person, person_columns, client_id, context)
        if row.account is not None:
            account_columns = _account_columns(row.account, client_id, context, now)
            batch.accounts.append(inserts[BankAccount].parameters(account_columns))
            batch.account_ids.append(account_columns["id"])
            _add_warnings(
                batch, row, "account_number", BankAccount, account_columns, client_id, context
            )
    return batch


def _client_columns(
    target: ClientTarget, client_id: uuid.UUID, context: _Context, now: Any
) -> dict[str, Any]:
    """Return a new client's columns, as ``services.client_build`` sets them."""
    return {
        "id": client_id,
        "name": target.name.strip(),
        "uscc": target.uscc.value if target.uscc is not None else "",
        "registered_address": target.registered_address.strip(),
        "status": target.status,
        "department_id": context.department.pk if context.department is not None else None,
        "created_at": now,
        "updated_at": now,
    }


def _person_columns(
    person: PersonValues, client_id: uuid.UUID, context: _Context, now: Any
) -> dict[str, Any]:
    """Return a new legal representative's columns, as ``services.person_build`` sets them."""
    name = services.clean_person_name(person.name)
    if not name:
        raise TypeError("check_row rejects a person without a name")
    resident_id = person.resident_id
    reuses = context.reuses_indexes
    record_id = uuid.uuid4()
    columns = vault.sealed_columns(
        model=Person,
        record_id=record_id,
        values={
            "name": vault.FieldValue(
                name,
                blind_indexes=(person.name_index, person.name_index_next) if reuses else None,
            ),
            "resident_id": _identifier_value(
                resident_id,
                (person.resident_id_index, person.resident_id_index_next) if reuses else None,
            ),
            "mobile": _identifier_value(person.mobile, None),
        },
    )
    columns.update(
        id=record_id,
        client_id=client_id,
        role=PersonRole.LEGAL_REP,
        resident_id_kind=str(resident_id.kind) if resident_id is not None else "",
        created_at=now,
        updated_at=now,
    )
    return columns


def _account_columns(
    account: AccountValues, client_id: uuid.UUID, context: _Context, now: Any
) -> dict[str, Any]:
    """Return a new bank account's columns, as ``services.bank_account_build`` sets them."""
    indexes = (account.number_index, account.number_index_next)
    record_id = uuid.uuid4()
    columns = vault.sealed_columns(
        model=BankAccount,
        record_id=record_id,
        values={
            "account_number": _identifier_value(
                account.number, indexes if context.reuses_indexes else None
            )
        },
    )
    columns.update(
        id=record_id,
        client_id=client_id,
        bank_name=account.bank_name.strip(),
        account_kind=account.account_kind,
        created_at=now,
        updated_at=now,
    )
    return columns


def _identifier_value(
    parsed: identifiers.Identifier | None, indexes: tuple[str, str] | None
) -> vault.FieldValue:
    if parsed is None:
        return vault.FieldValue(None)
    return vault.FieldValue(parsed.value, mask=parsed.masked, blind_indexes=indexes)


def _add_warnings(
    batch: _Batch,
    row: RowPlan,
    field_name: str,
    model: type[Model],
    columns: dict[str, Any],
    client_id: uuid.UUID,
    context: _Context,
) -> None:
    """Add a ValueWarning for ``field_name`` when the row's plan left a warning to confirm."""
    codes = row.pending.get(field_name)
    if not codes:
        return
    # A sealed field's warning shows its mask; the credit code is stored in clear anyway.
    mask_column = f"{field_name}_mask" if f"{field_name}_mask" in columns else field_name
    batch.warnings += services.value_warnings_of(
        record_type=model._meta.label_lower,
        record_id=columns["id"],
        client_id=client_id,
        pending={field_name: codes},
        masks={field_name: columns[mask_column]},
        actor=context.actor,
        import_job_id=context.job_id,
    )


# Inserting ------------------------------------------------------------------------------


def _insert_batch(batch: _Batch, assigned_staff: Sequence[User], context: _Context) -> None:
    context.inserts[Client].run(batch.clients)
    _assign_staff(batch.client_ids, assigned_staff)
    context.inserts[Person].run(batch.people)
    context.inserts[BankAccount].run(batch.accounts)
    ValueWarning.objects.bulk_create(batch.warnings)

    _record_batch(Client, batch.client_ids, context)
    _record_batch(Person, batch.person_ids, context)
    _record_batch(BankAccount, batch.account_ids, context)


@dataclass(frozen=True)
class _Insert:
    """The INSERT statement of one model and the conversion of its rows' values.

    Every concrete column must have a value, so a field added to the model
    later fails here until the import sets it. Values are converted for the
    database by the fields themselves, so sealed columns still refuse
    plaintext. Only text given as ``str`` and the batch's shared times skip
    the conversion.
    """

    model: type[Model]
    alias: str
    statement: str
    attnames: tuple[str, ...]
    converters: tuple[Callable[[Any], Any], ...]

    @classmethod
    def of(cls, model: type[Model]) -> _Insert:
        alias = router.db_for_write(model)
        connection = connections[alias]
        fields = model._meta.concrete_fields
        quote = connection.ops.quote_name
        # Concrete fields always have a column; the names come from the model, not from input.
        columns = ", ".join(
            quote(model_field.get_attname_column()[1] or "") for model_field in fields
        )
        placeholders = ", ".join(["%s"] * len(fields))
        table = quote(model._meta.db_table)
        return cls(
            model=model,
            alias=alias,
            statement=f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
            attnames=tuple(model_field.attname for model_field in fields),
            converters=tuple(_converter(model_field, connection) for model_field in fields),
        )

    def parameters(self, columns: dict[str, Any]) -> tuple[Any, ...]:
        """Return the parameters of one row given as {attname: value}.

        Raises TypeError when the row has no value for a column.
        """
        try:
            return tuple(
                convert(columns[attname])
                for attname, convert in zip(self.attnames, self.converters, strict=True)
            )
        except KeyError as error:
            raise TypeError(
                f"The import's row has no value for {self.model.__name__}.{error.args[0]}; "
                "set it in shoumi.clients.imports.writing."
            ) from None

    def run(self, rows: list[tuple[Any, ...]]) -> None:
        """Insert the rows with one ``executemany``."""
        if rows:
            with connections[self.alias].cursor() as cursor:
                cursor.executemany(self.statement, rows)


def _converter(model_field: Field, connection: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    def prepare(value: Any) -> Any:
        return model_field.get_db_prep_save(value, connection)

    if isinstance(model_field, SealedField):
        return prepare
    if isinstance(model_field, CharField | TextField):
        return lambda value: value if type(value) is str else prepare(value)
    if isinstance(model_field, DateTimeField):
        # Every row of a batch shares its time, so it is converted once.
        prepared: dict[Any, Any] = {}

        def prepare_time(value: Any) -> Any:
            if value not in prepared:
                prepared[value] = prepare(value)
            return prepared[value]

        return prepare_time
    key_field = model_field.target_field if isinstance(model_field, ForeignKey) else model_field
    if isinstance(key_field, UUIDField):
        # What UUIDField.get_db_prep_value does with a UUID, without its checks per value.
        if connection.features.has_native_uuid_field:
            return lambda value: value if type(value) is uuid.UUID else prepare(value)
        return lambda value: value.hex if type(value) is uuid.UUID else prepare(value)
    return prepare


def _assign_staff(client_ids: list[uuid.UUID], staff: Sequence[User]) -> None:
    through = Client.assigned_staff.through
    through.objects.bulk_create(
        [
            through(client_id=client_id, user_id=user.pk)
            for client_id in client_ids
            for user in staff
        ]
    )


def _record_batch(model: type[Model], record_ids: list[uuid.UUID], context: _Context) -> None:
    """Write one record_created event naming every record of the batch."""
    if not record_ids:
        return
    audit.append(
        action=Action.RECORD_CREATED,
        actor=context.actor,
        object_type=model._meta.label_lower,
        details={
            "import": context.job_id.hex if context.job_id else "",
            "count": len(record_ids),
            # Hex without dashes: the redaction of digit runs would mask a dashed
            # UUID whose last group happens to be all digits.
            "records": [record_id.hex for record_id in record_ids],
        },
    )
