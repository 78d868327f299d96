from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from shoumi.config import views

shell_patterns = ([path("", views.dashboard_view, name="dashboard")], "shell")

urlpatterns = [
    path("", include(shell_patterns)),
    path("accounts/", include("shoumi.accounts.urls")),
    path("clients/", include("shoumi.clients.urls")),
    path("access/", include("shoumi.access.urls")),
    path("staff/", include("shoumi.staff.urls")),
    path("materials/", include("shoumi.materials.urls")),
    path("documents/", include("shoumi.documents.urls")),
    path("audit/", include("shoumi.audit.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
]

handler400 = "shoumi.config.views.bad_request"
handler403 = "shoumi.config.views.permission_denied"
handler404 = "shoumi.config.views.page_not_found"
handler500 = "shoumi.config.views.server_error"
