"""Staff compliance page (agreements, training, offboarding) for the security admin and managers."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shoumi.access.gates import failed_gates
from shoumi.accounts.decorators import role_required
from shoumi.accounts.http import AuthenticatedRequest
from shoumi.accounts.models import User
from shoumi.accounts.roles import Role
from shoumi.staff import services
from shoumi.staff.forms import AgreementForm, CourseForm, OffboardingForm, TrainingForm
from shoumi.staff.models import TrainingCourse

FORMS = {
    "agreement": AgreementForm,
    "training": TrainingForm,
    "course": CourseForm,
    "offboarding": OffboardingForm,
}


@role_required(Role.SECURITY_ADMIN, Role.MANAGER)
@require_http_methods(["GET", "POST"])
def compliance_view(request: AuthenticatedRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    forms = {
        name: form_class(request.POST if kind == name else None, prefix=name)
        for name, form_class in FORMS.items()
    }
    if request.method == "POST" and kind in forms and forms[kind].is_valid():
        data = forms[kind].cleaned_data
        try:
            if kind == "agreement":
                services.agreement_record(
                    actor=request.user,
                    user=data["user"],
                    signed_on=data["signed_on"],
                    valid_until=data["valid_until"],
                    request=request,
                )
            elif kind == "training":
                services.training_record(
                    actor=request.user,
                    user=data["user"],
                    passed_on=data["passed_on"],
                    valid_until=data["valid_until"],
                    request=request,
                )
            elif kind == "course":
                services.course_make_current(
                    actor=request.user, name=data["name"], version=data["version"]
                )
            else:
                services.offboarding_start(
                    actor=request.user,
                    user=data["user"],
                    last_day_on=data["last_day_on"],
                    request=request,
                )
        except ValidationError as error:
            forms[kind].add_error(None, error)
        else:
            messages.success(request, _("Recorded."))
            return redirect("staff:compliance")
    rows = [
        (member, failed_gates(member))
        for member in User.objects.filter(is_active=True).order_by("employee_number")
        if not member.is_separated_admin
    ]
    context = {
        "forms": forms,
        "rows": rows,
        "course": TrainingCourse.objects.filter(is_current=True).first(),
    }
    return render(request, "staff/compliance.html", context)
