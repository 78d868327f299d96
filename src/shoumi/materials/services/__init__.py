"""Every write on paper materials; each validates, saves and appends its audit event.

Services take the acting user as ``actor`` and run in one transaction, so
if the audit event cannot be written nothing changes. Domain errors derive
from ``shoumi.materials.errors.MaterialsError`` and carry a Chinese message.
"""

from shoumi.materials.services.archive_room import (
    FindingInput,
    finding_resolve,
    inspection_record,
    sensor_authenticate,
    sensor_create,
    sensor_reading_record,
)
from shoumi.materials.services.custody import cabinet_key_assign, item_move, location_create
from shoumi.materials.services.destruction import (
    destruction_confirm,
    destruction_list_create,
    destruction_override_approve,
    destruction_override_request,
    item_retain,
    item_retain_release,
)
from shoumi.materials.services.documents import (
    destruction_record_pdf,
    intake_receipt_pdf,
    lending_register_pdf,
)
from shoumi.materials.services.intake import ItemInput, intake_create, signature_open
from shoumi.materials.services.lending import (
    loan_approve,
    loan_hand_out,
    loan_reject,
    loan_request,
    loan_return,
    loans_notify_overdue,
)

__all__ = [
    "FindingInput",
    "ItemInput",
    "cabinet_key_assign",
    "destruction_confirm",
    "destruction_list_create",
    "destruction_override_approve",
    "destruction_override_request",
    "destruction_record_pdf",
    "finding_resolve",
    "inspection_record",
    "intake_create",
    "intake_receipt_pdf",
    "item_move",
    "item_retain",
    "item_retain_release",
    "lending_register_pdf",
    "loan_approve",
    "loan_hand_out",
    "loan_reject",
    "loan_request",
    "loan_return",
    "loans_notify_overdue",
    "location_create",
    "sensor_authenticate",
    "sensor_create",
    "sensor_reading_record",
    "signature_open",
]
