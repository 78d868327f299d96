"""Create and change clients and their sealed data.

Every function validates its input with ``shoumi.identifiers``, seals the
sensitive values, saves, and writes one audit event per changed record in
the same transaction. Audit events name the changed fields and show
encrypted values only as masks (``before`` → ``after``), never in clear.

A value that passes its format but fails a check that genuine values are
known to fail (a credit code's check character, a bank card's Luhn digit)
raises :class:`WarningsNeedConfirmationError` unless the caller confirms
it with a reason; the reason is kept in the audit event. With
``pending_review=True`` (the ledger import) such a value is stored and a
:class:`~shoumi.clients.models.ValueWarning` asks a reviewer to confirm it
later.

Company names, registered addresses, bank names and confirmation reasons
are stored in clear, so a value that contains a personal identifier raises
ClientDataInvalidError (see ``shoumi.vault.free_text``).

The ``clean_*`` and ``parse_*_text`` functions and the ``*_build`` functions
hold the rules the services apply, without touching the database, so that
the ledger import checks every cell by the same rules before it writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
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
    ValueWarningClosedError,
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
    ValueWarning,
    ValueWarningStatus,
)
from shoumi.config import clock
from shoumi.vault import services as vault
from shoumi.vault.fields import SealedValue
from shoumi.vault.free_text import reject_identifiers

# Length of the reason a reviewer gives when confirming a warned value.
CONFIRMATION_REASON_MIN_LENGTH = 2
CONFIRMATION_REASON_MAX_LENGTH = 200

PERSON_ID_PARSERS = (
    identifiers.parse_resident_id,
    identifiers.parse_foreign_permanent_residence_id,
)


@dataclass(frozen=True)
class Confirmation:
    """A reviewer's confirmation of values that carry warnings, with the reason."""

    reason: str


RecordT = TypeVar("RecordT", bound=Model)


@dataclass
class Built(Generic[RecordT]):
    """An unsaved record with sealed values, as a ``*_build`` function returns it.

    ``changes`` maps each changed sealed field to its (old mask, new mask).
    ``confirmed`` lists the warning codes confirmed with the caller's reason,
    and ``pending`` maps a field to the warning codes a reviewer must still
    confirm (only with ``pending_review=True``).
    """

    record: RecordT
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    confirmed: list[str] = field(default_factory=list)
    pending: dict[str, list[str]] = field(default_factory=dict)


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


def warning_codes_to_confirm(parsed: identifiers.Identifier) -> list[str]:
    """Return the codes of the warnings on ``parsed`` that a reviewer must confirm."""
    return [warning.code for warning in parsed.warnings if warning.requires_confirmation]


def _check_warnings(
    built: Built[Any],
    field_name: str,
    parsed: identifiers.Identifier,
    confirmation: Confirmation | None,
    *,
    pending_review: bool = False,
) -> None:
    """Sort the value's warnings into confirmed or pending; raise if neither applies."""
    codes = warning_codes_to_confirm(parsed)
    if not codes:
        return
    if confirmation is not None and confirmation.reason.strip():
        reject_identifiers(ClientDataInvalidError, confirm_reason=confirmation.reason)
        built.confirmed.extend(codes)
        return
    if pending_review:
        built.pending[field_name] = codes
        return
    raise WarningsNeedConfirmationError(
        _("Confirm this value: %(messages)s")
        % {"messages": "；".join(w.message for w in parsed.warnings if w.requires_confirmation)},
        field=field_name,
        warnings=tuple(parsed.warnings),
    )


def _parse_field(
    field: str, parse: Any, text: IdentifierInput, kinds: frozenset[str]
) -> identifiers.Identifier:
    if isinstance(text, identifiers.Identifier):
        if text.kind not in kinds:
            raise TypeError(f"{field} got a parsed {text.kind}, expected one of {sorted(kinds)}")
        return text
    try:
        return parse(text)
    except identifiers.InvalidIdentifier as error:
        raise ClientDataInvalidError(str(error), field=field, code=error.code) from error


# Cleaning one value ----------------------------------------------------------
# Each function raises ClientDataInvalidError naming the field; "" means "no value".
# An identifier that a parse_*_text function already returned is used as it is,
# so that the import, which checks every cell first, does not parse it twice.

IdentifierInput = str | identifiers.Identifier

USCC_KINDS = frozenset({identifiers.Kind.USCC})
PERSON_ID_KINDS = frozenset(
    {
        identifiers.Kind.RESIDENT_ID,
        identifiers.Kind.RESIDENCE_PERMIT,
        identifiers.Kind.FOREIGN_PERMANENT_RESIDENCE_ID,
    }
)
MOBILE_KINDS = frozenset({identifiers.Kind.MOBILE})
ACCOUNT_KINDS = frozenset({identifiers.Kind.BANK_CARD, identifiers.Kind.BANK_ACCOUNT})


def _is_blank(text: IdentifierInput) -> bool:
    return isinstance(text, str) and not text.strip()


def clean_model_value(model: type[Model], field_name: str, value: Any) -> Any:
    """Apply a model field's own checks (blank, length, choices) to one value.

    A text value is also checked for personal identifiers, because every
    text field this is used for is stored unencrypted.
    """
    try:
        cleaned = model._meta.get_field(field_name).clean(value, None)  # type: ignore[union-attr]
    except ValidationError as error:
        code = error.error_list[0].code or "invalid"
        message = "；".join(error.messages)
        raise ClientDataInvalidError(message, field=field_name, code=code) from None
    if isinstance(cleaned, str):
        reject_identifiers(ClientDataInvalidError, **{field_name: cleaned})
    return cleaned


def parse_uscc_text(text: IdentifierInput) -> identifiers.Identifier | None:
    """Parse a credit code; an empty text gives None."""
    if _is_blank(text):
        return None
    return _parse_field("uscc", identifiers.parse_uscc, text, USCC_KINDS)


def clean_person_name(text: str) -> str:
    """Collapse runs of whitespace in a person's name."""
    return " ".join(text.split())


def parse_resident_id_text(text: IdentifierInput) -> identifiers.Identifier | None:
    """Parse a person's identity-document number; an empty text gives None."""
    if _is_blank(text):
        return None
    return _parse_field("resident_id", parse_person_id, text, PERSON_ID_KINDS)


def parse_mobile_text(text: IdentifierInput) -> identifiers.Identifier | None:
    """Parse a mobile number; an empty text gives None."""
    if _is_blank(text):
        return None
    return _parse_field("mobile", identifiers.parse_mobile, text, MOBILE_KINDS)


def parse_account_number_text(text: IdentifierInput, account_kind: str) -> identifiers.Identifier:
    """Parse a card or corporate account number according to ``account_kind``."""
    return _parse_field(
        "account_number",
        lambda value: parse_account_number(value, account_kind),
        text,
        ACCOUNT_KINDS,
    )


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
    record: Model,
    field: str,
    canonical: str | None,
    *,
    mask_kind: str | None = None,
    parsed: identifiers.Identifier | None = None,
) -> tuple[str, str] | None:
    """Seal a new value into ``record.<field>``; return (old mask, new mask) if it changed.

    ``parsed`` is the identifier ``canonical`` came from; its mask is reused.
    """
    old: SealedValue = getattr(record, field)
    old_index = getattr(record, f"{field}_blind_index", None)
    vault.seal(
        record=record,
        field_name=field,
        canonical_value=canonical,
        mask_kind=mask_kind,
        mask=parsed.masked if parsed is not None else None,
    )
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
    """List visible clients; a search by identifier is audited with the query's mask only.

    The event's field is the most likely reading of the query, and its
    details list every identifier kind whose index was searched.
    """
    result = selectors.client_list(user=actor, filters=filters)
    if result.matched_kinds:
        audit.append(
            action=Action.SEARCH,
            actor=actor,
            object_type="clients.client",
            field=result.matched_kind,
            request=request,
            details={"query": result.query_mask, "kinds": list(result.matched_kinds)},
        )
    return result


def client_build(
    *,
    name: str,
    uscc: IdentifierInput = "",
    registered_address: str = "",
    status: str = ClientStatus.ACTIVE,
    department: Department | None = None,
    confirmation: Confirmation | None = None,
    pending_review: bool = False,
    check_fields: bool = True,
) -> Built[Client]:
    """Validate a new client without touching the database; nothing is saved.

    Raises ClientDataInvalidError, WarningsNeedConfirmationError or
    ValidationError (a model rule such as the name's length). Whether
    the credit code is already taken is checked by ``client_create`` (and by
    the database's unique constraint). ``check_fields=False`` skips the
    model's field checks for a caller that applied ``clean_model_value`` to
    every text field already (the ledger import).
    """
    reject_identifiers(ClientDataInvalidError, name=name, registered_address=registered_address)
    parsed = parse_uscc_text(uscc)
    client = Client(
        name=name.strip(),
        uscc=parsed.value if parsed else "",
        registered_address=registered_address.strip(),
        status=status,
        department=department,
    )
    built = Built(record=client)
    if parsed is not None:
        _check_warnings(built, "uscc", parsed, confirmation, pending_review=pending_review)
    if check_fields:
        client.full_clean(validate_unique=False, validate_constraints=False)
    return built


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
    pending_review: bool = False,
    request: HttpRequest | None = None,
) -> Client:
    """Create an enterprise client.

    Raises ClientDataInvalidError, WarningsNeedConfirmationError or
    DuplicateRecordError (a client with this credit code exists), and
    EditDeniedError when the matrix does not let ``actor`` edit client fields
    (``actor=None`` is the system itself: command-line imports, demo data).
    """
    if actor is not None and not policy.can_create_clients(actor):
        raise EditDeniedError(_("Your role may not create clients."), code="create_denied")
    built = client_build(
        name=name,
        uscc=uscc,
        registered_address=registered_address,
        status=status,
        department=department,
        confirmation=confirmation,
        pending_review=pending_review,
    )
    client = built.record
    if client.uscc and Client.objects.filter(uscc=client.uscc).exists():
        raise DuplicateRecordError(
            _("A client with this credit code already exists."), field="uscc"
        )
    client.full_clean()
    client.save()
    client.assigned_staff.set(list(assigned_staff))
    _save_value_warnings(built, client=client, actor=actor)
    _record_event(
        action=Action.RECORD_CREATED,
        actor=actor,
        record=client,
        changes={},
        request=request,
        extra=_warning_details(built, confirmation),
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
    reject_identifiers(
        ClientDataInvalidError,
        **{name: changes[name] for name in ("name", "registered_address") if name in changes},
    )
    changed: list[str] = []
    built = Built(record=client)
    if "uscc" in changes:
        parsed = parse_uscc_text(changes.pop("uscc") or "")
        canonical = ""
        if parsed is not None:
            _check_warnings(built, "uscc", parsed, confirmation)
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
        _supersede_value_warnings(client, changed)
        audit.append(
            action=Action.RECORD_UPDATED,
            actor=actor,
            object_type="clients.client",
            object_id=client.pk,
            request=request,
            details={
                "client": str(client.pk),
                "fields": sorted(changed),
                **_warning_details(built, confirmation),
            },
        )
    return client


def _warning_details(built: Built[Any], confirmation: Confirmation | None) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if built.confirmed and confirmation is not None:
        details["confirmed_warnings"] = list(built.confirmed)
        details["confirmation_reason"] = confirmation.reason.strip()
    if built.pending:
        details["pending_warnings"] = sorted(
            {code for codes in built.pending.values() for code in codes}
        )
    return details


# Value warnings ----------------------------------------------------------------


def value_warnings_build(
    built: Built[Any],
    *,
    client: Client,
    actor: User | None,
    import_job: Any = None,
) -> list[ValueWarning]:
    """Return unsaved ValueWarning rows for the pending warnings of a built record."""
    record = built.record
    return value_warnings_of(
        record_type=record._meta.label_lower,
        record_id=record.pk,
        client_id=client.pk,
        pending=built.pending,
        masks={field_name: str(getattr(record, field_name)) for field_name in built.pending},
        actor=actor,
        import_job_id=import_job.pk if import_job is not None else None,
    )


def value_warnings_of(
    *,
    record_type: str,
    record_id: uuid.UUID,
    client_id: uuid.UUID,
    pending: dict[str, list[str]],
    masks: dict[str, str],
    actor: User | None,
    import_job_id: uuid.UUID | None = None,
) -> list[ValueWarning]:
    """Return unsaved ValueWarning rows for a record given by type and id, not as an instance.

    ``pending`` maps a field to the warning codes a reviewer must confirm.
    ``masks`` maps a field to the value's mask, which is the value itself for
    a field that is not sealed, such as the credit code.
    """
    now = clock.now()
    return [
        ValueWarning(
            client_id=client_id,
            record_type=record_type,
            record_id=record_id,
            field=field_name,
            warning_codes=list(codes),
            value_mask=masks[field_name][:64],
            created_at=now,
            created_by=actor if actor is not None and actor.pk is not None else None,
            import_job_id=import_job_id,
        )
        for field_name, codes in pending.items()
    ]


def _save_value_warnings(built: Built[Any], *, client: Client, actor: User | None) -> None:
    if built.pending:
        ValueWarning.objects.bulk_create(value_warnings_build(built, client=client, actor=actor))


def _supersede_value_warnings(record: Model, fields: Iterable[str]) -> None:
    """Close the pending warnings of fields whose value was just replaced."""
    ValueWarning.objects.filter(
        record_id=record.pk, field__in=list(fields), status=ValueWarningStatus.PENDING
    ).update(status=ValueWarningStatus.SUPERSEDED, superseded_at=clock.now())


@transaction.atomic
def value_warning_confirm(
    *,
    actor: User,
    value_warning: ValueWarning,
    reason: str,
    request: HttpRequest | None = None,
) -> ValueWarning:
    """Record that a reviewer checked a warned value against the original document.

    Only a reviewer who can see the client and who did not store the value
    may confirm it (policy.can_confirm_value). Raises EditDeniedError when
    the policy refuses, ClientDataInvalidError for a missing reason and
    ValueWarningClosedError when the warning was confirmed or superseded
    meanwhile. Writes one audit event with the reason.
    """
    decision = policy.can_confirm_value(
        actor, value_warning.client, stored_by_id=value_warning.created_by_id
    )
    if not decision.allowed:
        raise EditDeniedError(decision.message, code=decision.code)
    cleaned_reason = " ".join(reason.split())
    if not CONFIRMATION_REASON_MIN_LENGTH <= len(cleaned_reason) <= CONFIRMATION_REASON_MAX_LENGTH:
        raise ClientDataInvalidError(
            _("State how the value was checked (2 to 200 characters)."),
            field="reason",
            code="reason_missing",
        )
    reject_identifiers(ClientDataInvalidError, reason=cleaned_reason)

    locked = ValueWarning.objects.select_for_update().get(pk=value_warning.pk)
    if locked.status != ValueWarningStatus.PENDING:
        raise ValueWarningClosedError(
            _("This value was already confirmed or has changed since. Reload the list.")
        )
    locked.status = ValueWarningStatus.CONFIRMED
    locked.confirmed_by = actor
    locked.confirmed_at = clock.now()
    locked.reason = cleaned_reason
    locked.save(update_fields=["status", "confirmed_by", "confirmed_at", "reason"])

    audit.append(
        action=Action.VALUE_CONFIRMED,
        actor=actor,
        object_type=locked.record_type,
        object_id=locked.record_id,
        field=locked.field,
        request=request,
        details={
            "client": str(locked.client_id),
            "confirmed_warnings": list(locked.warning_codes),
            "confirmation_reason": cleaned_reason,
            "value": locked.value_mask,
        },
    )
    return locked


# People ----------------------------------------------------------------------


def _person_apply(
    built: Built[Person],
    *,
    is_new: bool,
    name: str | None,
    resident_id: IdentifierInput | None,
    mobile: IdentifierInput | None,
    confirmation: Confirmation | None,
    pending_review: bool,
) -> None:
    """Validate and seal the given values into ``built.record``; ``None`` keeps a field."""
    record = built.record
    if name is not None:
        cleaned_name = clean_person_name(name)
        if not cleaned_name and is_new:
            raise ClientDataInvalidError(_("Enter the name."), field="name", code="name_missing")
        change = _seal_change(record, "name", cleaned_name or None)
        if change:
            built.changes["name"] = change

    if resident_id is not None:
        parsed = parse_resident_id_text(resident_id)
        canonical, kind = (parsed.value, str(parsed.kind)) if parsed else (None, "")
        if parsed is not None:
            _check_warnings(
                built, "resident_id", parsed, confirmation, pending_review=pending_review
            )
        change = _seal_change(
            record, "resident_id", canonical, mask_kind=kind or None, parsed=parsed
        )
        if change:
            record.resident_id_kind = kind
            built.changes["resident_id"] = change

    if mobile is not None:
        parsed_mobile = parse_mobile_text(mobile)
        change = _seal_change(
            record,
            "mobile",
            parsed_mobile.value if parsed_mobile else None,
            parsed=parsed_mobile,
        )
        if change:
            built.changes["mobile"] = change


def person_build(
    *,
    client: Client,
    role: str = PersonRole.LEGAL_REP,
    name: str,
    resident_id: IdentifierInput = "",
    mobile: IdentifierInput = "",
    confirmation: Confirmation | None = None,
    pending_review: bool = False,
    check_fields: bool = True,
) -> Built[Person]:
    """Validate and seal a new person of ``client`` without touching the database.

    Raises ClientDataInvalidError or WarningsNeedConfirmationError. Whether
    the client already has this person is checked by ``person_save``.
    ``check_fields`` is as for ``client_build``.
    """
    built = Built(record=Person(client=client, role=role))
    with vault.data_key_open(built.record):
        _person_apply(
            built,
            is_new=True,
            name=name,
            resident_id=resident_id,
            mobile=mobile,
            confirmation=confirmation,
            pending_review=pending_review,
        )
    if check_fields:
        built.record.full_clean(
            exclude=["data_key", "client"], validate_unique=False, validate_constraints=False
        )
    return built


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
    pending_review: bool = False,
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
    built = Built(record=record)
    with vault.data_key_open(record):
        _person_apply(
            built,
            is_new=is_new,
            name=name,
            resident_id=resident_id,
            mobile=mobile,
            confirmation=confirmation,
            pending_review=pending_review,
        )
    if "resident_id" in built.changes and record.resident_id_blind_index:
        duplicate = Person.objects.filter(
            client=client, resident_id_blind_index=record.resident_id_blind_index
        ).exclude(pk=record.pk)
        if duplicate.exists():
            raise DuplicateRecordError(
                _("This client already has a person with this ID number."), field="resident_id"
            )

    record.full_clean(exclude=["data_key"])
    record.save()
    if not is_new and built.changes:
        _supersede_value_warnings(record, built.changes)
    _save_value_warnings(built, client=client, actor=actor)
    if is_new or built.changes:
        _record_event(
            action=Action.RECORD_CREATED if is_new else Action.RECORD_UPDATED,
            actor=actor,
            record=record,
            changes=built.changes,
            request=request,
            extra=_warning_details(built, confirmation),
        )
    return record


# Bank accounts ------------------------------------------------------------------


def bank_account_build(
    *,
    client: Client,
    account: BankAccount | None = None,
    bank_name: str,
    account_kind: str,
    account_number: IdentifierInput,
    confirmation: Confirmation | None = None,
    pending_review: bool = False,
    check_fields: bool = True,
) -> Built[BankAccount]:
    """Validate and seal a bank account without touching the database; nothing is saved.

    Raises ClientDataInvalidError, WarningsNeedConfirmationError or
    ValidationError (a missing bank name). Whether the client already has this
    account is checked by ``bank_account_save``. ``check_fields`` is as for
    ``client_build``.
    """
    reject_identifiers(ClientDataInvalidError, bank_name=bank_name)
    record = account or BankAccount(client=client)
    record.bank_name = bank_name.strip()
    record.account_kind = account_kind
    built = Built(record=record)
    parsed = parse_account_number_text(account_number, account_kind)
    _check_warnings(built, "account_number", parsed, confirmation, pending_review=pending_review)
    change = _seal_change(
        record, "account_number", parsed.value, mask_kind=str(parsed.kind), parsed=parsed
    )
    if change:
        built.changes["account_number"] = change
    if check_fields:
        record.full_clean(
            exclude=["data_key", "client"], validate_unique=False, validate_constraints=False
        )
    return built


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
    pending_review: bool = False,
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
    built = bank_account_build(
        client=client,
        account=account,
        bank_name=bank_name,
        account_kind=account_kind,
        account_number=account_number,
        confirmation=confirmation,
        pending_review=pending_review,
    )
    record = built.record
    if built.changes:
        duplicate = BankAccount.objects.filter(
            client=client, account_number_blind_index=record.account_number_blind_index
        ).exclude(pk=record.pk)
        if duplicate.exists():
            raise DuplicateRecordError(
                _("This client already has this account number."), field="account_number"
            )
    record.full_clean(exclude=["data_key"])
    record.save()
    if not is_new and built.changes:
        _supersede_value_warnings(record, built.changes)
    _save_value_warnings(built, client=client, actor=actor)
    if is_new or built.changes:
        _record_event(
            action=Action.RECORD_CREATED if is_new else Action.RECORD_UPDATED,
            actor=actor,
            record=record,
            changes=built.changes,
            request=request,
            extra=_warning_details(built, confirmation),
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
