from django.urls import path

from shoumi.clients import views
from shoumi.clients.imports import views as import_views

app_name = "clients"

urlpatterns = [
    path("", views.client_list_view, name="list"),
    path("new/", views.client_create_view, name="create"),
    path("export/", views.client_export_view, name="export"),
    path("export/approval/", views.client_export_approval_view, name="export_approval"),
    path("<uuid:client_id>/history/", views.client_history_view, name="history"),
    path("<uuid:client_id>/", views.client_detail_view, name="detail"),
    path("<uuid:client_id>/edit/", views.client_edit_view, name="edit"),
    path("<uuid:client_id>/people/new/", views.person_form_view, name="person_create"),
    path(
        "<uuid:client_id>/people/<uuid:person_id>/edit/", views.person_form_view, name="person_edit"
    ),
    path(
        "<uuid:client_id>/bank-accounts/new/",
        views.bank_account_form_view,
        name="bank_account_create",
    ),
    path(
        "<uuid:client_id>/bank-accounts/<uuid:account_id>/edit/",
        views.bank_account_form_view,
        name="bank_account_edit",
    ),
    path("<uuid:client_id>/tax-logins/new/", views.tax_login_form_view, name="tax_login_create"),
    path("import/", import_views.import_start_view, name="import"),
    path("import/<uuid:job_id>/", import_views.import_job_view, name="import_job"),
    path(
        "import/<uuid:job_id>/report.<str:file_format>",
        import_views.import_report_view,
        name="import_report",
    ),
    path("value-warnings/", views.value_warning_list_view, name="value_warnings"),
    path(
        "value-warnings/<uuid:warning_id>/confirm/",
        views.value_warning_confirm_view,
        name="value_warning_confirm",
    ),
]
