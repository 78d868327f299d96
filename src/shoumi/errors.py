"""The project's base exception.

Every package and app derives its exceptions from :class:`ShoumiError`, so a
caller can tell a domain failure from a programming error, and every failure
carries a stable snake_case ``code`` that tests, logs and API responses use
instead of the (translated) message text. This module imports nothing from
Django, so the pure packages can use it too.
"""

from __future__ import annotations


class ShoumiError(Exception):
    """Base class of all domain errors.

    Subclasses set ``code``. The message must not contain personal data,
    secrets or ciphertext; refer to records by internal id.
    """

    code: str = "shoumi_error"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""
