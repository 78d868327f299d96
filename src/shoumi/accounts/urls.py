from django.urls import path

from shoumi.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify_view, name="login_verify"),
    path("logout/", views.logout_view, name="logout"),
    path("enrol/<str:token>/", views.enrol_view, name="enrol"),
    path("enrol/<str:token>/device/", views.enrol_device_view, name="enrol_device"),
    path("staff/", views.staff_list_view, name="staff_list"),
    path("staff/new/", views.staff_create_view, name="staff_create"),
    path(
        "staff/<int:user_id>/enrolment/",
        views.staff_enrolment_reissue_view,
        name="staff_enrolment_reissue",
    ),
    path(
        "staff/<int:user_id>/enrolment/reset/",
        views.staff_enrolment_reset_view,
        name="staff_enrolment_reset",
    ),
    path("staff/<int:user_id>/deactivate/", views.staff_deactivate_view, name="staff_deactivate"),
]
