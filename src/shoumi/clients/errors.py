from __future__ import annotations

from typing import Any

from shoumi.errors import ShoumiError


class ClientsError(ShoumiError):
    """A client-data error; ``field`` names the form field it belongs to, if any."""

    code = "clients_error"

    def __init__(
        self, message: str = "", *, field: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.field = field


class ClientDataInvalidError(ClientsError):
    code = "client_data_invalid"


class DuplicateRecordError(ClientsError):
    code = "duplicate_record"


class EditDeniedError(ClientsError):
    code = "edit_denied"


class WarningsNeedConfirmationError(ClientsError):
    """The value is accepted only after a reviewer confirms its warnings with a reason."""

    code = "warnings_need_confirmation"

    def __init__(
        self, message: str = "", *, field: str | None = None, warnings: tuple[Any, ...] = ()
    ) -> None:
        super().__init__(message, field=field)
        self.warnings = warnings


class ValueWarningClosedError(ClientsError):
    """The value warning was confirmed or superseded before this confirmation."""

    code = "value_warning_closed"
