"""Every cell of the policy matrix, checked against the table agencies agreed on."""

from __future__ import annotations

import pytest

from shoumi.access.matrix import Action, Outcome, outcome_for_role, outcome_for_roles
from shoumi.accounts.roles import Role
from shoumi.vault.sensitivity import Sensitivity

A, D, T = Outcome.ALLOW, Outcome.DENY, Outcome.TWO_PERSON

# role -> action -> outcomes for (public, internal, sensitive, highly sensitive)
EXPECTED = {
    Role.CLERK: {
        Action.VIEW_MASKED: (A, A, A, A),
        Action.REVEAL: (A, D, D, D),
        Action.EDIT: (A, A, A, D),
        Action.EXPORT: (A, A, D, D),
        Action.DELETE: (D, D, D, D),
        Action.APPROVE: (D, D, D, D),
        Action.VIEW_HISTORY: (D, D, D, D),
    },
    Role.REVIEWER: {
        Action.VIEW_MASKED: (A, A, A, A),
        Action.REVEAL: (A, A, A, A),
        Action.EDIT: (D, D, D, D),
        Action.EXPORT: (A, A, T, D),
        Action.DELETE: (D, D, D, D),
        Action.APPROVE: (A, A, A, D),
        Action.VIEW_HISTORY: (A, A, A, A),
    },
    Role.MANAGER: {
        Action.VIEW_MASKED: (A, A, A, A),
        Action.REVEAL: (A, A, D, D),
        Action.EDIT: (A, A, D, D),
        Action.EXPORT: (A, A, T, D),
        Action.DELETE: (T, T, T, T),
        Action.APPROVE: (A, A, A, A),
        Action.VIEW_HISTORY: (A, A, A, A),
    },
    Role.ARCHIVIST: {
        Action.VIEW_MASKED: (A, A, A, D),
        Action.REVEAL: (A, D, D, D),
        Action.EDIT: (D, D, D, D),
        Action.EXPORT: (D, D, D, D),
        Action.DELETE: (D, D, D, D),
        Action.APPROVE: (D, D, D, D),
        Action.VIEW_HISTORY: (D, D, D, D),
    },
    Role.ADMINISTRATOR: {
        Action.VIEW_MASKED: (A, A, A, A),
        Action.REVEAL: (A, A, T, T),
        Action.EDIT: (A, A, A, A),
        Action.EXPORT: (A, A, T, T),
        Action.DELETE: (T, T, T, T),
        Action.APPROVE: (A, A, A, A),
        Action.VIEW_HISTORY: (A, A, A, A),
    },
    Role.SYSTEM_ADMIN: {action: (D, D, D, D) for action in Action},
    Role.SECURITY_ADMIN: {action: (D, D, D, D) for action in Action},
    Role.AUDIT_ADMIN: {action: (D, D, D, D) for action in Action},
}
LEVELS = (
    Sensitivity.PUBLIC,
    Sensitivity.INTERNAL,
    Sensitivity.SENSITIVE,
    Sensitivity.HIGHLY_SENSITIVE,
)
CELLS = [
    (role, action, level, expected[index])
    for role, actions in EXPECTED.items()
    for action, expected in actions.items()
    for index, level in enumerate(LEVELS)
]


def test_table_covers_every_role_and_action() -> None:
    assert set(EXPECTED) == set(Role.values)
    assert all(set(actions) == set(Action) for actions in EXPECTED.values())
    assert len(CELLS) == len(Role.values) * len(Action) * len(LEVELS)


@pytest.mark.parametrize(("role", "action", "level", "expected"), CELLS)
def test_matrix_cell(role: str, action: str, level: int, expected: Outcome) -> None:
    assert outcome_for_role(role, level, action) == expected


@pytest.mark.parametrize(
    ("role", "level", "action"),
    [
        ("superuser", 0, "reveal"),
        (Role.REVIEWER, 7, "reveal"),
        (Role.REVIEWER, 2, "print"),
        ("", 0, ""),
    ],
)
def test_unknown_combinations_are_denied(role: str, level: int, action: str) -> None:
    assert outcome_for_role(role, level, action) == Outcome.DENY


def test_most_permissive_role_wins() -> None:
    assert (
        outcome_for_roles({Role.CLERK, Role.REVIEWER}, Sensitivity.SENSITIVE, Action.REVEAL)
        == Outcome.ALLOW
    )


def test_separated_admin_role_denies_even_with_business_role() -> None:
    outcome = outcome_for_roles(
        {Role.AUDIT_ADMIN, Role.REVIEWER}, Sensitivity.PUBLIC, Action.VIEW_MASKED
    )

    assert outcome == Outcome.DENY
