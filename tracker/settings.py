"""Settings for the Commitments Tracker: one module, every deployment choice read from the environment.

Local defaults (SQLite file, local-memory cache, DEBUG on) need no configuration at all.
``DJANGO_ENV=production`` switches on the secure defaults and refuses to start without a real
SECRET_KEY and ALLOWED_HOSTS; see docs/operations.md.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

BASE_DIR = Path(__file__).resolve().parent.parent



class _Env(environ.Env):
    """django-environ, but a value it cannot read (``PROXY_COUNT=abc``) is a one-line configuration
    error naming the variable, not a bare ``ValueError`` traceback."""

    BOOLEANS = frozenset({"1", "0", "true", "false", "yes", "no", "on", "off"})

    def get_value(self, var, *args, **kwargs):
        raw = self.ENVIRON.get(var)
        if kwargs.get("cast") is bool and raw is not None and raw.strip().lower() not in self.BOOLEANS:
            raise ImproperlyConfigured(f"{var}={raw!r} is not a valid value (use 1 or 0).")  # "ture" is not False
        try:
            return super().get_value(var, *args, **kwargs)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{var}={raw!r} is not a valid value ({exc}).") from exc


env = _Env()

# Fail closed: a misspelt DJANGO_ENV ("Production", "prod") must not quietly run development mode
# (DEBUG on, the public local key, no HTTPS). Each refusal below is one line, which manage.py
# prints without a traceback (gunicorn refuses to start too, with its own traceback).
DJANGO_ENVIRONMENTS = ("development", "production")
DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in DJANGO_ENVIRONMENTS:
    raise ImproperlyConfigured(
        f"DJANGO_ENV={DJANGO_ENV!r} is not allowed: use one of {', '.join(DJANGO_ENVIRONMENTS)} (lower case)."
    )
PRODUCTION = DJANGO_ENV == "production"
# A production SECRET_KEY must look random: long, and with many distinct characters ('abcde' * 12 is
# 60 characters but guessable). secrets.token_urlsafe(64) gives about 50 distinct characters.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_DISTINCT = 20
LOCAL_SECRET_KEY = "django-insecure-local-only-set-SECRET_KEY-in-production"  # noqa: S105 - refused in production

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str("SECRET_KEY", default=LOCAL_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])

if PRODUCTION:
    if (
        SECRET_KEY == LOCAL_SECRET_KEY
        or len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
        or len(set(SECRET_KEY)) < SECRET_KEY_MIN_DISTINCT
    ):
        raise ImproperlyConfigured(
            f"DJANGO_ENV=production needs SECRET_KEY: a random value of {SECRET_KEY_MIN_LENGTH} or more characters "
            f"with at least {SECRET_KEY_MIN_DISTINCT} different ones (secrets.token_urlsafe(64))."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ENV=production needs ALLOWED_HOSTS: the site's host names, comma-separated.")
    if any("*" in host for host in ALLOWED_HOSTS):
        raise ImproperlyConfigured(
            "DJANGO_ENV=production refuses a wildcard in ALLOWED_HOSTS: list the site's host names exactly."
        )
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_ENV=production refuses DEBUG=1: it would show tracebacks and settings.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_filters",
    "simple_history",
    "axes",
    "csp",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our static files (the CSP allows no other)
    "commitments",
]

MIDDLEWARE = [
    "commitments.middleware.RequestIdMiddleware",
    "commitments.middleware.ResponseHeadersMiddleware",  # outside sessions and auth: sees their cookies
    "commitments.middleware.PublicGZipMiddleware",  # inside the headers: Cache-Control sees the cookies it reads
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",  # before CommonMiddleware, as django-cors-headers asks; /api/ only
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "commitments.locale_middleware.PathLocaleMiddleware",  # LocaleMiddleware: after sessions, before CommonMiddleware
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "commitments.middleware.AdminCSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out accounts and addresses
    "django.contrib.auth.backends.ModelBackend",
]

# --- security -----------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
if PRODUCTION or env.bool("BEHIND_TLS_PROXY", default=False):
    # The TLS-terminating proxy must set (and never pass through) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy: strict on public pages (no inline scripts or styles at all);
# AdminCSPMiddleware relaxes style-src for the admin, whose widgets use inline styles.
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

# Trusted reverse proxies in front of the app (nginx: 1). With N, the client address is the N-th
# from the right of X-Forwarded-For; with 0 the header is ignored, since a client can forge it.
# commitments.client_ip reads it for the sign-in lockout, the log and any rate limit.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
if PROXY_COUNT < 0:
    raise ImproperlyConfigured("PROXY_COUNT must be 0 (no proxy) or the number of trusted proxies in front of the app.")

# Login throttling (django-axes): after 5 failures for one account from one client address, that
# pair is locked for 15 minutes; a success resets the count. Locking the account alone would let
# anyone lock the staff out; locking the address alone, behind a proxy or an office NAT, everyone.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "commitments.client_ip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"

ROOT_URLCONF = "tracker.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # The status-scale filters are used on nearly every page and partial.
            "builtins": ["commitments.templatetags.tracker"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "commitments.context_processors.synthetic_data",
                "commitments.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "tracker.wsgi.application"

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: a new PostgreSQL connection per request cost its start-up and cold catalog
# caches on every page (a commitment page at 100k: 18 ms, 9 ms on a kept connection; the benchmark's
# test client always keeps it, so production now matches it). Checked before reuse, so a dropped
# connection is replaced, not served as an error. DATABASE_URL's ?conn_max_age= wins; 0 turns it off.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})
if "postgresql" in DATABASES["default"]["ENGINE"]:
    # JIT compilation pays off for long analytical queries; for a page's short ones its start-up
    # cost was 10% of the filtered list at 100k commitments. Off unless DATABASE_URL's options say.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.setdefault("options", "-c jit=off")
elif "sqlite" in DATABASES["default"]["ENGINE"]:
    # Two staff saving at once: a transaction that reads first and writes later cannot upgrade its
    # lock while another writes (SQLite answers "database is locked" at once, without waiting), so
    # every transaction takes the write lock when it begins and the second one waits its turn, then
    # sees the first one's save (the admin's edit-conflict message, not a 500). WAL lets readers go on
    # while one writes; synchronous=NORMAL is safe with WAL (a power cut may lose only the last commit).
    # In-memory test databases ignore journal_mode. DATABASE_URL's options win.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.setdefault("transaction_mode", "IMMEDIATE")
    options.setdefault("timeout", env.float("SQLITE_TIMEOUT_SECONDS", default=20.0))
    options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The site's languages: English (the default, at the unprefixed URLs) and Russian (under /ru/). Adding one of the
# region's languages takes a line here, a .po file under locale/ and `makemigrations` (its content columns,
# commitments/languages.py).
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]

TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Uploaded evidence documents: the largest accepted, in MB (commitments/uploads.py checks types and
# size). Django's defaults for the rest are kept: an upload over 2.5 MB is streamed to a temporary
# file rather than held in memory, and DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) caps the form fields
# other than files. The proxy's body limit (client_max_body_size) should be a little above this.
MAX_UPLOAD_MB = env.int("MAX_UPLOAD_MB", default=20)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 default, adopted now

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "commitments.middleware.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s %(client_ip)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # PDF rendering libraries are chatty at INFO.
    "loggers": {name: {"level": "WARNING"} for name in ("fontTools", "weasyprint", "axes")},
}
SIMPLE_HISTORY_REVERT_DISABLED = True  # reverting would bypass the publishing services
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True  # public reasons run to 300 characters; keep them whole
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")  # absolute links in PDFs made offline
# Where readers send corrections (/about/). Not an e-mail address: refused, as a misspelt value must not
# publish a dead contact.
CORRECTIONS_EMAIL = env.str("CORRECTIONS_EMAIL", default="corrections@example.org")
try:
    validate_email(CORRECTIONS_EMAIL)
except ValidationError:
    raise ImproperlyConfigured(f"CORRECTIONS_EMAIL={CORRECTIONS_EMAIL!r} is not an e-mail address.") from None
PUBLIC_PAGE_CACHE_SECONDS = env.int("PUBLIC_PAGE_CACHE_SECONDS", default=600)  # keyed by data version, so safe

# --- the public read API (/api/v1/, ``commitments/api``) ---------------------------------------
# Anonymous and read-only: no authentication (so no session or CSRF), JSON only (no browsable API: its
# pages need inline scripts the CSP refuses). Each client address (``client_ip``, as the sign-in lockout)
# may make API_RATE_LIMIT requests ("120/minute"; s, min, hour or day); empty: no limit.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="120/minute").strip()
if API_RATE_LIMIT:
    import re as _re

    if not _re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", API_RATE_LIMIT):
        raise ImproperlyConfigured(
            f"API_RATE_LIMIT={API_RATE_LIMIT!r} is not a rate: write requests/period, e.g. 120/minute "
            "(period: second, minute, hour or day), or leave it empty for no limit."
        )
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_THROTTLE_CLASSES": ["commitments.api.throttling.ClientAddressThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "commitments.api.errors.exception_handler",
    "UNICODE_JSON": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Commitments Tracker API",
    "DESCRIPTION": (
        "Read-only, anonymous access to the public record: commitments with their status in each country, "
        "status updates and withdrawals with their evidence, themes, countries, actors, sources and progress "
        "reports. The list filters are the list page's (the same names, values and validation). Lists are "
        "paged by cursor: follow `next` and `previous`. Responses carry an `ETag` (the public data version); "
        "send it back in `If-None-Match` for a 304. Each client address may make a limited number of "
        "requests (429 with `Retry-After` beyond it)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"StatusEnum": "commitments.status.Status", "PrecisionEnum": "commitments.dates.Precision"},
    "DISABLE_ERRORS_AND_WARNINGS": False,
}
# CORS: any origin may read the API from a browser (GET, HEAD and the preflight), nothing else, no cookies.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ("GET", "HEAD", "OPTIONS")
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ("ETag", "Retry-After", "X-Request-ID")
