"""Secrets generated into the data directory on first run.

The data directory holds the database, encrypted files and the secrets that
are generated rather than configured: Django's SECRET_KEY and, later, the
audit checkpoint signing key. Each secret is a file of mode 0600 inside a
``secrets/`` folder of mode 0700, created atomically so that two processes
starting at once agree on one value. A secret file that others can read is
refused rather than silently used: a leaked SECRET_KEY lets anyone forge
sessions.

This module does not protect against an attacker who can read files as the
service's own user; the master key (KEK) is deliberately kept outside the
data directory for that reason.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

SECRETS_FOLDER = "secrets"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if missing, with mode 0700 for the leaf."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def check_private_file(path: Path) -> None:
    """Raise ImproperlyConfigured if ``path`` is readable or writable by group or others."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ImproperlyConfigured(
            f"Secret file {path} has mode {mode:04o}; it must be 0600. Run: chmod 600 {path}"
        )


def load_or_create_secret(data_dir: Path, name: str, *, nbytes: int = 50) -> str:
    """Return the secret stored under ``name``; create it from ``nbytes`` random bytes if absent."""
    folder = ensure_private_dir(data_dir / SECRETS_FOLDER)
    path = folder / name
    if not path.exists():
        _publish_new_secret(folder, path, secrets.token_urlsafe(nbytes))
    check_private_file(path)
    value = path.read_text(encoding="ascii").strip()
    if not value:
        raise ImproperlyConfigured(f"Secret file {path} is empty; delete it to generate a new one.")
    return value


def _publish_new_secret(folder: Path, path: Path, value: str) -> None:
    # Write a private temporary file, then hard-link it into place: link()
    # fails if another process published first, so every process ends up
    # reading the one complete file that won.
    temporary = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(value + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
