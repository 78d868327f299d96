"""Staff roles and the separation-of-duties rule.

Business roles follow how agencies divide work: clerks (登记员) enter data,
reviewers (复核员) check it, managers (部门经理) approve, archivists (档案管理员)
keep paper, administrators (管理员) run the business side. MLPS level 3 also
asks for three separated administrator posts (三权分立): the system
administrator (accounts, start-up, backups), the security administrator
(policy, authorisations) and the audit administrator (reads the audit log).
One person may hold at most one of those three, and an account that holds
one of them holds no other role, so none of them is also a business
super-user who could see client data.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "clerk", _("Clerk")
    REVIEWER = "reviewer", _("Reviewer")
    MANAGER = "manager", _("Manager")
    ARCHIVIST = "archivist", _("Archivist")
    ADMINISTRATOR = "administrator", _("Administrator")
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")


SEPARATED_ADMIN_ROLES: frozenset[str] = frozenset(
    {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
)
BUSINESS_ROLES: frozenset[str] = frozenset(Role.values) - SEPARATED_ADMIN_ROLES


def separation_of_duties_violation(roles: set[str]) -> str | None:
    """Return the stable code of the rule a role set breaks, or None if it is allowed."""
    unknown = roles - set(Role.values)
    if unknown:
        return "unknown_role"
    separated = roles & SEPARATED_ADMIN_ROLES
    if len(separated) > 1:
        return "two_separated_admin_roles"
    if separated and roles - separated:
        return "separated_admin_with_business_role"
    return None
