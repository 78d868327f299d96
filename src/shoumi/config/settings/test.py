"""The profile the test suite runs under.

The data directory is a fresh temporary folder per test process unless
SHOUMI_DATA_DIR is set. Password hashing uses a fast hasher; a test checks
that the other profiles hash with argon2.
"""

import atexit
import functools
import os
import shutil
import tempfile


def _temporary_folder(prefix: str) -> str:
    """Create a folder that is removed when this process exits.

    Processes started by the tests inherit the environment variable naming it, so they
    use it without creating or removing one. Forked workers end without running atexit.
    """
    folder = tempfile.mkdtemp(prefix=prefix)
    atexit.register(functools.partial(shutil.rmtree, folder, ignore_errors=True))
    return folder


if "SHOUMI_DATA_DIR" not in os.environ:
    os.environ["SHOUMI_DATA_DIR"] = _temporary_folder("shoumi-test-")
if "SHOUMI_KEY_FILE" not in os.environ:
    from shoumi.crypto import create_key_file

    os.environ["SHOUMI_KEY_FILE"] = os.path.join(
        _temporary_folder("shoumi-test-key-"), "master.key"
    )
    create_key_file(os.environ["SHOUMI_KEY_FILE"])

from shoumi.config.settings.base import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOG_LEVEL = "WARNING"
TASKS_RUN_INLINE = True

# Persistent connections held by the live-server thread would keep the test
# database busy when PostgreSQL drops it at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# A file, not the shared in-memory database: concurrency tests then see the
# same locking (WAL, busy timeout) as a real installation.
if DATABASES["default"]["ENGINE"] in ("shoumi.config.sqlite", "django.db.backends.sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
