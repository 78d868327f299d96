"""Password rules beyond Django's built-in validators."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class NotEmployeeNumberValidator:
    """Reject a password that contains the user's employee number (工号), in any letter case."""

    def validate(self, password: str, user: Any = None) -> None:
        employee_number = getattr(user, "employee_number", "") or ""
        if employee_number and employee_number.lower() in password.lower():
            raise ValidationError(
                _("The password must not contain your employee number."),
                code="password_contains_employee_number",
            )

    def get_help_text(self) -> str:
        return _("Your password must not contain your employee number.")
