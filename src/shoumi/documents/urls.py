from django.urls import path

from shoumi.documents import views

app_name = "documents"

# No route serves the unmarked original except original_export, which
# needs a two-person approval. Restore from backup has no route yet.
urlpatterns = [
    path("clients/<uuid:client_id>/", views.client_documents_view, name="client_documents"),
    path("clients/<uuid:client_id>/upload/", views.document_upload_view, name="upload"),
    path("<uuid:document_id>/", views.document_detail_view, name="detail"),
    path("<uuid:document_id>/copy/", views.document_copy_view, name="copy"),
    path("<uuid:document_id>/thumbnail/", views.thumbnail_view, name="thumbnail"),
    path("<uuid:document_id>/approval/", views.copy_approval_view, name="approval"),
    path("<uuid:document_id>/original/", views.original_export_view, name="original_export"),
    path("trace/", views.trace_view, name="trace"),
]
