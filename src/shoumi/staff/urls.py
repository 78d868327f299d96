from django.urls import path

from shoumi.staff import views

app_name = "staff"

urlpatterns = [path("compliance/", views.compliance_view, name="compliance")]
