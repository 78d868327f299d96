from django.urls import path

from shoumi.materials.views import archive_room, destruction, intake, items, lending, sensors

app_name = "materials"

urlpatterns = [
    path("", items.item_list_view, name="item_list"),
    path("items/<uuid:item_id>/", items.item_detail_view, name="item_detail"),
    path("items/<uuid:item_id>/move/", items.item_move_view, name="item_move"),
    path("items/<uuid:item_id>/loan/", items.loan_request_view, name="loan_request"),
    path("items/<uuid:item_id>/return/", items.item_return_view, name="item_return"),
    path("items/<uuid:item_id>/retain/", items.item_retain_view, name="item_retain"),
    path("intakes/new/", intake.intake_create_view, name="intake_create"),
    path("intakes/<uuid:intake_id>/", intake.intake_detail_view, name="intake_detail"),
    path(
        "intakes/<uuid:intake_id>/signature.png",
        intake.intake_signature_view,
        name="intake_signature",
    ),
    path("intakes/<uuid:intake_id>/receipt.pdf", intake.intake_receipt_view, name="intake_receipt"),
    path("loans/", lending.loan_list_view, name="loan_list"),
    path("loans/register.pdf", lending.lending_register_view, name="lending_register"),
    path(
        "loans/<uuid:loan_id>/<str:decision>/",
        lending.loan_decide_view,
        name="loan_decide",
    ),
    path("destruction/", destruction.destruction_list_list_view, name="destruction_list_list"),
    path(
        "destruction/new/",
        destruction.destruction_list_create_view,
        name="destruction_list_create",
    ),
    path(
        "destruction/<uuid:list_id>/",
        destruction.destruction_list_detail_view,
        name="destruction_list_detail",
    ),
    path(
        "destruction/<uuid:list_id>/confirm/",
        destruction.destruction_confirm_view,
        name="destruction_confirm",
    ),
    path(
        "destruction/<uuid:list_id>/override/",
        destruction.destruction_override_request_view,
        name="destruction_override_request",
    ),
    path(
        "destruction/<uuid:list_id>/override/<uuid:override_id>/approve/",
        destruction.destruction_override_approve_view,
        name="destruction_override_approve",
    ),
    path(
        "destruction/records/<uuid:record_id>/record.pdf",
        destruction.destruction_record_view,
        name="destruction_record",
    ),
    path("locations/", archive_room.location_list_view, name="location_list"),
    path("archive-room/", archive_room.archive_room_view, name="archive_room"),
    path(
        "archive-room/inspections/new/",
        archive_room.inspection_create_view,
        name="inspection_create",
    ),
    path(
        "archive-room/findings/<uuid:finding_id>/resolve/",
        archive_room.finding_resolve_view,
        name="finding_resolve",
    ),
    path("archive-room/sensors/new/", archive_room.sensor_create_view, name="sensor_create"),
    path(
        "sensors/<uuid:sensor_id>/readings/",
        sensors.sensor_reading_view,
        name="sensor_reading",
    ),
]
