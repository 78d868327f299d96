"""Actions on document scans: upload, marked copies, approvals, original export, tracing.

Each function takes the acting user, checks the policy, and writes its
audit event; see the modules for the guarantees of each step.
"""

from shoumi.documents.services.copies import (
    IssuedFile,
    OriginalFile,
    Recipient,
    clean_purpose,
    copy_approval_request,
    copy_issue,
    original_export,
    original_export_request,
    page_images,
    thumbnail_issue,
)
from shoumi.documents.services.intake import document_upload, intake_error_message
from shoumi.documents.services.tracing import TraceResult, trace_path, trace_upload

__all__ = [
    "IssuedFile",
    "OriginalFile",
    "Recipient",
    "TraceResult",
    "clean_purpose",
    "copy_approval_request",
    "copy_issue",
    "document_upload",
    "intake_error_message",
    "original_export",
    "original_export_request",
    "page_images",
    "thumbnail_issue",
    "trace_path",
    "trace_upload",
]
