"""Create and change clients and their sealed data.

Every function validates its input with ``shoumi.identifiers``, seals the
sensitive values, saves, and writes one audit event per changed record in
the same transaction. Audit events name the changed fields and show
encrypted values only as masks (``before`` → ``after``), never in clear.

A value that passes its format but fails a check that genuine values are
known to fail (a credit code's check character, a bank card's Luhn digit)
raises :class:`WarningsNeedConfirmationError` unless the caller confirms
it with a reason; the reason is kept in the audit event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shoumi import identifiers
from shoumi.access import policy
from shoumi.accounts.models import Department, User
from shoumi.accounts.roles import Role
from shoumi.audit import services as audit
from shoumi.audit.actions import Action
from shoumi.clients import selectors
from shoumi.clients.errors import (
    ClientDataInvalidError,
    DuplicateRecordError,
    EditDeniedError,
    WarningsNeedConfirmationError,
)
from shoumi.clients.models import (
    AccountKind,
    BankAccount,
    Client,
    ClientStatus,
    Person,
    PersonRole,
    TaxLogin,
    TaxLoginMethod,
)
from shoumi.vault import services as vault
from shoumi.vault.fields import SealedValue

PERSON_ID_PARSERS = (
    identifiers.parse_resident_id,
    identifiers.parse_foreign_permanent_residence_id,
)


@dataclass(frozen=True)
class Confirmation:
    """A reviewer's confirmation of values that carry warnings, with the reason."""

    reason: str


# Parsing ---------------------------------------------------------------------


def parse_person_id(text: str) -> identifiers.Identifier:
    """Parse a resident ID, residence permit or foreign permanent residence ID.

    Raises InvalidIdentifier with the resident-ID message when no kind fits,
    because that is what staff enter in almost every case.
    """
    errors: list[identifiers.InvalidIdentifier] = []
    for parser in PERSON_ID_PARSERS:
        try:
            return parser(text)
        except identifiers.InvalidIdentifier as error:
            errors.append(error)
    raise errors[0]


def parse_account_number(text: str, account_kind: str) -> identifiers.Identifier:
    if account_kind == AccountKind.CARD:
        return identifiers.parse_bank_card(text)
    return identifiers.parse_bank_account(text)


def _check_warnings(
    field: str, parsed: identifiers.Identifier, confirmation: Confirmation | None
) -> list[str]:
    """Return the codes of warnings that need confirmation; raise if they are not confirmed."""
    codes = [warning.code for warning in parsed.warnings if warning.requires_confirmation]
    if codes and (confirmation is None or not confirmation.reason.strip()):
        raise WarningsNeedConfirmationError(
            _("Confirm this value: %(messages)s")
            % {
                "messages": "；".join(w.message for w in parsed.warnings if w.requires_confirmation)
            },
            field=field,
            warnings=tuple(parsed.warnings),
        )
    return codes


def _parse_field(field: str, parse: Any, text: str) -> identifiers.Identifier:
    try:
        return parse(text)
    except identifiers.InvalidIdentifier as error:
        raise ClientDataInvalidError(str(error), field=field, code=error.code) from error


# Auditing -------------------------------------------------------------------


def _record_event(
    *,
    action: str,
    actor: User | None,
    record: Model,
    changes: dict[str, tuple[str, str]],
    request: HttpRequest | None,
    extra: dict[str, Any] | None = None,
) -> None:
    client = getattr(record, "client", record)
    details: dict[str, Any] = {"client": str(client.pk), "fields": sorted(changes)}
    for name, (before, after) in changes.items():
        details[f"{name}_change"] = f"{before or '∅'} → {after or '∅'}"
    details.update(extra or {})
    audit.append(
        action=action,
        actor=actor,
        object_type=record._meta.label_lower,
        object_id=record.pk,
        request=request,
        details=details,
    )


def _require_edit(actor: User | None, client: Client, *fields: str) -> None:
    """Raise EditDeniedError unless ``actor`` may edit ``fields`` ("model.field") of ``client``.

    ``actor=None`` is the system itself (imports run by an operator on the
    command line, demo data).
    """
    if actor is None:
        return
    decision = policy.can_edit_client(actor, client, fields or ("clients.client.name",))
    if not decision.allowed:
        raise EditDeniedError(decision.message, code=decision.code)


def _seal_change(
    record: Model, field: str, canonical: str | None, *, mask_kind: str | None = None
) -> tuple[str, str] | None:
    """Seal a new value into ``record.<field>``; return (old mask, new mask) if it changed."""
    old: SealedValue = getattr(record, field)
    old_index = getattr(record, f"{field}_blind_index", None)
    vault.seal(record=record, field_name=field, canonical_value=canonical, mask_kind=mask_kind)
    new: SealedValue = getattr(record, field)
    if old_index is not None:
        changed = old_index != getattr(record, f"{field}_blind_index")
    else:
        # Fields without a blind index (credentials) count as changed on every write.
        changed = not (old.is_empty and new.is_empty)
    return (old.mask, new.mask) if changed else None


# Clients ----------------------------------------------------------------------


def client_search(
    *, actor: User, filters: selectors.ClientFilters, request: HttpRequest | None = None
) -> selectors.SearchResult:
    """List visible clients; a search by identifier is audited with the query's mask only."""
    result = selectors.client_list(user=actor, filters=filters)
    if result.matched_kind:
        audit.append(
            action=Action.SEARCH,
            actor=actor,
            object_type="clients.client",
            field=str(result.matched_kind),
            request=request,
            details={"query": result.query_mask},
        )
    return result


@transaction.atomic
def client_create(
    *,
    actor: User | None,
    name: str,
    uscc: str = "",
    registered_address: str = "",
    status: str = ClientStatus.ACTIVE,
    department: Department | None = None,
    assigned_staff: Iterable[User] = (),
    confirmation: Confirmation | None = None,
    request: HttpRequest | None = None,
) -> Client:
    """Create an enterprise client.

    Raises ClientDataInvalidError, WarningsNeedConfirmationError or
    DuplicateRecordError (a client with this credit code exists).
    """
    warnings: list[str] = []
    canonical_uscc = ""
    if uscc.strip():
        parsed = _parse_field("uscc", identifiers.parse_uscc, uscc)
        warnings = _check_warnings("uscc", parsed, confirmation)
        canonical_uscc = parsed.value
        if Client.objects.filter(uscc=canonical_uscc).exists():
            raise DuplicateRecordError(
                _("A client with this credit code already exists."), field="uscc"
            )
    client = Client(
        name=name.strip(),
        uscc=canonical_uscc,
        registered_address=registered_address.strip(),
        status=status,
        department=department,
    )
    client.full_clean()
    client.save()
    client.assigned_staff.set(list(assigned_staff))
    _record_event(
        action=Action.RECORD_CREATED,
        actor=actor,
        record=client,
        changes={},
        request=request,
        extra=_confirmation_details(warnings, confirmation),
    )
    return client


@transaction.atomic
def client_update(
    *,
    actor: User | None,
    client: Client,
    confirmation: Confirmation | None = None,
    request: HttpRequest | None = None,
    **changes: Any,
) -> Client:
    """Change public or internal client fields.

    Accepts name, uscc, registered_address, status, department and assigned_staff.
    """
    _require_edit(actor, client, *(f"clients.client.{name}" for name in changes))
    department_changes = "department" in changes and changes["department"] != client.department
    staff_changes = "assigned_staff" in changes and {
        user.pk for user in changes["assigned_staff"]
    } != set(client.assigned_staff.values_list("pk", flat=True))
    if actor is not None and (department_changes or staff_changes):
        # Assignment decides who sees the client, so it is a permission change.
        if not actor.has_role(Role.MANAGER, Role.ADMINISTRATOR):
            raise EditDeniedError(
                _("Only a manager or an administrator can change who the client is assigned to."),
                code="assignment_denied",
            )
    allowed = {"name", "uscc", "registered_address", "status", "department", "assigned_staff"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"client_update got unknown fields {sorted(unknown)}")
    changed: list[str] = []
    warnings: list[str] = []
    if "uscc" in changes:
        text = changes.pop("uscc") or ""
        canonical = ""
        if text.strip():
            parsed = _parse_field("uscc", identifiers.parse_uscc, text)
            warnings = _check_warnings("uscc", parsed, confirmation)
            canonical = parsed.value
            if Client.objects.filter(uscc=canonical).exclude(pk=client.pk).exists():
                raise DuplicateRecordError(
                    _("A client with this credit code already exists."), field="uscc"
                )
        if canonical != client.uscc:
            client.uscc = canonical
            changed.append("uscc")
    staff = changes.pop("assigned_staff", None)
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(client, name) != value:
            setattr(client, name, value)
            changed.append(name)
    client.full_clean()
    client.save()
    if staff is not None:
        before = set(client.assigned_staff.values_list("pk", flat=True))
        client.assigned_staff.set(list(staff))
        if before != {user.pk for user in staff}:
            changed.append("assigned_staff")
    if changed:
        audit.append(
            action=Action.RECORD_UPDATED,
            actor=actor,
            object_type="clients.client",
            object_id=client.pk,
            request=request,
            details={
                "client": str(client.pk),
                "fields": sorted(changed),
                **_confirmation_details(warnings, confirmation),
            },
        )
    return client


def _confirmation_details(
    warnings: Sequence[str], confirmation: Confirmation | None
) -> dict[str, Any]:
    if not warnings or confirmation is None:
        return {}
    return {
        "confirmed_warnings": list(warnings),
        "confirmation_reason": confirmation.reason.strip(),
    }


# People ----------------------------------------------------------------------


@transaction.atomic
def person_save(
    *,
    actor: User | None,
    client: Client,
    person: Person | None = None,
    role: str = PersonRole.LEGAL_REP,
    name: str | None = None,
    resident_id: str | None = None,
    mobile: str | None = None,
    confirmation: Confirmation | None = None,
    request: HttpRequest | None = None,
) -> Person:
    """Create a person of ``client`` or change one; ``None`` leaves a field as it is.

    Raises ClientDataInvalidError with the field and a Chinese message,
    WarningsNeedConfirmationError, or DuplicateRecordError when the client
    already has a person with this ID number.
    """
    person_fields = [
        f"clients.person.{name}"
        for name, value in (("name", name), ("resident_id", resident_id), ("mobile", mobile))
        if value is not None
    ]
    _require_edit(actor, client, "clients.person.role", *person_fields)
    is_new = person is None
    record = person or Person(client=client, role=role)
    record.role = role
    changes: dict[str, tuple[str, str]] = {}
    warnings: list[str] = []

    if name is not None:
        cleaned_name = " ".join(name.split())
        if not cleaned_name and is_new:
            raise ClientDataInvalidError(_("Enter the name."), field="name", code="name_missing")
        change = _seal_change(record, "name", cleaned_name or None)
        if change:
            changes["name"] = change

    if resident_id is not None:
        canonical, kind = None, ""
        if resident_id.strip():
            parsed = _parse_field("resident_id", parse_person_id, resident_id)
            warnings += _check_warnings("resident_id", parsed, confirmation)
            canonical, kind = parsed.value, str(parsed.kind)
        change = _seal_change(record, "resident_id", canonical, mask_kind=kind or None)
        if change:
            duplicate = Person.objects.filter(
                client=client, resident_id_blind_index=record.resident_id_blind_index
            ).exclude(pk=record.pk)
            if canonical and duplicate.exists():
                raise DuplicateRecordError(
                    _("This client already has a person with this ID number."), field="resident_id"
                )
            record.resident_id_kind = kind
            changes["resident_id"] = change

    if mobile is not None:
        canonical_mobile = None
        if mobile.strip():
            canonical_mobile = _parse_field("mobile", identifiers.parse_mobile, mobile).value
        change = _seal_change(record, "mobile", canonical_mobile)
        if change:
            changes["mobile"] = change

    record.full_clean(exclude=["data_key"])
    record.save()
    if is_new or changes:
        _record_event(
            action=Action.RECORD_CREATED if is_new else Action.RECORD_UPDATED,
            actor=actor,
            record=record,
            changes=changes,
            request=request,
            extra=_confirmation_details(warnings, confirmation),
        )
    return record


# Bank accounts ------------------------------------------------------------------


@transaction.atomic
def bank_account_save(
    *,
    actor: User | None,
    client: Client,
    account: BankAccount | None = None,
    bank_name: str,
    account_kind: str,
    account_number: str,
    confirmation: Confirmation | None = None,
    request: HttpRequest | None = None,
) -> BankAccount:
    """Create or change a bank account.

    A card that fails the Luhn check needs confirmation, because some genuine
    Chinese debit cards do.
    """
    _require_edit(
        actor, client, "clients.bankaccount.bank_name", "clients.bankaccount.account_number"
    )
    is_new = account is None
    record = account or BankAccount(client=client)
    record.bank_name = bank_name.strip()
    record.account_kind = account_kind
    parsed = _parse_field(
        "account_number", lambda text: parse_account_number(text, account_kind), account_number
    )
    warnings = _check_warnings("account_number", parsed, confirmation)
    changes: dict[str, tuple[str, str]] = {}
    change = _seal_change(record, "account_number", parsed.value, mask_kind=str(parsed.kind))
    if change:
        duplicate = BankAccount.objects.filter(
            client=client, account_number_blind_index=record.account_number_blind_index
        ).exclude(pk=record.pk)
        if duplicate.exists():
            raise DuplicateRecordError(
                _("This client already has this account number."), field="account_number"
            )
        changes["account_number"] = change
    record.full_clean(exclude=["data_key"])
    record.save()
    if is_new or changes:
        _record_event(
            action=Action.RECORD_CREATED if is_new else Action.RECORD_UPDATED,
            actor=actor,
            record=record,
            changes=changes,
            request=request,
            extra=_confirmation_details(warnings, confirmation),
        )
    return record


@transaction.atomic
def bank_account_bulk_change_number(
    *,
    actor: User | None,
    accounts: Sequence[BankAccount],
    account_number: str,
    confirmation: Confirmation | None = None,
    request: HttpRequest | None = None,
) -> list[BankAccount]:
    """Set the same account number on several accounts, one audit event per account.

    This is the bulk path: a plain QuerySet.update of a sealed field is
    refused (see SealedRecordQuerySet), because it would leave no event.
    """
    return [
        bank_account_save(
            actor=actor,
            client=account.client,
            account=account,
            bank_name=account.bank_name,
            account_kind=account.account_kind,
            account_number=account_number,
            confirmation=confirmation,
            request=request,
        )
        for account in accounts
    ]


# Tax-bureau logins ---------------------------------------------------------------


@transaction.atomic
def tax_login_save(
    *,
    actor: User | None,
    client: Client,
    login: TaxLogin | None = None,
    method: str,
    delegated_staff: User | None = None,
    username: str | None = None,
    password: str | None = None,
    rotation_due_on: Any = None,
    request: HttpRequest | None = None,
) -> TaxLogin:
    """Record how staff log in to the client's 电子税务局.

    With the delegated method no client credential is kept; a stored
    password is sealed as highly sensitive and gets a date by which it
    should be changed.
    """
    secret_fields = ["clients.taxlogin.password"] if method == TaxLoginMethod.STORED else []
    _require_edit(actor, client, "clients.taxlogin.method", *secret_fields)
    is_new = login is None
    record = login or TaxLogin(client=client)
    record.method = method
    changes: dict[str, tuple[str, str]] = {}
    if method == TaxLoginMethod.DELEGATED:
        if delegated_staff is None:
            raise ClientDataInvalidError(
                _("Choose the staff member whose own tax account is used."), field="delegated_staff"
            )
        record.delegated_staff = delegated_staff
        for field in ("username", "password"):
            change = _seal_change(record, field, None)
            if change:
                changes[field] = change
    else:
        if is_new and not (username and password):
            raise ClientDataInvalidError(
                _("Enter the login name and the password."), field="password"
            )
        record.delegated_staff = None
        for field, text in (("username", username), ("password", password)):
            if text:
                change = _seal_change(record, field, text.strip())
                if change:
                    changes[field] = change
    record.rotation_due_on = rotation_due_on
    record.full_clean(exclude=["data_key"])
    record.save()
    if is_new or changes:
        _record_event(
            action=Action.RECORD_CREATED if is_new else Action.RECORD_UPDATED,
            actor=actor,
            record=record,
            changes=changes,
            request=request,
        )
    return record
