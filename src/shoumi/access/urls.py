from django.urls import path

from shoumi.access import views

app_name = "access"

urlpatterns = [
    path("reveal/<str:model_name>/<uuid:record_id>/<str:field>/", views.reveal_view, name="reveal"),
]
