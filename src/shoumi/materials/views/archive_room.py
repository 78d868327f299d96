"""Storage locations and the archive room: inspections, follow-ups, sensors and alerts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shoumi.accounts.decorators import role_required
from shoumi.accounts.http import AuthenticatedRequest
from shoumi.materials import permissions, selectors, services
from shoumi.materials.errors import MaterialsError
from shoumi.materials.forms import (
    FindingFormSet,
    InspectionForm,
    KeyHolderForm,
    LocationForm,
    ResolveForm,
    SensorForm,
)
from shoumi.materials.views.common import apply_error, found, report_error

LOCATION_VIEWERS = tuple(permissions.BUSINESS_ROLES | permissions.ARCHIVE_ROOM_VIEW_ROLES)
ROOM_VIEWERS = tuple(permissions.ARCHIVE_ROOM_VIEW_ROLES)


@role_required(*LOCATION_VIEWERS)
@require_http_methods(["GET", "POST"])
def location_list_view(request: AuthenticatedRequest) -> HttpResponse:
    locations = selectors.location_list(user=request.user)
    location_form = LocationForm(
        request.POST if "create_location" in request.POST else None, locations=locations
    )
    key_form = KeyHolderForm(
        request.POST if "assign_key" in request.POST else None, locations=locations
    )
    if request.method == "POST" and "create_location" in request.POST and location_form.is_valid():
        try:
            services.location_create(
                actor=request.user, request=request, **location_form.cleaned_data
            )
        except MaterialsError as error:
            apply_error(location_form, error)
        else:
            messages.success(request, _("The location was created."))
            return redirect("materials:location_list")
    if request.method == "POST" and "assign_key" in request.POST and key_form.is_valid():
        try:
            services.cabinet_key_assign(
                actor=request.user, request=request, **key_form.cleaned_data
            )
        except MaterialsError as error:
            apply_error(key_form, error)
        else:
            messages.success(request, _("The key holder was recorded."))
            return redirect("materials:location_list")
    context = {
        "locations": locations.order_by("parent__name", "name"),
        "location_form": location_form,
        "key_form": key_form,
        "can_manage": permissions.has_any_role(request.user, permissions.CUSTODY_ROLES),
        "can_assign_keys": permissions.has_any_role(request.user, permissions.KEY_ASSIGNMENT_ROLES),
    }
    return render(request, "materials/location_list.html", context)


@role_required(*ROOM_VIEWERS)
def archive_room_view(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    sensors = list(selectors.sensor_list(user=user))
    for sensor in sensors:
        sensor.latest = sensor.readings.order_by("-measured_at").first()  # type: ignore[attr-defined]
    context = {
        "rooms": selectors.archive_rooms(user=user),
        "sensors": sensors,
        "alerts": selectors.open_alerts(user=user),
        "inspections": selectors.inspection_list(user=user)[:24],
        "findings": selectors.open_findings(user=user),
        "resolve_form": ResolveForm(),
        "sensor_form": SensorForm(rooms=selectors.archive_rooms(user=user)),
        "can_inspect": permissions.has_any_role(user, permissions.INSPECTION_ROLES),
        "can_manage_sensors": permissions.has_any_role(user, permissions.SENSOR_ROLES),
    }
    return render(request, "materials/archive_room.html", context)


@role_required(*permissions.INSPECTION_ROLES)
@require_http_methods(["GET", "POST"])
def inspection_create_view(request: AuthenticatedRequest) -> HttpResponse:
    form = InspectionForm(request.POST or None, rooms=selectors.archive_rooms(user=request.user))
    formset = FindingFormSet(request.POST or None, prefix="findings")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        findings = [
            services.FindingInput(
                check_name=data["check_name"],
                description=data["description"],
                follow_up=data["follow_up"],
                assignee=data["assignee"],
                due_on=data["due_on"],
            )
            for data in formset.cleaned_data
            if data and data.get("check_name")
        ]
        try:
            services.inspection_record(
                actor=request.user, findings=findings, request=request, **form.cleaned_data
            )
        except MaterialsError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("The inspection was recorded."))
            return redirect("materials:archive_room")
    return render(request, "materials/inspection_form.html", {"form": form, "formset": formset})


@require_POST
def finding_resolve_view(request: AuthenticatedRequest, finding_id: Any) -> HttpResponse:
    finding = found(selectors.finding_get(user=request.user, finding_id=finding_id))
    form = ResolveForm(request.POST)
    resolution = form.cleaned_data["resolution"] if form.is_valid() else ""
    try:
        services.finding_resolve(
            actor=request.user, finding=finding, resolution=resolution, request=request
        )
    except MaterialsError as error:
        report_error(request, error)
    else:
        messages.success(request, _("The follow-up was closed."))
    return redirect("materials:archive_room")


@role_required(*permissions.SENSOR_ROLES)
@require_POST
def sensor_create_view(request: AuthenticatedRequest) -> HttpResponse:
    form = SensorForm(request.POST, rooms=selectors.archive_rooms(user=request.user))
    if not form.is_valid():
        messages.error(request, _("Choose an archive room and enter a name."))
        return redirect("materials:archive_room")
    try:
        sensor, token = services.sensor_create(
            actor=request.user, request=request, **form.cleaned_data
        )
    except MaterialsError as error:
        report_error(request, error)
        return redirect("materials:archive_room")
    response = render(request, "materials/sensor_token.html", {"sensor": sensor, "token": token})
    response["Cache-Control"] = "no-store"
    return response
