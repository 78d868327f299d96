"""Settings shared by every profile.

All configuration comes from ``SHOUMI_*`` environment variables (plus the
standard ``DATABASE_URL``), parsed and validated here. The profiles
``local`` (what ``make run`` serves on 127.0.0.1 over plain HTTP),
``production`` (behind TLS) and ``test`` import this module and change only
what differs.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from shoumi.config.env import (
    env_bool,
    env_hours,
    env_int,
    env_list,
    env_optional,
    env_path,
    env_str,
    env_time_zone,
    env_weekdays,
)
from shoumi.config.logging import build_logging_config
from shoumi.config.mail import email_settings
from shoumi.config.secrets import ensure_private_dir, load_or_create_secret

PACKAGE_DIR = Path(__file__).resolve().parent.parent.parent

# The data directory holds the SQLite database, generated secrets and
# encrypted files. It defaults to ./var relative to the working directory.
DATA_DIR = ensure_private_dir(env_path("SHOUMI_DATA_DIR", Path("var")))

SECRET_KEY = load_or_create_secret(DATA_DIR, "django_secret_key")

DEBUG = env_bool("SHOUMI_DEBUG", False)

ALLOWED_HOSTS = env_list("SHOUMI_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

# The address staff use to reach shoumi; links printed on the terminal or
# sent by mail (enrolment, approvals) are built from it.
BASE_URL = env_str("SHOUMI_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_htmx",
    "shoumi.config.apps.ShellConfig",
    "shoumi.accounts",
    "shoumi.audit",
    "shoumi.vault",
    "shoumi.access",
    "shoumi.clients",
    "shoumi.staff",
    "shoumi.materials",
    "shoumi.documents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "shoumi.config.middleware.RequestIdMiddleware",
    "shoumi.config.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shoumi.config.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "shoumi.accounts.middleware.VerifiedSessionMiddleware",
    "shoumi.accounts.middleware.IdleTimeoutMiddleware",
    # Default deny: every view needs a logged-in, two-factor-verified user
    # unless it is explicitly marked with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes must come last so that it sees the outcome of the login views.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shoumi.config.urls"
WSGI_APPLICATION = "shoumi.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shoumi.config.context_processors.shell",
            ],
        },
    },
]

# SQLite in the data directory unless DATABASE_URL names another database.
# WAL lets readers work while one writer commits; IMMEDIATE transactions take
# the write lock at BEGIN, so concurrent writers queue instead of failing
# with "database is locked" half-way through a transaction.
_database_url = env_optional("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "shoumi.config.sqlite",
            "NAME": str(DATA_DIR / "shoumi.sqlite3"),
            "OPTIONS": {
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    # Axes checks the lockout before any password is compared.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

PASSWORD_MIN_LENGTH = env_int("SHOUMI_PASSWORD_MIN_LENGTH", 12, minimum=12, maximum=128)

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "shoumi.accounts.validators.NotEmployeeNumberValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("employee_number", "full_name", "email", "mobile")},
    },
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "shell:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout after repeated failures (MLPS level 3 asks to limit attempts;
# 5 failures and 15 minutes are the values assessors commonly expect).
AXES_FAILURE_LIMIT = env_int("SHOUMI_LOCKOUT_FAILURES", 5, minimum=1, maximum=100)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SHOUMI_LOCKOUT_MINUTES", 15, minimum=1))
# Lock the account, not the address: an agency's staff usually share one
# office IP, and an IP lockout would lock the whole office out after five
# typos. axes.W006 warns about exactly this choice.
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "shoumi.accounts.lockout.username_from"
AXES_RESET_ON_SUCCESS = True
# Every attempt during a lockout starts the cool-off again, so an attacker who
# keeps guessing stays locked out.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_LOCKOUT_CALLABLE = "shoumi.accounts.views.lockout_response"
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["password", "one_time_password", "token", "otp_token"]

# Idle timeout: a session unused for this long is logged out.
IDLE_TIMEOUT = timedelta(minutes=env_int("SHOUMI_IDLE_TIMEOUT_MINUTES", 15, minimum=1, maximum=240))
# Absolute session lifetime, whatever the activity.
SESSION_COOKIE_AGE = env_int("SHOUMI_SESSION_MAX_HOURS", 10, minimum=1, maximum=24) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_NAME = "shoumi_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_NAME = "shoumi_csrftoken"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_FAILURE_VIEW = "shoumi.config.views.csrf_failure"

# Encryption. The master key (KEK) lives in a key file outside the data
# directory (created by `shoumi keys init`, which `make run` calls) or in
# HashiCorp Vault Transit. 国密 mode switches field encryption to SM4-GCM
# with HMAC-SM3 blind indexes and the audit ledger to SM3.
GUOMI_MODE = env_bool("SHOUMI_GUOMI_MODE", False)
CRYPTO_SUITE = env_str("SHOUMI_CRYPTO_SUITE", "sm4-gcm" if GUOMI_MODE else "aes-256-gcm")
KEK_PROVIDER = env_str("SHOUMI_KEK_PROVIDER", "file")
KEY_FILE = env_optional("SHOUMI_KEY_FILE")
VAULT_ADDR = env_optional("SHOUMI_VAULT_ADDR")
VAULT_TRANSIT_KEY = env_str("SHOUMI_VAULT_TRANSIT_KEY", "shoumi")
VAULT_TRANSIT_MOUNT = env_str("SHOUMI_VAULT_TRANSIT_MOUNT", "transit")
# The Vault token is read from the environment at call time, never stored in settings.

# Document scans are sealed before they are stored, so either place holds
# ciphertext only. "local" keeps them under <data directory>/documents;
# "s3" puts them in a bucket of S3-compatible object storage through
# django-storages (install the s3 extra). boto3 reads the credentials from
# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY at call time, so no secret is
# kept in settings.
DOCUMENT_STORAGE = env_str("SHOUMI_DOCUMENT_STORAGE", "local")
if DOCUMENT_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured(
        f"SHOUMI_DOCUMENT_STORAGE must be 'local' or 's3', got {DOCUMENT_STORAGE!r}."
    )
DOCUMENT_S3_BUCKET = env_str("SHOUMI_DOCUMENT_S3_BUCKET") if DOCUMENT_STORAGE == "s3" else ""
DOCUMENT_S3_ENDPOINT_URL = env_optional("SHOUMI_DOCUMENT_S3_ENDPOINT_URL")
DOCUMENT_S3_REGION = env_optional("SHOUMI_DOCUMENT_S3_REGION")
DOCUMENT_S3_PREFIX = env_str("SHOUMI_DOCUMENT_S3_PREFIX", "documents")
# Largest scan accepted for upload, in MiB.
DOCUMENT_MAX_UPLOAD_MB = env_int("SHOUMI_DOCUMENT_MAX_UPLOAD_MB", 30, minimum=1, maximum=200)

# Two-person approvals expire unless used within this time.
APPROVAL_MINUTES = env_int("SHOUMI_APPROVAL_MINUTES", 60, minimum=5, maximum=24 * 60)
# Security alerts: more reveals than this by one user within an hour, access
# outside working hours (local time, weekdays 1-7 with Monday = 1), and more
# denied requests than this within an hour.
ALERT_REVEALS_PER_HOUR = env_int("SHOUMI_ALERT_REVEALS_PER_HOUR", 20, minimum=1)
ALERT_DENIALS_PER_HOUR = env_int("SHOUMI_ALERT_DENIALS_PER_HOUR", 5, minimum=1)
WORK_HOURS = env_hours("SHOUMI_WORK_HOURS", "08:00-20:00")
WORK_DAYS = env_weekdays("SHOUMI_WORK_DAYS", "1-6")
# Exports with at least this many rows, bank accounts or ID numbers need a
# second person. 50 property records and 500 other records are where the
# 2017 criminal interpretation of Criminal Law Art. 253-1 starts to call
# a leak "serious".
BULK_EXPORT_ROWS = env_int("SHOUMI_BULK_EXPORT_ROWS", 200, minimum=1)
BULK_EXPORT_BANK_ACCOUNTS = env_int("SHOUMI_BULK_EXPORT_BANK_ACCOUNTS", 50, minimum=1)
BULK_EXPORT_ID_NUMBERS = env_int("SHOUMI_BULK_EXPORT_ID_NUMBERS", 500, minimum=1)

# Ledger imports. The whole file and every row's checked values stay in memory
# (the file is never written to disk in clear), so these bound the memory one
# import takes. The 100,000-row benchmark peaked at about 750 MB, generated
# test data included, and each worker process at about 630 MB resident, part of
# it pages shared with the importing process.
IMPORT_MAX_FILE_MB = env_int("SHOUMI_IMPORT_MAX_MB", 50, minimum=1, maximum=1024)
IMPORT_MAX_ROWS = env_int("SHOUMI_IMPORT_MAX_ROWS", 200_000, minimum=1, maximum=2_000_000)
# Worker processes that seal an import's records while the importing process
# inserts them (shoumi.clients.imports.workers). With 0 the importing process
# seals them itself. By default one per core, at most 4, and none on one core.
_CORES = os.cpu_count() or 1
IMPORT_WORKERS = env_int(
    "SHOUMI_IMPORT_WORKERS", min(_CORES, 4) if _CORES > 1 else 0, minimum=0, maximum=64
)

# Background tasks run in a thread of the web process; with this set they run
# inside the request instead (the test profile does, so tests see the result).
TASKS_RUN_INLINE = env_bool("SHOUMI_TASKS_INLINE", False)

# Audit log. A signed checkpoint (tree size and root hash) is written after
# this many new events, or once this many minutes have passed since the last
# one while new events exist, and when the serving process stops. Events
# are kept at least 180 days, because Art. 21 of the Cybersecurity Law
# requires six months of network logs, before `shoumi audit archive` may
# move them out as signed segments. The origin names the log in every checkpoint. It is fixed when
# the signing key is created on first use, so changing it later has no effect.
CHECKPOINT_EVERY_EVENTS = env_int(
    "SHOUMI_CHECKPOINT_EVERY_EVENTS", 1000, minimum=1, maximum=1_000_000
)
CHECKPOINT_EVERY_MINUTES = env_int(
    "SHOUMI_CHECKPOINT_EVERY_MINUTES", 10, minimum=1, maximum=24 * 60
)
AUDIT_RETENTION_DAYS = env_int("SHOUMI_AUDIT_RETENTION_DAYS", 180, minimum=180)
AUDIT_LOG_ORIGIN = env_str(
    "SHOUMI_AUDIT_ORIGIN", (urlsplit(BASE_URL).netloc or "localhost") + "/shoumi-audit"
)

# How long the link printed for a new account stays valid.
ENROLMENT_VALID_HOURS = env_int("SHOUMI_ENROLMENT_VALID_HOURS", 24, minimum=1, maximum=168)
OTP_TOTP_ISSUER = env_str("SHOUMI_TOTP_ISSUER", "守密 shoumi")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_time_zone("SHOUMI_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "shoumi_language"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "static/"
# Only needed for `shoumi collectstatic` behind a web server such as nginx.
STATIC_ROOT = env_optional("SHOUMI_STATIC_ROOT")
# WhiteNoise serves the files straight from the installed apps, so `make run`
# needs no collectstatic step and nothing comes from a CDN.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

# Security headers. HTTPS-only settings are switched on by the production
# profile (or SHOUMI_HTTPS=1) because `make run` serves plain HTTP on loopback.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

HTTPS = env_bool("SHOUMI_HTTPS", False)


def apply_https_settings(namespace: dict[str, object], enabled: bool) -> None:
    """Set the cookie, redirect and HSTS settings for serving over HTTPS."""
    namespace["SESSION_COOKIE_SECURE"] = enabled
    namespace["CSRF_COOKIE_SECURE"] = enabled
    namespace["LANGUAGE_COOKIE_SECURE"] = enabled
    namespace["SECURE_SSL_REDIRECT"] = enabled
    namespace["SECURE_HSTS_SECONDS"] = 31_536_000 if enabled else 0
    namespace["SECURE_HSTS_INCLUDE_SUBDOMAINS"] = enabled
    # The preload directive only takes effect once the domain is submitted to
    # the browsers' preload list, which stays the operator's decision.
    namespace["SECURE_HSTS_PRELOAD"] = enabled
    if enabled and env_bool("SHOUMI_BEHIND_PROXY", False):
        namespace["SECURE_PROXY_SSL_HEADER"] = ("HTTP_X_FORWARDED_PROTO", "https")


apply_https_settings(globals(), HTTPS)

CSRF_TRUSTED_ORIGINS = env_list("SHOUMI_CSRF_TRUSTED_ORIGINS", [])

globals().update(email_settings())

SILENCED_SYSTEM_CHECKS = ["axes.W006"]

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOG_LEVEL = env_str("SHOUMI_LOG_LEVEL", "INFO").upper()
LOGGING = build_logging_config(LOG_LEVEL)
