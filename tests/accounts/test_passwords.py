"""Password rules: length, common passwords, the employee number, argon2."""

from __future__ import annotations

import importlib

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _codes(password: str, user) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return {item.code for item in error.error_list}
    return set()


@pytest.mark.parametrize(
    ("password", "expected_code"),
    [
        ("Short-pw-1", "password_too_short"),
        ("password1234", "password_too_common"),
        ("839201746512", "password_entirely_numeric"),
        ("xx-e77123-yy-zz", "password_contains_employee_number"),
        ("XX-E77123-YY-ZZ", "password_contains_employee_number"),
    ],
)
def test_password_rule_rejects(password: str, expected_code: str) -> None:
    user = UserFactory(employee_number="E77123", full_name="林晓峰")

    assert expected_code in _codes(password, user)


def test_strong_password_passes() -> None:
    user = UserFactory(employee_number="E77124", full_name="林晓峰")

    assert _codes("Qing-shan-lv-shui-88", user) == set()


def test_rejection_message_is_chinese() -> None:
    user = UserFactory(employee_number="E77125")

    with pytest.raises(ValidationError) as raised:
        validate_password("e77125-abcdefgh", user)

    assert "密码不能包含您的工号" in " ".join(raised.value.messages)


def test_minimum_length_is_twelve(settings) -> None:
    validator = next(
        item
        for item in settings.AUTH_PASSWORD_VALIDATORS
        if item["NAME"].endswith("MinimumLengthValidator")
    )

    assert validator["OPTIONS"]["min_length"] == 12


@pytest.mark.parametrize("profile", ["local", "production"])
def test_served_profiles_hash_with_argon2(profile: str, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHOUMI_DATA_DIR", str(tmp_path))
    module = importlib.import_module(f"shoumi.config.settings.{profile}")
    module = importlib.reload(module)

    assert module.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
