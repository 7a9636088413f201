"""Settings, all from the environment (SPEC §6).

With nothing set the app runs on SQLite in development mode; with DATABASE_URL it runs
on PostgreSQL. DEBUG defaults to on only when no SECRET_KEY is given.
"""

import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", default=not SECRET_KEY)
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-change-me-0123456789abcdefghij"

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
if DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_q",
    "axes",
    "ninja",
    "sessions_app",
    "mechanics",
    "customers",
    "billing",
    "diagnostics",
    "quotes",
    "calls",  # issue 11: the video call's signalling
]

MIDDLEWARE = [
    "autodoctor.request_id.RequestIdMiddleware",
    "autodoctor.limits.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Early, so a database outage anywhere below answers 503 + Retry-After, not the 500 page.
    "autodoctor.middleware.DatabaseOutageMiddleware",
    # /api/ answers its 404s and 405s as JSON in the API's error shape, like every other error.
    "autodoctor.api.ApiErrorShapeMiddleware",
    # The two-second polls' "nothing changed" 204, before the session/auth/CSRF layers it never
    # reads (sessions_app.polls; UNCHANGED_POLLS below).
    "sessions_app.polls.UnchangedPollMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # issue 14 (tz): the signed-in user's time zone for every page, partial and form (lazy: no query)
    "autodoctor.middleware.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "autodoctor.middleware.ContentSecurityPolicyMiddleware",  # Django's, header built once
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

# URL name -> the poll's "nothing changed" check (sessions_app.live.UnchangedPoll).
UNCHANGED_POLLS = {
    "mechanic_dashboard_pulse": "sessions_app.live.PULSE_UNCHANGED",
    "mechanic_banner": "mechanics.banner.BANNER_UNCHANGED",
    "customer_banner": "customers.selectors.BANNER_UNCHANGED",
}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "autodoctor.urls"
WSGI_APPLICATION = "autodoctor.wsgi.application"
ASGI_APPLICATION = "autodoctor.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "autodoctor.context_processors.roles",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Under ASGI (autodoctor/asgi.py sets this) connections are not kept: every request closes its
# own, and the long-lived event streams hold none.
DB_CONN_MAX_AGE = 0 if env_bool("AUTODOCTOR_ASGI", False) else 600
if DATABASE_URL:
    # Persistent connections. The health check costs a `SELECT 1` per request on a reused
    # connection; it saves the first request after a database restart from failing.
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=DB_CONN_MAX_AGE,
            conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", True),
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "CONN_MAX_AGE": DB_CONN_MAX_AGE,
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes concurrent writers wait for the lock instead of failing on upgrade;
    # select_for_update is a no-op on SQLite, so this is what serialises our transitions.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("SQLITE_TEST_PATH") or None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/after-login/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("PLAIN_STATIC", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded attachments live outside the static root, served only through a view that
# checks who is asking.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media")))
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# A whole request: five attachments at their limit and the form around them. Larger bodies are
# refused from their Content-Length before a byte is read (autodoctor/limits.py).
MAX_REQUEST_BYTES = 5 * MAX_UPLOAD_BYTES + 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_HANDLERS = [
    "autodoctor.limits.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email ----------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
if os.environ.get("EMAIL_URL"):
    from urllib.parse import unquote, urlparse

    _mail = urlparse(os.environ["EMAIL_URL"])
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "localhost"
    EMAIL_PORT = _mail.port or 25
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_TLS = _mail.scheme in {"smtp+tls", "submission"}
    EMAIL_USE_SSL = _mail.scheme == "smtps"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Auto Doctor <noreply@autodoctor.local>")

# --- Stripe ---------------------------------------------------------------------------
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")

# --- Background jobs (django-q2) --------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
Q_CLUSTER: dict = {
    "name": "autodoctor",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": 60,
    "retry": 120,
    "catch_up": False,
    "max_attempts": 3,
    "sync": env_bool("Q_SYNC", False),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Login throttling (django-axes) ------------------------------------------------------
AXES_FAILURE_LIMIT = 100
AXES_COOLOFF_TIME = 1  # hours
# Username and client address together: a stranger guessing a mechanic's password locks only
# themselves out, never the mechanic (who signs in from another address). Staff unlock from
# admin (Axes › Access attempts: delete the row).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Behind a load balancer, the client address is the last X-Forwarded-For hop it added:
# TRUSTED_PROXY_COUNT=1 (0, the default, uses REMOTE_ADDR and ignores the header).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# A success does not wipe the count: at most 100 failures per account per hour, whoever signs in.
AXES_RESET_ON_SUCCESS = False
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# --- Content-Security-Policy (Django's own) ---------------------------------------------------
# Scripts only from our origin or with this response's nonce: no inline script, no eval'd
# attribute (htmx's hx-on and js: values are not used). Style attributes stay allowed (the staff
# charts size their bars with them; nothing executes from a style attribute). Media and the call
# pages: camera/microphone streams and snapshots are blob:, signalling and streams same-origin.
# No form-action: the waiver's post redirects to Stripe Checkout, whose origin is Stripe's.
CONTENT_SECURITY_POLICY = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF, "blob:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# CSP_REPORT_ONLY=true sends it as Content-Security-Policy-Report-Only (to list what would break
# before enforcing, e.g. after adding a page); enforced otherwise.
if env_bool("CSP_REPORT_ONLY", False):
    SECURE_CSP_REPORT_ONLY = CONTENT_SECURITY_POLICY
else:
    SECURE_CSP = CONTENT_SECURITY_POLICY

# --- Per-user rate limits (counted from the user's own rows; autodoctor/ratelimit.py) ------
INTAKES_PER_HOUR = int(os.environ.get("INTAKES_PER_HOUR", "10"))
ATTACHMENTS_PER_HOUR = int(os.environ.get("ATTACHMENTS_PER_HOUR", "20"))
MESSAGES_PER_MINUTE = int(os.environ.get("MESSAGES_PER_MINUTE", "30"))
# Attachments of intakes never sent (no waiver signed) are deleted after this many hours.
ABANDONED_INTAKE_HOURS = 24

# --- Video calls (issue 11; calls/) ----------------------------------------------------------
# ICE_SERVERS: a JSON list of RTCIceServer ({"urls": ..., "username"?, "credential"?}); the
# default [] means host candidates only, which works on one machine or a LAN. With TURN_SECRET
# (coturn's static-auth-secret) and TURN_URLS (comma-separated, e.g. "turn:turn.example.com:3478")
# each participant gets TURN credentials of their own, valid TURN_TTL_SECONDS. ICE_TRANSPORT_POLICY
# "relay" makes the pages use TURN only (the tests prove the relay path with it).
try:
    ICE_SERVERS = json.loads(os.environ.get("ICE_SERVERS") or "[]")
except ValueError as exc:
    raise ImproperlyConfigured(f"ICE_SERVERS must be a JSON list of RTCIceServer objects: {exc}") from exc
if not isinstance(ICE_SERVERS, list) or not all(isinstance(s, dict) and "urls" in s for s in ICE_SERVERS):
    raise ImproperlyConfigured(
        'ICE_SERVERS must be a JSON list like [{"urls": "stun:stun.example.com:3478"}].'
    )
TURN_SECRET = os.environ.get("TURN_SECRET", "")
TURN_URLS = [u.strip() for u in os.environ.get("TURN_URLS", "").split(",") if u.strip()]
TURN_TTL_SECONDS = int(os.environ.get("TURN_TTL_SECONDS", str(6 * 3600)))
ICE_TRANSPORT_POLICY = os.environ.get("ICE_TRANSPORT_POLICY", "all")
if ICE_TRANSPORT_POLICY not in ("all", "relay"):
    raise ImproperlyConfigured('ICE_TRANSPORT_POLICY is "all" or "relay".')

# --- Sessions domain --------------------------------------------------------------------
EXPIRE_AFTER_MINUTES = 120
IDLE_WAITING_MINUTES = 30
# issue 14 (reach): remind the mechanic of an accepted, unstarted session after this long (once)
REMIND_WAITING_MINUTES = 20
PROMOTE_BEFORE_MINUTES = 15
# issue 14 (reach): at most one request email per mechanic per this many minutes (batched)
QUEUE_EMAIL_EVERY_MINUTES = 5
# Where links in emails sent by the scheduled jobs point (no request to read the host from).
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")
# --- route (issue 14): expertise routing --------------------------------------------------
# A new request is offered first, for this many seconds, only to available mechanics whose
# expertise matches it; then it opens to everyone. 0 turns the window off.
FIRST_LOOK_SECONDS = max(0, int(os.environ.get("FIRST_LOOK_SECONDS", "60")))
WAIVER_VERSION = "2026-11"

# --- Ask before expiry (issue 14; sessions_app.services.waiting) ----------------------------
# A request nobody has taken ASK_BEFORE_EXPIRY_MINUTES after it joined the queue: the customer is
# asked (banner and email) to keep waiting or cancel; keeping waiting moves its expiry, once, by
# KEEP_WAITING_MINUTES. Its email's link points at SITE_URL (above).
ASK_BEFORE_EXPIRY_MINUTES = 90
KEEP_WAITING_MINUTES = 60
WAIT_LINK_MAX_AGE_HOURS = 24
# --- Transfers to a colleague (issue 14) ---------------------------------------------------
# An offer nobody answers in this many minutes falls back to the offering mechanic.
TRANSFER_OFFER_MINUTES = int(os.environ.get("TRANSFER_OFFER_MINUTES", "5"))

# --- Security (production) ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # diagnostics' PDF: WeasyPrint narrates every step at INFO
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
    },
}
