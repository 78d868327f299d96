"""Staff, departments, role assignments and enrolment links."""

from __future__ import annotations

import unicodedata
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shoumi.accounts.roles import SEPARATED_ADMIN_ROLES, Role, separation_of_duties_violation

employee_number_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9_-]{1,31}$",
    _("An employee number has 2 to 32 letters, digits, hyphens or underscores."),
)
staff_mobile_validator = RegexValidator(
    r"^1[3-9]\d{9}$", _("Enter an 11-digit mainland mobile number.")
)


def normalise_employee_number(text: str) -> str:
    """Fold full-width characters, trim and upper-case an employee number (工号)."""
    return unicodedata.normalize("NFKC", text).strip().upper()


class Department(models.Model):
    """A department (部门) of the agency; clients and staff belong to one."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(employee_number=normalise_employee_number(username or ""))


class User(AbstractBaseUser):
    """A staff member. Logs in with the employee number (工号), a password and TOTP.

    There is deliberately no superuser flag and no Django permission table:
    what a user may do follows from the roles in :class:`RoleAssignment`.
    """

    employee_number = models.CharField(
        _("employee number"), max_length=32, unique=True, validators=[employee_number_validator]
    )
    full_name = models.CharField(_("full name"), max_length=64)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    mobile = models.CharField(
        _("mobile"), max_length=11, blank=True, validators=[staff_mobile_validator]
    )
    email = models.EmailField(_("email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    must_change_password = models.BooleanField(_("must change password"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "employee_number"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["employee_number"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.employee_number})"

    def clean(self) -> None:
        super().clean()
        self.employee_number = normalise_employee_number(self.employee_number or "")

    @property
    def role_set(self) -> frozenset[str]:
        """The user's roles, loaded once per instance."""
        cached: frozenset[str] | None = getattr(self, "_role_set_cache", None)
        if cached is None:
            prefetched = getattr(self, "_prefetched_objects_cache", {})
            if self.pk is None:
                cached = frozenset()
            elif "role_assignments" in prefetched:
                cached = frozenset(assignment.role for assignment in prefetched["role_assignments"])
            else:
                cached = frozenset(self.role_assignments.values_list("role", flat=True))
            self._role_set_cache = cached
        return cached

    def forget_roles(self) -> None:
        """Drop the cached role set after the assignments changed."""
        self.__dict__.pop("_role_set_cache", None)
        getattr(self, "_prefetched_objects_cache", {}).pop("role_assignments", None)

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set & set(roles))

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(role).label) for role in sorted(self.role_set)]

    @property
    def is_separated_admin(self) -> bool:
        return bool(self.role_set & SEPARATED_ADMIN_ROLES)


class RoleAssignment(models.Model):
    """One role held by one user.

    The partial unique constraint makes the database itself refuse a second
    separated-administrator role for the same user; :meth:`clean` also
    refuses mixing a separated-administrator role with business roles.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    assigned_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="accounts_role_once_per_user"),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(role__in=sorted(SEPARATED_ADMIN_ROLES)),
                name="accounts_one_separated_admin_role",
                violation_error_message=_(
                    "One person may hold only one of the system, security and audit "
                    "administrator roles."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}"

    def clean(self) -> None:
        super().clean()
        if self.user_id is None:
            return
        existing = set(
            RoleAssignment.objects.filter(user_id=self.user_id)
            .exclude(pk=self.pk)
            .values_list("role", flat=True)
        )
        raise_for_role_set(existing | {self.role})


def raise_for_role_set(roles: set[str]) -> None:
    """Raise ValidationError with a Chinese message if ``roles`` breaks separation of duties."""
    violation = separation_of_duties_violation(roles)
    if violation is None:
        return
    messages: dict[str, Any] = {
        "unknown_role": _("Unknown role."),
        "two_separated_admin_roles": _(
            "One person may hold only one of the system, security and audit administrator roles."
        ),
        "separated_admin_with_business_role": _(
            "A system, security or audit administrator account may not hold any other role."
        ),
    }
    raise ValidationError(messages[violation], code=violation)


class Enrolment(models.Model):
    """A one-time link with which a new staff member sets up TOTP and a password.

    Only the SHA-256 hash of the link token is stored, so a copy of the
    database does not yield usable links.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolments")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("enrolment link")
        verbose_name_plural = _("enrolment links")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"enrolment {self.pk} for user {self.user_id}"
