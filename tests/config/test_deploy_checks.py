"""`shoumi check-deploy`: Django's deployment checks plus shoumi's own."""

from __future__ import annotations

import os
import stat

import pytest
from django.core.management import CommandError, call_command

from shoumi.config.secrets import load_or_create_secret

SECURE = {
    "DEBUG": False,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31_536_000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "ALLOWED_HOSTS": ["shoumi.example.cn"],
}


@pytest.fixture
def secure_settings(settings, tmp_path):
    for name, value in SECURE.items():
        setattr(settings, name, value)
    settings.DATA_DIR = tmp_path / "data"
    os.makedirs(settings.DATA_DIR, mode=0o700)
    load_or_create_secret(settings.DATA_DIR, "django_secret_key")
    return settings


def test_check_deploy_passes_when_secure(secure_settings, capsys) -> None:
    call_command("check_deploy")

    assert "部署检查通过" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "value", "expected_id"),
    [
        ("DEBUG", True, "shoumi.E001"),
        ("SESSION_COOKIE_SECURE", False, "shoumi.E002"),
        ("SECURE_HSTS_SECONDS", 0, "security.W004"),
        ("SECURE_SSL_REDIRECT", False, "security.W008"),
        ("ALLOWED_HOSTS", ["*"], "shoumi.W001"),
    ],
)
def test_check_deploy_fails_on_insecure_setting(
    secure_settings, capsys, name, value, expected_id
) -> None:
    setattr(secure_settings, name, value)

    with pytest.raises(CommandError):
        call_command("check_deploy")

    assert expected_id in capsys.readouterr().out


def test_check_deploy_fails_on_readable_secret_file(secure_settings, capsys) -> None:
    secret = secure_settings.DATA_DIR / "secrets" / "django_secret_key"
    secret.chmod(0o644)

    with pytest.raises(CommandError):
        call_command("check_deploy")

    assert "shoumi.E004" in capsys.readouterr().out


def test_check_deploy_command_line_exits_non_zero(secure_settings) -> None:
    from shoumi.config.cli import main

    secure_settings.DEBUG = True

    assert main(["shoumi", "check-deploy"]) == 1


def test_generated_secret_is_private_and_stable(tmp_path) -> None:
    first = load_or_create_secret(tmp_path, "example")
    second = load_or_create_secret(tmp_path, "example")

    path = tmp_path / "secrets" / "example"
    assert first == second
    assert len(first) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700


def test_readable_secret_file_is_refused(tmp_path) -> None:
    from django.core.exceptions import ImproperlyConfigured

    load_or_create_secret(tmp_path, "example")
    (tmp_path / "secrets" / "example").chmod(0o640)

    with pytest.raises(ImproperlyConfigured, match="chmod 600"):
        load_or_create_secret(tmp_path, "example")


@pytest.fixture
def common_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def ledger_keys(secure_settings, common_umask):
    """Create the audit log's key files through the code path a fresh install runs."""
    from shoumi.audit.keys import forget_signers, key_directory, log_signer

    forget_signers()
    log_signer()
    yield key_directory()
    forget_signers()


def test_check_deploy_passes_with_fresh_ledger_keys(ledger_keys, capsys) -> None:
    call_command("check_deploy")

    output = capsys.readouterr().out
    assert "部署检查通过" in output
    assert "shoumi.E004" not in output


def test_ledger_lock_file_is_private(ledger_keys) -> None:
    from shoumi.audit.keys import LOCK_FILE

    assert stat.S_IMODE((ledger_keys / LOCK_FILE).stat().st_mode) == 0o600


def test_loose_ledger_lock_file_is_made_private(secure_settings, common_umask) -> None:
    from shoumi.audit.keys import LOCK_FILE, forget_signers, key_directory, log_signer

    lock_path = key_directory() / LOCK_FILE
    lock_path.touch(mode=0o644)
    forget_signers()

    log_signer()

    assert stat.S_IMODE(lock_path.stat().st_mode) == 0o600
    forget_signers()


def test_check_deploy_allows_readable_public_key_only(ledger_keys) -> None:
    from shoumi.config.checks import check_secret_files
    from shoumi.ledger.keys import PUBLIC_KEY_FILE, SIGNING_KEY_FILE

    public_mode = stat.S_IMODE((ledger_keys / PUBLIC_KEY_FILE).stat().st_mode)
    (ledger_keys / SIGNING_KEY_FILE).chmod(0o644)

    messages = check_secret_files()

    assert public_mode == 0o644
    assert [message.id for message in messages] == ["shoumi.E004"]
    assert SIGNING_KEY_FILE in messages[0].msg


def test_check_deploy_rejects_writable_public_key(ledger_keys) -> None:
    from shoumi.config.checks import check_secret_files
    from shoumi.ledger.keys import PUBLIC_KEY_FILE

    (ledger_keys / PUBLIC_KEY_FILE).chmod(0o666)

    messages = check_secret_files()

    assert [message.id for message in messages] == ["shoumi.E004"]
    assert PUBLIC_KEY_FILE in messages[0].msg
