"""Client forms. Identifier fields are plain text here; the services validate and seal them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from shoumi.accounts.models import Department, User
from shoumi.clients.models import AccountKind, ClientStatus, PersonRole, TaxLoginMethod
from shoumi.vault.free_text import validate_free_text


def _set_queryset(field: forms.Field, queryset: QuerySet[User]) -> None:
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{field!r} is not a model choice field")
    field.queryset = queryset


class ConfirmWarningsMixin(forms.Form):
    """Adds the reviewer's confirmation of a value that carries warnings."""

    confirm_reason = forms.CharField(
        validators=[validate_free_text],
        label=_("Reason for accepting the warning"),
        max_length=200,
        required=False,
        help_text=_(
            "Only needed when a value carries a warning, "
            "for example a card that fails the Luhn check."
        ),
    )


def _filterable_staff(user: User) -> QuerySet[User]:
    """Staff a user may filter the client list by: their department's, or all for org-wide roles.

    Separated administrators hold no clients, so they are never offered.
    """
    from shoumi.access.policy import ALL_CLIENT_ROLES
    from shoumi.accounts.roles import SEPARATED_ADMIN_ROLES

    staff = User.objects.filter(is_active=True).exclude(
        role_assignments__role__in=SEPARATED_ADMIN_ROLES
    )
    if not user.role_set & ALL_CLIENT_ROLES:
        own = Q(pk=user.pk)
        if user.department_id is not None:
            own |= Q(department_id=user.department_id)
        staff = staff.filter(own)
    return staff.order_by("employee_number")


class ClientFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    staff = forms.ModelChoiceField(
        label=_("Responsible staff"), queryset=User.objects.none(), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.all(), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *ClientStatus.choices], required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self.fields["staff"], _filterable_staff(user))
        self.fields["q"].widget.attrs.update(
            {
                "placeholder": _("Company name, credit code, ID number, mobile or account number"),
                "autocomplete": "off",
            }
        )


class ClientForm(ConfirmWarningsMixin):
    name = forms.CharField(validators=[validate_free_text], label=_("Company name"), max_length=200)
    uscc = forms.CharField(label=_("Unified social credit code"), max_length=40, required=False)
    registered_address = forms.CharField(
        validators=[validate_free_text],
        label=_("Registered address"),
        max_length=300,
        required=False,
    )
    status = forms.ChoiceField(label=_("Status"), choices=ClientStatus.choices)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.all(), required=False
    )
    assigned_staff = forms.ModelMultipleChoiceField(
        label=_("Assigned staff"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(
            self.fields["assigned_staff"],
            User.objects.filter(is_active=True).order_by("employee_number"),
        )


class PersonForm(ConfirmWarningsMixin):
    role = forms.ChoiceField(label=_("Role"), choices=PersonRole.choices)
    name = forms.CharField(label=_("Name"), max_length=64, required=False)
    resident_id = forms.CharField(
        label=_("ID number"),
        max_length=40,
        required=False,
        help_text=_("Resident ID, residence permit or foreign permanent residence ID."),
    )
    mobile = forms.CharField(label=_("Mobile"), max_length=30, required=False)

    def __init__(self, *args: Any, is_edit: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if is_edit:
            for name in ("name", "resident_id", "mobile"):
                self.fields[name].help_text = _("Leave empty to keep the current value.")
        for name in ("resident_id", "mobile"):
            self.fields[name].widget.attrs.update({"autocomplete": "off"})


class BankAccountForm(ConfirmWarningsMixin):
    bank_name = forms.CharField(validators=[validate_free_text], label=_("Bank"), max_length=100)
    account_kind = forms.ChoiceField(label=_("Account kind"), choices=AccountKind.choices)
    account_number = forms.CharField(label=_("Account number"), max_length=40)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account_number"].widget.attrs.update({"autocomplete": "off"})


class TaxLoginForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Method"), choices=TaxLoginMethod.choices, widget=forms.RadioSelect
    )
    delegated_staff = forms.ModelChoiceField(
        label=_("Staff member with a delegated tax account"),
        queryset=User.objects.none(),
        required=False,
    )
    username = forms.CharField(label=_("Login name"), max_length=100, required=False)
    password = forms.CharField(
        label=_("Password"),
        max_length=200,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    rotation_due_on = forms.DateField(
        label=_("Change the password by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(
            self.fields["delegated_staff"],
            User.objects.filter(is_active=True).order_by("employee_number"),
        )


class RevealForm(forms.Form):
    purpose = forms.CharField(
        validators=[validate_free_text], label=_("Purpose"), min_length=2, max_length=200
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["purpose"].widget.attrs.update(
            {
                "placeholder": _("for example: filing the annual report"),
                "autocomplete": "off",
                "autofocus": True,
            }
        )


class LedgerUploadForm(forms.Form):
    ledger = forms.FileField(
        label=_("Ledger file"),
        help_text=_("An .xlsx, .xls or .csv file with one client per row."),
    )
    is_only_valid = forms.BooleanField(
        label=_("Import only the valid rows"),
        required=False,
        help_text=_("Without this, nothing is imported when any row is rejected."),
    )
    mapping = forms.CharField(
        label=_("Column mapping"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "客户全称=企业名称\n法人证件=身份证号"}
        ),
        help_text=_(
            "Only for headers that are not recognised: one header=field per line, for "
            "example 法人证件=身份证号."
        ),
    )

    def clean_ledger(self) -> Any:
        from shoumi.clients.imports.readers import SUFFIXES

        ledger = self.cleaned_data["ledger"]
        name = (ledger.name or "").lower()
        if not name.endswith(SUFFIXES):
            raise forms.ValidationError(_("Only .xlsx, .xls and .csv files can be imported."))
        return ledger

    def clean_mapping(self) -> Any:
        from shoumi.clients.imports.columns import parse_mapping
        from shoumi.clients.imports.errors import ColumnMappingError

        text = self.cleaned_data["mapping"] or ""
        try:
            return parse_mapping(text.splitlines())
        except ColumnMappingError as error:
            raise forms.ValidationError(error.message) from None


class ValueConfirmForm(forms.Form):
    reason = forms.CharField(
        validators=[validate_free_text],
        label=_("How the value was checked"),
        min_length=2,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("for example: matches the original ID card"),
                "autocomplete": "off",
            }
        ),
    )
