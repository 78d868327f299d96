"""Tables of the paper-materials app.

Every record uses a UUID key, so numbers in URLs and QR codes reveal
nothing about how many records exist. Rows change only through
``shoumi.materials.services``, which writes the audit event of each change.
"""

from shoumi.materials.models.archive_room import (
    AlertKind,
    EnvironmentAlert,
    Inspection,
    InspectionCheck,
    InspectionFinding,
    Sensor,
    SensorReading,
)
from shoumi.materials.models.destruction import (
    DestructionEntry,
    DestructionList,
    DestructionListStatus,
    DestructionMethod,
    DestructionOverride,
    DestructionRecord,
    DestructionRecordItem,
    EntryOutcome,
)
from shoumi.materials.models.items import (
    CustodyEvent,
    CustodyEventKind,
    Intake,
    ItemStatus,
    MaterialItem,
    MaterialKind,
    SignatureMethod,
)
from shoumi.materials.models.lending import Loan, LoanStatus
from shoumi.materials.models.storage import CabinetKeyHolder, KeySlot, LocationKind, StorageLocation

__all__ = [
    "AlertKind",
    "CabinetKeyHolder",
    "CustodyEvent",
    "CustodyEventKind",
    "DestructionEntry",
    "DestructionList",
    "DestructionListStatus",
    "DestructionMethod",
    "DestructionOverride",
    "DestructionRecord",
    "DestructionRecordItem",
    "EntryOutcome",
    "EnvironmentAlert",
    "Inspection",
    "InspectionCheck",
    "InspectionFinding",
    "Intake",
    "ItemStatus",
    "KeySlot",
    "Loan",
    "LoanStatus",
    "LocationKind",
    "MaterialItem",
    "MaterialKind",
    "Sensor",
    "SensorReading",
    "SignatureMethod",
    "StorageLocation",
]
