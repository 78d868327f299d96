from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shoumi.accounts.models import User


class _UserFieldMixin(forms.Form):
    user = forms.ModelChoiceField(label=_("Staff member"), queryset=User.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = User.objects.filter(is_active=True).order_by("employee_number")


class AgreementForm(_UserFieldMixin):
    signed_on = forms.DateField(
        label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Valid until"), widget=forms.DateInput(attrs={"type": "date"})
    )


class TrainingForm(_UserFieldMixin):
    passed_on = forms.DateField(
        label=_("Passed on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Valid until"), widget=forms.DateInput(attrs={"type": "date"})
    )


class CourseForm(forms.Form):
    name = forms.CharField(label=_("Training name"), max_length=100)
    version = forms.CharField(label=_("Version"), max_length=20)


class OffboardingForm(_UserFieldMixin):
    last_day_on = forms.DateField(
        label=_("Last working day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
