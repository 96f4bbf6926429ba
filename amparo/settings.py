"""Amparo settings: one file, read from the environment, failing closed in production.

Every variable is documented in .env.example.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from amparo.lib.env import (
    database_from_url,
    envbool,
    envint,
    envlist,
    envsecret,
    envstr,
)

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
DATA_DIR = Path(envstr("AMPARO_DATA_DIR", str(PROJECT_DIR / "var"))).resolve()

# Production mode refuses to start without a secret key, allowed hosts, a master key
# and Redis for the job queue. Development mode (the default for `make run`) keeps
# generated secrets in DATA_DIR so a laptop demo needs no configuration.
PRODUCTION = envbool("AMPARO_PRODUCTION", False)
DEBUG = envbool("AMPARO_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("AMPARO_DEBUG must be off in production mode.")


def _development_secret(name: str) -> str:
    path = DATA_DIR / name
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = envsecret("AMPARO_SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("AMPARO_SECRET_KEY (or AMPARO_SECRET_KEY_FILE) is required in production.")
    SECRET_KEY = _development_secret("secret_key")

ALLOWED_HOSTS = envlist("AMPARO_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("AMPARO_ALLOWED_HOSTS is required in production.")
if "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("AMPARO_ALLOWED_HOSTS may not contain '*'.")
CSRF_TRUSTED_ORIGINS = envlist("AMPARO_CSRF_TRUSTED_ORIGINS")
# Where people reach Amparo: every link made for later (posters, QR codes, e-mails, alerts, feeds,
# invitations, ODK phones) starts here (amparo/lib/urls.py), never from a request's Host header.
SITE_URL = envstr("AMPARO_SITE_URL", "" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")
if PRODUCTION and not SITE_URL:
    raise ImproperlyConfigured("AMPARO_SITE_URL is required in production (e.g. https://amparo.example.org).")
_site = urlsplit(SITE_URL)
if _site.scheme not in ("http", "https") or not _site.hostname or _site.path not in ("", "/") or _site.query or _site.fragment:
    raise ImproperlyConfigured("AMPARO_SITE_URL must be like https://amparo.example.org (no path).")

# The master key wraps every organisation's data key. It lives outside the database.
MASTER_KEY_FILE = envstr("AMPARO_MASTER_KEY_FILE", "" if PRODUCTION else str(DATA_DIR / "master.keys"))
# Not envsecret(): AMPARO_MASTER_KEY_FILE names the keyring file, not a file holding this variable.
MASTER_KEY = envstr("AMPARO_MASTER_KEY")
if PRODUCTION and not (MASTER_KEY or MASTER_KEY_FILE):
    raise ImproperlyConfigured("AMPARO_MASTER_KEY or AMPARO_MASTER_KEY_FILE is required in production.")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "template_partials",
    # Lets Ninja serve its API docs page from our static files instead of a CDN.
    "ninja",
    "huey.contrib.djhuey",
    "amparo.web",
    "amparo.accounts",
    "amparo.audit",
    "amparo.vault",
    "amparo.vocab",
    "amparo.places",
    "amparo.records",
    "amparo.evidence",
    "amparo.intake",
    "amparo.response",
    "amparo.alerts",
    "amparo.insights",
    "amparo.programmes",
    "amparo.reports",
    "amparo.openrosa",
    "amparo.backup",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "amparo.web.middleware.AnonymousRouteMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "amparo.web.middleware.SignedInNoStoreMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "amparo.accounts.middleware.OrganisationMiddleware",
    "amparo.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "amparo.web.middleware.UnreadableQueryMiddleware",
]

ROOT_URLCONF = "amparo.urls"
WSGI_APPLICATION = "amparo.wsgi.application"

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
                "csp.context_processors.nonce",
                "amparo.accounts.context_processors.organisation",
            ],
        },
    }
]

DATABASES = {
    "default": database_from_url(
        envstr("AMPARO_DATABASE_URL", f"sqlite:///{DATA_DIR / 'amparo.sqlite3'}"),
        base_dir=PROJECT_DIR,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"

# Sessions: idle timeout (every request pushes expiry forward), cookie only over HTTPS in production.
SESSION_COOKIE_AGE = envint("AMPARO_IDLE_TIMEOUT_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_NAME = "amparo_session"
LANGUAGE_COOKIE_NAME = "amparo_lang"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Login throttling without keeping addresses longer than needed: lock per username+address.
AXES_FAILURE_LIMIT = envint("AMPARO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = envint("AMPARO_PROXY_COUNT", 0)

OTP_TOTP_ISSUER = "Amparo"

# Security headers.
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form posts,
# which fails CSRF origin checks. Nothing is sent to any other site either way.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = envbool("AMPARO_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_HSTS_SECONDS = 31536000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION

# Content Security Policy: nothing from any third party, no inline script, nonces for our own.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
    }
}

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Lima"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Production serves collected files; development serves them from the apps (no collectstatic step).
STATIC_ROOT = DATA_DIR / "static" if PRODUCTION else None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(DATA_DIR / "private")}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
# Evidence and report files: encrypted, private, never under a public URL.
PRIVATE_STORAGE_DIR = DATA_DIR / "private"
# Nothing is ever served from MEDIA: no URL pattern points at it (these values only keep test servers sane).
MEDIA_URL = "/no-public-media/"
MEDIA_ROOT = DATA_DIR / "no-public-media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# Background jobs: huey with SQLite storage by default, Redis in production.
REDIS_URL = envstr("AMPARO_REDIS_URL", "redis://127.0.0.1:6379/0" if PRODUCTION else "")
HUEY_IMMEDIATE = envbool("AMPARO_HUEY_IMMEDIATE", False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": envstr("AMPARO_HUEY_NAME", "amparo"),
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": envstr("AMPARO_HUEY_NAME", "amparo"),
        "filename": envstr("AMPARO_HUEY_FILE", str(DATA_DIR / "huey.sqlite3")),
        "immediate": HUEY_IMMEDIATE,
    }

EMAIL_HOST = envstr("AMPARO_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = envint("AMPARO_SMTP_PORT", 25)
EMAIL_HOST_USER = envstr("AMPARO_SMTP_USER")
EMAIL_HOST_PASSWORD = envsecret("AMPARO_SMTP_PASSWORD")
EMAIL_USE_TLS = envbool("AMPARO_SMTP_TLS", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = envstr("AMPARO_FROM_EMAIL", "amparo@localhost")
EMAIL_BACKEND = envstr(
    "AMPARO_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)

# Nothing sensitive in logs: request bodies are never logged and anonymous routes are not logged at all.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_anonymous_routes": {"()": "amparo.web.logging.SkipAnonymousRoutes"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["no_anonymous_routes"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# Encrypted backups (age format): where they go (the operator syncs this folder off-site) and
# to whom they are encrypted ("age1…" public keys). The master key is never in a backup.
BACKUP_DIR = Path(envstr("AMPARO_BACKUP_DIR", str(DATA_DIR / "backups"))).resolve()
BACKUP_RECIPIENTS = envlist("AMPARO_BACKUP_RECIPIENTS")
BACKUP_RECIPIENTS_FILE = envstr("AMPARO_BACKUP_RECIPIENTS_FILE")
# Who hears about a failed or missing backup besides every organisation's admins.
OPERATOR_EMAILS = envlist("AMPARO_OPERATOR_EMAILS")
# Hours without a good backup before admins are told.
BACKUP_MAX_AGE_HOURS = envint("AMPARO_BACKUP_MAX_AGE_HOURS", 26)
# The job queue makes the nightly backup; turn it off only if a systemd timer runs `amparo backup create --nightly`.
BACKUP_NIGHTLY = envbool("AMPARO_BACKUP_NIGHTLY", True)

# Minutes a password re-confirmation (sudo mode) lasts before exports, bundles and deletions.
SUDO_SECONDS = envint("AMPARO_SUDO_MINUTES", 10) * 60

# Small-cell suppression threshold for every published number.
SUPPRESSION_THRESHOLD = envint("AMPARO_SUPPRESSION_THRESHOLD", 5)
