from django.urls import path

from shoumi.access import views

app_name = "access"

urlpatterns = [
    path("reveal/<str:model_name>/<uuid:record_id>/<str:field>/", views.reveal_view, name="reveal"),
    path(
        "break-glass/<str:model_name>/<uuid:record_id>/<str:field>/",
        views.break_glass_view,
        name="break_glass",
    ),
    path("grants/", views.grant_list_view, name="grants"),
    path("grants/new/", views.grant_request_view, name="grant_request"),
    path("grants/<uuid:grant_id>/<str:decision>/", views.grant_decide_view, name="grant_decide"),
    path("approvals/", views.approval_list_view, name="approvals"),
    path(
        "approvals/<uuid:approval_id>/<str:decision>/",
        views.approval_decide_view,
        name="approval_decide",
    ),
    path("matrix/", views.matrix_view, name="matrix"),
    path("alerts/", views.alert_list_view, name="alerts"),
]
