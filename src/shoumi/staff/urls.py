from django.urls import path

from shoumi.staff import views

app_name = "staff"

urlpatterns = [
    path("compliance/", views.compliance_view, name="compliance"),
    path("members/<int:user_id>/", views.member_view, name="member"),
    path("scan-reports/upload/", views.scan_report_upload_view, name="scan_report_upload"),
    path("scan-reports/<int:report_id>/", views.scan_report_view, name="scan_report"),
]
