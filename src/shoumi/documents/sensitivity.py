"""The sensitivity of document fields, which the access policy reads.

``scan`` is the policy field of a document's content. Every marked copy
(viewing, downloading, printing, a thumbnail) opens it. Viewing counts as a
reveal and downloading or printing as an export, so the policy matrix
decides who may do either. With the current matrix, reviewers view the
scans of their clients, clerks and managers need a temporary grant, and
administrators need a two-person approval. A download or print needs a
two-person approval from reviewers, managers and administrators, and a
temporary export grant from clerks. ID-card and business-licence scans are
what fraudsters use to register shell companies in a client's name, so
every scan is sensitive, whatever its document type.

``original`` is the unmarked original. Exporting it leaves no trace code
behind, so it is highly sensitive: only administrators may, and only with
a two-person approval.
"""

from shoumi.vault.sensitivity import Sensitivity, registry

registry.declare(
    "documents.document",
    {
        "client": Sensitivity.INTERNAL,
        "document_type": Sensitivity.INTERNAL,
        "page_count": Sensitivity.INTERNAL,
        "uploaded_by": Sensitivity.INTERNAL,
        "uploaded_at": Sensitivity.INTERNAL,
        "scan": Sensitivity.SENSITIVE,
        "original": Sensitivity.HIGHLY_SENSITIVE,
    },
)
registry.declare(
    "documents.issuedcopy",
    {
        "trace_code": Sensitivity.INTERNAL,
        "channel": Sensitivity.INTERNAL,
        "issued_by": Sensitivity.INTERNAL,
        "recipient_name": Sensitivity.INTERNAL,
        "purpose": Sensitivity.INTERNAL,
        "issued_at": Sensitivity.INTERNAL,
    },
)
