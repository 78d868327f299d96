from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shoumi.accounts.models import User
from shoumi.staff.scan_reports import MAX_REPORT_BYTES


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


def report_too_large_message() -> str:
    return _("The report is larger than %(limit)d MiB. Scan fewer folders at a time.") % {
        "limit": MAX_REPORT_BYTES // (1024 * 1024)
    }


class ScanReportUploadForm(forms.Form):
    """Choose a staff member and the JSON report of a scan of their files."""

    staff_member = forms.ModelChoiceField(label=_("Staff member"), queryset=User.objects.none())
    report = forms.FileField(
        label=_("Scan report (JSON)"),
        help_text=_("The output of shoumi scan --format json, at most 20 MiB."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["staff_member"]
        if isinstance(field, forms.ModelChoiceField):
            # Leavers are often deactivated before their audit is finished, so all staff.
            field.queryset = User.objects.order_by("employee_number")

    def clean_report(self) -> Any:
        report = self.cleaned_data["report"]
        if report.size > MAX_REPORT_BYTES:
            raise forms.ValidationError(report_too_large_message())
        return report
