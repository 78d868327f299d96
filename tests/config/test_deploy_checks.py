"""`shoumi check-deploy`: Django's deployment checks plus shoumi's own."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import timedelta

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
    "BASE_URL": "https://shoumi.example.cn",
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


# MLPS level 3 limits and the base URL ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "expected_id", "level"),
    [
        ("BASE_URL", "http://shoumi.example.cn", "shoumi.E010", "错误"),
        ("AXES_FAILURE_LIMIT", 6, "shoumi.W010", "警告"),
        ("AXES_COOLOFF_TIME", timedelta(minutes=14), "shoumi.W011", "警告"),
        ("IDLE_TIMEOUT", timedelta(minutes=16), "shoumi.W012", "警告"),
        ("SESSION_COOKIE_AGE", 11 * 3600, "shoumi.W013", "警告"),
    ],
)
def test_check_deploy_fails_on_weak_login_limits(
    secure_settings, capsys, name, value, expected_id, level
) -> None:
    setattr(secure_settings, name, value)

    with pytest.raises(CommandError):
        call_command("check_deploy")

    assert f"[{level}] {expected_id}" in capsys.readouterr().out


def test_check_deploy_accepts_the_mlps_limits_themselves(secure_settings, capsys) -> None:
    secure_settings.AXES_FAILURE_LIMIT = 5
    secure_settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    secure_settings.IDLE_TIMEOUT = timedelta(minutes=15)
    secure_settings.SESSION_COOKIE_AGE = 10 * 3600

    call_command("check_deploy")

    assert "部署检查通过" in capsys.readouterr().out


RUN_SHOUMI = "import sys; from shoumi.config.cli import main; sys.exit(main())"


def _shoumi(tmp_path, **variables: str) -> subprocess.CompletedProcess[str]:
    """Run the ``shoumi`` console entry point with the production profile."""
    from shoumi.crypto import create_key_file

    key_file = tmp_path / "key" / "master.key"
    if not key_file.exists():
        key_file.parent.mkdir(mode=0o700)
        create_key_file(str(key_file))
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SHOUMI_", "DJANGO_")) and name != "DATABASE_URL"
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="shoumi.config.settings.production",
        SHOUMI_DATA_DIR=str(tmp_path / "data"),
        SHOUMI_KEY_FILE=str(key_file),
        SHOUMI_ALLOWED_HOSTS="shoumi.example.cn",
        SHOUMI_LOG_LEVEL="WARNING",
        **variables,
    )
    return subprocess.run(  # noqa: S603 - fixed command, no user input
        [sys.executable, "-c", RUN_SHOUMI, "check-deploy"],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=120,
    )


def test_production_check_deploy_flags_the_testers_configuration(tmp_path) -> None:
    result = _shoumi(
        tmp_path,
        SHOUMI_BASE_URL="http://shoumi.example.cn",
        SHOUMI_LOCKOUT_FAILURES="100",
        SHOUMI_IDLE_TIMEOUT_MINUTES="240",
        SHOUMI_SESSION_MAX_HOURS="24",
    )

    assert result.returncode == 1, result.stdout + result.stderr
    for expected_id in ("shoumi.E010", "shoumi.W010", "shoumi.W012", "shoumi.W013"):
        assert expected_id in result.stdout


def test_out_of_range_variable_is_one_line_not_a_traceback(tmp_path) -> None:
    result = _shoumi(tmp_path, SHOUMI_LOCKOUT_FAILURES="1000")

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "配置错误" in lines[0]
    assert "SHOUMI_LOCKOUT_FAILURES=1000" in lines[0]


def test_configuration_error_inside_a_command_is_one_line(monkeypatch, capsys) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from shoumi.config import cli

    def broken(arguments: list[str]) -> None:
        raise ImproperlyConfigured("Environment variable SHOUMI_X is required\nbut not set.")

    monkeypatch.setattr("django.core.management.execute_from_command_line", broken)

    assert cli.main(["shoumi", "check-deploy"]) == 2
    assert capsys.readouterr().err == (
        "shoumi: 配置错误（configuration error）："
        "Environment variable SHOUMI_X is required but not set.\n"
    )
