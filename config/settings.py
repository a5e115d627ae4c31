"""Settings for Xiaoneng. Everything that differs between installations comes from the
environment (see .env.example); production differs from the demo only by environment."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("XIAONENG_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
_DEV_SECRET = "dev-only-secret-key-not-for-production-use-0123456789"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else None)
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("Set SECRET_KEY to a long random value when DEBUG is off.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "xiaoneng.core",
    "xiaoneng.org",
    "xiaoneng.accounts",
    "xiaoneng.audit",
    "xiaoneng.workdays",
    "xiaoneng.notifications",
    "xiaoneng.cases",
    "xiaoneng.publicity",
    "xiaoneng.portal",
    "xiaoneng.assessments",
    "xiaoneng.api",
    "xiaoneng.open311",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "xiaoneng.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "xiaoneng.accounts.middleware.SessionPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xiaoneng.core.context_processors.shell",
            ],
        },
    },
]

# Database: the embedded SQLite file under var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'xiaoneng.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The planner's JIT compilation costs more than it saves on this workload's short queries.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = ["xiaoneng.accounts.backends.PolicyBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "xiaoneng.accounts.validators.PolicyPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
PASSWORD_HASHERS = env_list("PASSWORD_HASHERS", "django.contrib.auth.hashers.PBKDF2PasswordHasher")

# Internationalisation: Simplified Chinese first, English as a full translation.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Uploaded files live outside the web root and are served only through permission checks.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# Sessions and security headers. USE_HTTPS switches on everything a TLS deployment needs.
USE_HTTPS = env_bool("USE_HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = USE_HTTPS
CSRF_COOKIE_SECURE = USE_HTTPS
SECURE_SSL_REDIRECT = USE_HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if USE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = USE_HTTPS
SECURE_HSTS_PRELOAD = USE_HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Number of reverse proxies in front of the app whose X-Forwarded-For may be trusted.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "xiaoneng@localhost")
# Send each inbox notification by e-mail too, to staff who have an address.
NOTIFICATIONS_EMAIL = env_bool("NOTIFICATIONS_EMAIL", False)
# The address people reach the site at, for links in e-mails (e.g. https://xiaoneng.example.gov.cn).
XIAONENG_SITE_URL = env_str("XIAONENG_SITE_URL", "")

# Protected personal data (the complainants' identities) is encrypted with SM4 under a data key
# that never enters the database (docs/operations.md, "The data key"): XIAONENG_DATA_KEY holds
# base64 keys of at least 32 bytes separated by commas (the first encrypts, the others are
# retired keys still read until `xiaoneng rotate_data_key` has re-encrypted everything), or
# XIAONENG_DATA_KEY_FILE names a file holding them one per line. XIAONENG_CIPHER names the class
# that does the encryption (e.g. one backed by a hardware key store).
XIAONENG_CIPHER = env_str("XIAONENG_CIPHER", "xiaoneng.core.crypto.SM4Cipher")
XIAONENG_DATA_KEY = env_str("XIAONENG_DATA_KEY", "")
XIAONENG_DATA_KEY_FILE = env_str("XIAONENG_DATA_KEY_FILE", "")
# Without a key, DEBUG installations (development, demo, tests) use the public development key
# and log a warning; otherwise nothing is encrypted or decrypted and `check` reports the error.
XIAONENG_DATA_KEY_DEVELOPMENT = DEBUG and not (XIAONENG_DATA_KEY or XIAONENG_DATA_KEY_FILE)

# Working-day calendar: what to do for a year neither the package nor the office has entered.
# "weekends" counts Monday–Friday and marks every such date as estimated (the office sees a
# warning from November until next year's schedule is entered), so that a complaint filed in
# December still gets its deadline; "error" refuses to compute the date instead.
WORKDAYS_UNKNOWN_YEAR = env_str("WORKDAYS_UNKNOWN_YEAR", "weekends")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

XIAONENG_SITE_NAME = _("Xiaoneng efficiency platform")

# Background work
# Tasks run through django-tasks. The default backend keeps the queue in the database
# (django-tasks-db); the `worker` command runs that queue and enqueues the deadline escalation
# every XIAONENG_WORKER_INTERVAL seconds. TASKS_BACKEND=immediate runs each task at once in the
# process that enqueues it (no queue); a dotted path selects any other backend class, e.g. the
# RQ backend of the separately installed django-tasks-rq package (see docs/operations.md).
_TASKS_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_tasks_backend = env_str("TASKS_BACKEND", "database")
if _tasks_backend not in _TASKS_BACKENDS and "." not in _tasks_backend:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of {', '.join(_TASKS_BACKENDS)} or a backend class path, "
        f"not {_tasks_backend!r}."
    )
TASKS = {"default": {"BACKEND": _TASKS_BACKENDS.get(_tasks_backend, _tasks_backend)}}
# Seconds between two runs of the deadline escalation (reminders, 催办, supervision proposals).
XIAONENG_WORKER_INTERVAL = env_int("XIAONENG_WORKER_INTERVAL", 60)
if XIAONENG_WORKER_INTERVAL < 1:
    raise ImproperlyConfigured("XIAONENG_WORKER_INTERVAL must be at least 1 (seconds).")

# REST API (/api/v1/, docs/api.md): calls per token and minute, and the largest JSON body.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 120)
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024)

# Ledger exports (Excel) of up to this many rows are written while the reader waits; larger
# ones are written by the background worker and offered for download when ready.
XIAONENG_EXPORT_INLINE_ROWS = env_int("XIAONENG_EXPORT_INLINE_ROWS", 10_000)
