from __future__ import annotations

from shoumi.clients.errors import ClientsError


class LedgerFileError(ClientsError):
    """The whole file cannot be imported: unreadable, too large, or its columns are unusable."""

    code = "ledger_file_invalid"


class ColumnMappingError(LedgerFileError):
    """An explicit column mapping is malformed or names an unknown header or field."""

    code = "column_mapping_invalid"


class ImportConflictError(ClientsError):
    """Records matching the file were created by someone else between checking and writing."""

    code = "import_conflict"
