from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.translation import gettext_lazy as _

from shoumi.accounts.models import Department
from shoumi.accounts.roles import BUSINESS_ROLES, Role


class LoginForm(forms.Form):
    # The field is named "username" because django-axes reads that key.
    username = forms.CharField(label=_("Employee number"), max_length=32)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class TokenForm(forms.Form):
    otp_token = forms.CharField(label=_("Verification code"), min_length=6, max_length=12)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["otp_token"].widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        )


class OneTimePasswordForm(forms.Form):
    password = forms.CharField(label=_("One-time password"), strip=True, widget=forms.PasswordInput)


class EnrolDeviceForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Verification code from the app"), min_length=6, max_length=12
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two passwords do not match."))
        return cleaned


class StaffCreateForm(forms.Form):
    employee_number = forms.CharField(label=_("Employee number"), max_length=32)
    full_name = forms.CharField(label=_("Full name"), max_length=64)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.all(), required=False
    )
    new_department = forms.CharField(label=_("Or a new department"), max_length=64, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=11, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    # The separated administrators are created on the server only (see staff_create).
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=[(value, label) for value, label in Role.choices if value in BUSINESS_ROLES],
        widget=forms.CheckboxSelectMultiple,
    )


class ResetRequestForm(forms.Form):
    # An approval reason is also its audit events' purpose, at most 200 characters.
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_(
            "For example: lost phone, reported in person on 5 December. The security "
            "administrator reads this before approving."
        ),
    )
