from django.urls import path

from shoumi.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.event_list_view, name="events"),
    path("export/", views.event_export_view, name="export"),
]
