"""Queries for client pages; each returns only what the requesting user may see."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from shoumi import identifiers
from shoumi.access import policy
from shoumi.accounts.models import User
from shoumi.accounts.roles import Role
from shoumi.clients.models import (
    BankAccount,
    Client,
    ImportJob,
    Person,
    TaxLogin,
    ValueWarning,
    ValueWarningStatus,
)
from shoumi.identifiers.base import MASK_CHARACTER
from shoumi.vault import services as vault

# Identifier kinds searched through the blind index of which (model, field). Cards and
# corporate accounts share one field, so both kinds search the same index.
SEARCHABLE_KINDS: dict[str, list[tuple[type[Person] | type[BankAccount], str]]] = {
    identifiers.Kind.RESIDENT_ID: [(Person, "resident_id")],
    identifiers.Kind.RESIDENCE_PERMIT: [(Person, "resident_id")],
    identifiers.Kind.FOREIGN_PERMANENT_RESIDENCE_ID: [(Person, "resident_id")],
    identifiers.Kind.MOBILE: [(Person, "mobile")],
    identifiers.Kind.BANK_CARD: [(BankAccount, "account_number")],
    identifiers.Kind.BANK_ACCOUNT: [(BankAccount, "account_number")],
}


@dataclass(frozen=True)
class ClientFilters:
    query: str = ""
    staff_id: int | None = None
    department_id: int | None = None
    status: str = ""


@dataclass(frozen=True)
class SearchResult:
    """Clients found, with the identifier kinds searched and the query's mask.

    ``matched_kinds`` is empty for a name search; otherwise its first kind is
    the most likely reading of the query.
    """

    clients: QuerySet[Client]
    matched_kinds: tuple[str, ...] = ()
    query_mask: str = ""

    @property
    def matched_kind(self) -> str:
        """The most likely identifier kind of the query, or "" for a name search."""
        return self.matched_kinds[0] if self.matched_kinds else ""


def client_list(*, user: User, filters: ClientFilters | None = None) -> SearchResult:
    """Return the visible clients, filtered; an identifier query is matched by blind index.

    A query may have several readings (an 18-digit number can be a resident
    ID and an account number). Every searchable reading is looked up and
    the results are united, always within the clients ``user`` may see.
    """
    filters = filters or ClientFilters()
    clients = policy.limit_clients(user, Client.objects.all())
    if filters.staff_id:
        assigned = Client.assigned_staff.through.objects.filter(user_id=filters.staff_id).values(
            "client_id"
        )
        clients = clients.filter(pk__in=assigned)
    if filters.department_id:
        clients = clients.filter(department_id=filters.department_id)
    if filters.status:
        clients = clients.filter(status=filters.status)
    result = SearchResult(clients=clients)
    query = filters.query.strip()
    if query:
        result = _search(clients, query)
    return SearchResult(
        clients=result.clients.select_related("department")
        .prefetch_related("assigned_staff")
        .order_by("name", "pk"),
        matched_kinds=result.matched_kinds,
        query_mask=result.query_mask,
    )


def _search(clients: QuerySet[Client], query: str) -> SearchResult:
    readings = [
        reading
        for reading in _identifier_readings(query)
        if reading.kind == identifiers.Kind.USCC or reading.kind in SEARCHABLE_KINDS
    ]
    if not readings:
        return SearchResult(clients.filter(Q(name__icontains=query) | Q(uscc=query.upper())))

    condition = Q(pk__in=[])
    searched: set[tuple[str, str, str]] = set()
    for reading in readings:
        if reading.kind == identifiers.Kind.USCC:
            condition |= Q(uscc=reading.value)
            continue
        for model, field in SEARCHABLE_KINDS[reading.kind]:
            target = (model._meta.label_lower, field, reading.value)
            if target in searched:
                continue
            searched.add(target)
            condition |= Q(pk__in=_owners_by_blind_index(model, field, reading.value))
    kinds = tuple(dict.fromkeys(str(reading.kind) for reading in readings))
    return SearchResult(clients.filter(condition), kinds, _least_revealing_mask(readings))


def _owners_by_blind_index(
    model: type[Person] | type[BankAccount], field: str, canonical_value: str
) -> QuerySet:
    """Return the client ids of the records whose ``field`` has this value, as a subquery."""
    current, upcoming = vault.blind_indexes(model._meta.label_lower, field, canonical_value)
    index_match = Q(**{f"{field}_blind_index": current})
    if upcoming:
        index_match |= Q(**{f"{field}_blind_index_next": upcoming})
    return model.objects.filter(index_match).values("client_id")


def _identifier_readings(query: str) -> list[identifiers.Identifier]:
    """Return every reading of ``query`` worth searching, most likely first.

    ``identify`` never returns a bank account, because an account number has
    no check digit and any run of 8 to 32 digits fits. So every query that
    parses as one is also read as an account number. Cards share the account
    field, so this reading also finds a card that fails the Luhn check, which
    ``identify`` does not read as a card.
    """
    try:
        readings = identifiers.identify(query)
    except identifiers.InvalidIdentifier:
        return []
    try:
        account = identifiers.parse_bank_account(query)
    except identifiers.InvalidIdentifier:
        return readings
    return [*readings, account]


def _least_revealing_mask(readings: list[identifiers.Identifier]) -> str:
    """Return the mask of the reading that shows the fewest characters of the query.

    Masks differ by kind (a resident-ID mask shows seven characters, an
    account mask four), and the audit log keeps the query's mask, so a query
    read several ways is recorded with the one that discloses least.
    """
    masks = [reading.masked for reading in readings]
    return min(masks, key=lambda mask: len(mask) - mask.count(MASK_CHARACTER))


def client_get(*, user: User, client_id: uuid.UUID | str) -> Client | None:
    """Return one visible client with its records loaded, or None (shown as not found)."""
    try:
        key = uuid.UUID(str(client_id))
    except ValueError:
        return None
    return (
        policy.limit_clients(user, Client.objects.all())
        .filter(pk=key)
        .select_related("department")
        .prefetch_related(
            "assigned_staff",
            Prefetch("people", queryset=Person.objects.order_by("role", "created_at")),
            Prefetch(
                "bank_accounts", queryset=BankAccount.objects.order_by("bank_name", "created_at")
            ),
            Prefetch("tax_logins", queryset=TaxLogin.objects.select_related("delegated_staff")),
        )
        .first()
    )


RECORD_MODELS = {
    "person": Person,
    "bankaccount": BankAccount,
    "taxlogin": TaxLogin,
    "client": Client,
}


def record_get(*, user: User, model_name: str, record_id: uuid.UUID | str) -> object | None:
    """Return a visible client record (person, bank account, tax login) by model name and id."""
    model = RECORD_MODELS.get(model_name)
    if model is None:
        return None
    try:
        key = uuid.UUID(str(record_id))
    except ValueError:
        return None
    if model is Client:
        return client_get(user=user, client_id=key)
    visible = policy.limit_clients(user, Client.objects.all()).values("pk")
    records: QuerySet = model._default_manager.filter(pk=key, client__in=visible)
    return records.select_related("client").first()


def client_choice_list(*, user: User) -> QuerySet[Client]:
    """Return the clients ``user`` may see, by name, with only the fields a picker shows.

    Name and credit code are public, so a picker of them reveals nothing
    beyond which clients the user may see.
    """
    return (
        policy.limit_clients(user, Client.objects.all())
        .only("pk", "name", "uscc")
        .order_by("name", "pk")
    )


def _record_ids(client: Client) -> list[str]:
    """Return the ids of the client and of its people, bank accounts and tax logins."""
    record_ids = [str(client.pk)]
    for model in (Person, BankAccount, TaxLogin):
        record_ids += [
            str(pk) for pk in model.objects.filter(client=client).values_list("pk", flat=True)
        ]
    return record_ids


def client_history(*, user: User, client: Client) -> list:
    """Return the audit events about a client and its records, newest first (not for clerks)."""
    from shoumi.audit.models import AuditEvent

    if not policy.can_view_history(user, client):
        return []
    record_ids = _record_ids(client)
    return list(AuditEvent.objects.filter(object_id__in=record_ids).order_by("-id")[:500])


def import_job_get(*, user: User, job_id: uuid.UUID | str) -> ImportJob | None:
    """Return an import job the user started, or None (shown as not found)."""
    try:
        key = uuid.UUID(str(job_id))
    except ValueError:
        return None
    return ImportJob.objects.filter(pk=key, created_by=user).first()


def value_warning_list(*, user: User) -> QuerySet[ValueWarning]:
    """Return the pending value warnings of the clients the user may see, oldest first."""
    visible = policy.limit_clients(user, Client.objects.all()).values("pk")
    return (
        ValueWarning.objects.filter(status=ValueWarningStatus.PENDING, client__in=visible)
        .select_related("client", "created_by")
        .order_by("created_at", "id")
    )


def value_warning_get(*, user: User, warning_id: uuid.UUID | str) -> ValueWarning | None:
    """Return one pending value warning of a visible client, or None."""
    try:
        key = uuid.UUID(str(warning_id))
    except ValueError:
        return None
    return value_warning_list(user=user).filter(pk=key).first()


def value_warning_count_to_confirm(*, user: User) -> int:
    """Count the pending warnings ``user`` may confirm (a reviewer's, not stored by them)."""
    if not user.role_set & policy.CONFIRM_VALUE_ROLES:
        return 0
    return value_warning_list(user=user).exclude(created_by=user).count()


def client_audit_object_ids(*, user: User, client_key: str) -> list[str] | None:
    """Return the ids that audit events use for a client and its records, for the audit log search.

    ``client_key`` is the client's id or its unified social credit code.
    The result contains ids only, never client data. Returns None when no
    client matches or the user is not the audit administrator.
    """
    if not user.has_role(Role.AUDIT_ADMIN):
        return None
    key = client_key.strip()
    try:
        client = Client.objects.filter(pk=uuid.UUID(key)).first()
    except ValueError:
        client = Client.objects.filter(uscc=key.upper()).first()
    return None if client is None else _record_ids(client)
