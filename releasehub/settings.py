"""ReleaseHub settings: one file, every value overridable from the environment.

Defaults give a newcomer a working app with no server at all (SQLite under var/ and
kombu's filesystem broker); production sets DATABASE_URL, REDIS_URL and SECRET_KEY.
"""

import os
import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _read(name: str, cast, default):
    """Read one variable; a value that does not parse stops start-up naming the variable.

    An empty value counts as unset, so a copied .env.example changes nothing.
    """
    if os.environ.get(name, "").strip() == "":
        os.environ.pop(name, None)
    try:
        return cast(name, default=default)
    except (ValueError, TypeError, ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(f"Environment variable {name} has a bad value: {exc}") from exc


DEBUG = _read("DEBUG", env.bool, True)

SECRET_KEY = _read("SECRET_KEY", env.str, "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters with 5 distinct ones.")

ALLOWED_HOSTS = _read("ALLOWED_HOSTS", env.list, ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = _read("CSRF_TRUSTED_ORIGINS", env.list, [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    # django-ninja: its templates and vendored Swagger UI assets for /api/v1/docs
    "ninja",
    "axes",
    "releasehub.accounts",
    "releasehub.catalog",
    "releasehub.audit",
    "releasehub.releases",
    "releasehub.schedule",
    "releasehub.notify",
    "releasehub.readiness",
    "releasehub.comms",
    "releasehub.flags",
    "releasehub.rollout",
    "releasehub.metrics",
    "releasehub.demo",
    "releasehub.pages",
    "releasehub.api",
    "releasehub.webhooks",
    "releasehub.feeds",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "releasehub.middleware.AlwaysNonceMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "releasehub.middleware.RefusalMiddleware",
    # /api/ only: Idempotency-Key on writes, ETags on reads (api/middleware.py)
    "releasehub.api.middleware.ApiMiddleware",
    # Turns a refused sign-in (accounts/signin.py) into the 429 page; innermost, as axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "releasehub.urls"
WSGI_APPLICATION = "releasehub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "releasehub.accounts.context_processors.roles",
                "releasehub.core.context_processors.live_poll",
            ],
        },
    },
]

DATABASES = {
    "default": _read("DATABASE_URL", env.db_url, f"sqlite:///{VAR_DIR / 'releasehub.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] not in {
    "django.db.backends.postgresql",
    "django.db.backends.sqlite3",
}:
    raise ImproperlyConfigured(
        "Environment variable DATABASE_URL must be postgres://… or sqlite:///…"
    )
# A web thread or worker process keeps its PostgreSQL connection for this many seconds instead
# of opening one per request (a few ms each, most of what a 204 poll costs); Django checks it is
# alive before reusing it. 0 closes it after every request.
DB_CONN_MAX_AGE = _read("DB_CONN_MAX_AGE", env.int, 60)
if DB_CONN_MAX_AGE < 0:
    raise ImproperlyConfigured("Environment variable DB_CONN_MAX_AGE must be 0 or more (seconds).")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].update(CONN_MAX_AGE=DB_CONN_MAX_AGE, CONN_HEALTH_CHECKS=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default keeps its files under var/, which a fresh clone does not have yet.
    VAR_DIR.mkdir(exist_ok=True)
    # WAL and a busy timeout let the web process, the worker and beat share one file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # A file, not Django's shared in-memory database: with that, the live server thread of the
    # browser tests and the test thread share one connection object, and SQLite refuses the
    # concurrent use ("bad parameter or other API misuse") when a page polls mid-test.
    # One file per process, so two test runs in one checkout do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test_releasehub_{os.getpid()}.sqlite3")}
# The role that owns the tables (docs/security.md, "Database roles"): `migrate` and `db_roles
# --apply` log in as it; everything else as DATABASE_URL's role, which owns nothing. Unset:
# one role for all (the embedded default, development).
DATABASE_OWNER: dict[str, str] | None = None
if _read("DATABASE_OWNER_URL", env.str, ""):
    _owner = _read("DATABASE_OWNER_URL", env.db_url, "")
    _same = ("ENGINE", "NAME", "HOST", "PORT")
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" or any(
        _owner.get(key) != DATABASES["default"].get(key) for key in _same
    ):
        raise ImproperlyConfigured(
            "Environment variable DATABASE_OWNER_URL must be postgres://… naming the same "
            "server and database as DATABASE_URL (only the role and password differ)."
        )
    DATABASE_OWNER = {"USER": _owner["USER"], "PASSWORD": _owner["PASSWORD"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "pages:dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Axes refuses a locked sign-in before the password is even checked (it must come first).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Sign-in limits (docs/operations.md "Sign-in limits"), counted by django-axes in the database,
# so every web process sees the same counts. An account is locked at one client address after
# SIGNIN_FAILURE_LIMIT failures there; the address as a whole only when its accounts' failures
# (each account counting at most SIGNIN_FAILURE_LIMIT) reach SIGNIN_ADDRESS_FAILURE_LIMIT, so
# one person's typos never lock out an office behind one address, but guessing across many
# accounts does. A lock lasts SIGNIN_COOLOFF_MINUTES after the last failed try, or until staff
# unlock it in the admin (Sign-in attempts).
SIGNIN_FAILURE_LIMIT = _read("SIGNIN_FAILURE_LIMIT", env.int, 5)
SIGNIN_ADDRESS_FAILURE_LIMIT = _read("SIGNIN_ADDRESS_FAILURE_LIMIT", env.int, 100)
SIGNIN_COOLOFF_MINUTES = _read("SIGNIN_COOLOFF_MINUTES", env.int, 15)
# Password reset requests per hour, per e-mail address typed and per client address.
PASSWORD_RESET_LIMIT_PER_EMAIL = _read("PASSWORD_RESET_LIMIT_PER_EMAIL", env.int, 3)
PASSWORD_RESET_LIMIT_PER_ADDRESS = _read("PASSWORD_RESET_LIMIT_PER_ADDRESS", env.int, 20)
# Reverse proxies in front of the web process that append the client to X-Forwarded-For. 0:
# clients connect directly and the header, which anyone can send, is ignored.
TRUSTED_PROXY_COUNT = _read("TRUSTED_PROXY_COUNT", env.int, 0)
for _name in (
    "SIGNIN_FAILURE_LIMIT",
    "SIGNIN_ADDRESS_FAILURE_LIMIT",
    "SIGNIN_COOLOFF_MINUTES",
    "PASSWORD_RESET_LIMIT_PER_EMAIL",
    "PASSWORD_RESET_LIMIT_PER_ADDRESS",
):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"Environment variable {_name} must be at least 1.")
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("Environment variable TRUSTED_PROXY_COUNT must be 0 or more.")
AXES_HANDLER = "releasehub.accounts.signin.SignInHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # the address alone: SignInHandler
AXES_FAILURE_LIMIT = SIGNIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = SIGNIN_COOLOFF_MINUTES / 60  # hours, as axes reads a float
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner at every start; failures are still logged (WARNING)
AXES_CLIENT_IP_CALLABLE = "releasehub.accounts.signin.client_ip"
AXES_USERNAME_CALLABLE = "releasehub.accounts.signin.client_username"
AXES_LOCKOUT_CALLABLE = "releasehub.accounts.signin.lockout_response"
# A reset link works once, and not for long: its token sits in the outbox row until it is sent.
PASSWORD_RESET_TIMEOUT = 2 * 3600

# A session ends after SESSION_IDLE_HOURS without a request (accounts/sessions.py), and on a
# password change everywhere but where it was changed (Django's session hash).
SESSION_IDLE_HOURS = _read("SESSION_IDLE_HOURS", env.float, 12.0)
if SESSION_IDLE_HOURS <= 0:
    raise ImproperlyConfigured("Environment variable SESSION_IDLE_HOURS must be more than 0.")
SESSION_COOKIE_AGE = round(SESSION_IDLE_HOURS * 3600)
# With a cache every web process shares (Redis: CACHE_URL, else REDIS_URL), a request reads its
# session from the cache and the database row is written only when it changes or is extended.
# Without one the rows are read every time: a per-process cache would keep a session that a
# logout in another process ended.
_cache_from = "CACHE_URL" if _read("CACHE_URL", env.str, "") else "REDIS_URL"
CACHE_URL = _read(_cache_from, env.str, "")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(f"Environment variable {_cache_from} must start with redis://")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "releasehub",
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
SESSION_ENGINE = (
    "releasehub.accounts.cached_sessions" if CACHE_URL else "releasehub.accounts.sessions"
)

# The API (docs/api.md): requests per token and period, e.g. 600/min, 20/s, 10000/hour.
API_RATE_LIMIT = _read("API_RATE_LIMIT", env.str, "600/min")
if not re.fullmatch(r"\d+/\d*(s|sec|m|min|h|hour|d|day)", API_RATE_LIMIT):
    raise ImproperlyConfigured("Environment variable API_RATE_LIMIT must look like 600/min.")

LANGUAGE_CODE = "en-gb"
# Times are stored in UTC and shown in IST, the release train's time zone (no DST).
TIME_ZONE = "Asia/Kolkata"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
# `collectstatic` fills it; with DEBUG off the web process refuses to start until it has
# (releasehub/startup.py), since every page would otherwise answer 500.
STATIC_ROOT = _read("STATIC_ROOT", env.path, VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# E-mail: console in development, anything EMAIL_URL names in production (smtp+tls://user:pw@host:587).
_email = _read("EMAIL_URL", env.email_url, "consolemail://" if DEBUG else "smtp://localhost:25")
_EMAIL_OPTIONS = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
    "EMAIL_FILE_PATH": "file_path",
}
# A mail server or chat webhook that accepts and never answers must not hold a worker.
EMAIL_TIMEOUT_SECONDS = _read("EMAIL_TIMEOUT_SECONDS", env.float, 10.0)
WEBHOOK_TIMEOUT_SECONDS = _read("WEBHOOK_TIMEOUT_SECONDS", env.float, 10.0)
# Chat webhooks may only reach the chat providers, never inside the network (docs/operations.md,
# "Chat webhooks"): https to these hosts (`*.domain`: its subdomains), checked when staff save an
# audience and again at delivery, where the host's addresses must all be public.
WEBHOOK_ALLOWED_HOSTS = _read(
    "WEBHOOK_ALLOWED_HOSTS",
    env.list,
    [
        "hooks.slack.com",
        "*.webhook.office.com",
        "outlook.office.com",
        "chat.googleapis.com",
        "discord.com",
    ],
)
if _bad_hosts := [
    h for h in WEBHOOK_ALLOWED_HOSTS if not re.fullmatch(r"(\*\.)?[\w-]+(\.[\w-]+)*", h)
]:
    raise ImproperlyConfigured(
        f"Environment variable WEBHOOK_ALLOWED_HOSTS has a bad value: {', '.join(_bad_hosts)} "
        "(host names, or *.domain for every subdomain of domain)"
    )
# Development only: plain http, and (for a fake chat server on this machine) loopback addresses.
WEBHOOK_ALLOW_HTTP = _read("WEBHOOK_ALLOW_HTTP", env.bool, False)
WEBHOOK_ALLOW_LOOPBACK = _read("WEBHOOK_ALLOW_LOOPBACK", env.bool, False)
# Outgoing webhooks (docs/integrations.md): an endpoint is disabled, and staff are e-mailed,
# after this many failed attempts in a row (any of its deliveries; a success resets the count).
WEBHOOK_DISABLE_AFTER = _read("WEBHOOK_DISABLE_AFTER", env.int, 10)
if WEBHOOK_DISABLE_AFTER < 1:
    raise ImproperlyConfigured("Environment variable WEBHOOK_DISABLE_AFTER must be at least 1.")
# How long a message is retried (capped exponential backoff) before it is failed for SRE to retry.
DELIVERY_RETRY_HOURS = _read("DELIVERY_RETRY_HOURS", env.float, 24.0)
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {opt: _email[key] for key, opt in _EMAIL_OPTIONS.items() if _email.get(key)},
    }
}
if MAILERS["default"]["BACKEND"].endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"]["timeout"] = EMAIL_TIMEOUT_SECONDS
DEFAULT_FROM_EMAIL = _read("DEFAULT_FROM_EMAIL", env.str, "ReleaseHub <releasehub@localhost>")
# Links in e-mails point at the web process. honcho gives every process its own PORT (web N,
# worker N+100, beat N+200) and the worker sends the e-mails, so `make run` also passes the
# web's port to all three as WEB_PORT.
_web_port = _read("WEB_PORT", env.int, None) or _read("PORT", env.int, 8000)
SITE_URL = _read("SITE_URL", env.str, f"http://127.0.0.1:{_web_port}").rstrip("/")

# Security. The strict CSP is why htmx runs with allowEval false and there are no inline scripts.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie (the token is in hx-headers), kept default
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = _read("SECURE_SSL_REDIRECT", env.bool, True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^-/metrics$"]
    SECURE_HSTS_SECONDS = _read("SECURE_HSTS_SECONDS", env.int, 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# How often each live section polls, in seconds, while something on it is live and its tab is
# visible (static/js/app.js). LIVE_POLL_SECONDS=board=2,smoke=5 overrides some of them.
LIVE_POLL_SECONDS = {"board": 2, "go_no_go": 3, "smoke": 3, "timed_actions": 10, "dashboard": 20}
_poll = [p.partition("=") for p in _read("LIVE_POLL_SECONDS", env.list, [])]
if any(
    name not in LIVE_POLL_SECONDS or not value.strip().isdigit() or int(value) < 1
    for name, _, value in _poll
):
    raise ImproperlyConfigured(
        f"Environment variable LIVE_POLL_SECONDS has a bad value: the names are "
        f"{', '.join(LIVE_POLL_SECONDS)}, each given a whole number of seconds, at least 1 "
        "(for example board=5,smoke=7)"
    )
LIVE_POLL_SECONDS |= {name: int(value) for name, _, value in _poll}
# A poll finds "nothing new" (204, audit/live.py) only for a section rendered less than this
# many seconds ago, so what depends on the clock alone (overdue, a gate that opens at a time)
# is at most this stale.
LIVE_POLL_MAX_STALE = _read("LIVE_POLL_MAX_STALE", env.int, 60)
if LIVE_POLL_MAX_STALE < 1:
    raise ImproperlyConfigured("Environment variable LIVE_POLL_MAX_STALE must be at least 1.")
# What the release pages and the dashboard derive from a release's rows (the Go/No-Go and smoke
# panels, the dashboard's cards) is built once per version of the rows and shared through the
# cache by everyone reading them (audit/live.py `shared`) for at most this many seconds, and
# never longer than LIVE_POLL_MAX_STALE; 0 builds it for every read.
LIVE_SHARED_SECONDS = _read("LIVE_SHARED_SECONDS", env.int, LIVE_POLL_MAX_STALE)
if not 0 <= LIVE_SHARED_SECONDS <= LIVE_POLL_MAX_STALE:
    raise ImproperlyConfigured(
        "Environment variable LIVE_SHARED_SECONDS must be between 0 and LIVE_POLL_MAX_STALE."
    )
# The largest history file the metrics page accepts (bytes); the command has no limit.
HISTORY_IMPORT_MAX_BYTES = _read("HISTORY_IMPORT_MAX_BYTES", env.int, 5 * 1024 * 1024)
# How long each backend service is watched after its production promotion (runbook: 15).
MONITORING_WINDOW_MINUTES = _read("MONITORING_WINDOW_MINUTES", env.float, 15.0)
# Health gates (docs/health-gates.md): the Prometheus whose rules judge the monitoring windows
# and the watch. Empty: no gates, the SRE observes by hand as before.
PROMETHEUS_URL = _read("PROMETHEUS_URL", env.str, "")
if PROMETHEUS_URL and not PROMETHEUS_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("Environment variable PROMETHEUS_URL must start with http(s)://")
# Seconds one query may take; a slower Prometheus is "unreachable" and holds the gate.
PROMETHEUS_TIMEOUT = _read("PROMETHEUS_TIMEOUT", env.float, 3.0)

# Incoming webhooks (docs/integrations.md). A ticket key per squad slug, "*" for the others
# (JSON object of regular expressions, matched case-insensitively in titles and branch names).
WEBHOOK_TICKET_PATTERNS = _read("WEBHOOK_TICKET_PATTERNS", env.json, {"*": r"[A-Z][A-Z0-9]+-\d+"})
try:
    _ticket_patterns = {k: re.compile(v) for k, v in dict(WEBHOOK_TICKET_PATTERNS).items()}
except (TypeError, ValueError, re.error) as exc:
    raise ImproperlyConfigured(f"Environment variable WEBHOOK_TICKET_PATTERNS: {exc}") from exc
# Raw deliveries are kept for staff to debug, cut at this size, and purged after this many days.
WEBHOOK_DELIVERY_MAX_BYTES = _read("WEBHOOK_DELIVERY_MAX_BYTES", env.int, 64 * 1024)
WEBHOOK_DELIVERY_KEEP_DAYS = _read("WEBHOOK_DELIVERY_KEEP_DAYS", env.float, 14.0)
# Alertmanager posts to /webhooks/alertmanager/<token>/; empty turns the receiver off (404).
ALERTMANAGER_WEBHOOK_TOKEN = _read("ALERTMANAGER_WEBHOOK_TOKEN", env.str, "")
# The alert label that names a catalog service (its slug).
ALERT_SERVICE_LABEL = _read("ALERT_SERVICE_LABEL", env.str, "service")

# /healthz turns 503 "degraded" when a live timed action is this late, or when an outbox
# delivery has been failing this long (docs/operations.md).
HEALTH_OVERDUE_SECONDS = _read("HEALTH_OVERDUE_SECONDS", env.int, 60)
HEALTH_DELIVERY_FAILING_SECONDS = _read("HEALTH_DELIVERY_FAILING_SECONDS", env.int, 900)
# Who may scrape /-/metrics (addresses or CIDR networks, matched against REMOTE_ADDR); it has no
# login, so by default only loopback and private networks, where Prometheus runs.
METRICS_ALLOWED_IPS = _read(
    "METRICS_ALLOWED_IPS",
    env.list,
    ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
)

# Demo accounts share one documented password; it is refused when DEBUG is off.
DEMO_PASSWORD = "releasehub-demo"

# Celery. With no REDIS_URL the broker is kombu's filesystem transport under var/.
REDIS_URL = _read("REDIS_URL", env.str, "")
CELERY_BROKER_FOLDER = VAR_DIR / "broker"
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://")):
        raise ImproperlyConfigured("Environment variable REDIS_URL must start with redis://")
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "fsatomic://"  # kombu's filesystem transport, atomic writes (broker.py)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Two queues so that a slow mail server never delays a timed action: the Procfile's `worker`
# consumes `schedule` (and the default queue), its `mailer` only `notify`.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "schedule.*": {"queue": "schedule"},
    "notify.*": {"queue": "notify"},
    # Outgoing webhooks wait on other systems like mail does: the mailer's queue, not the engine's.
    "webhooks.deliver": {"queue": "notify"},
    "webhooks.recover": {"queue": "notify"},
}
# The one place periodic work is defined (beat). The timed-action engine adds its sweeps here.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Timed actions: claim due rows every second (the engine's lateness is about this period).
    # No `expires`: it is stamped by beat's clock and checked by the worker's, so a skewed worker
    # would drop every sweep. A backlog of sweeps costs one pass instead (services.sweep).
    "schedule-sweep": {"task": "schedule.sweep", "schedule": 1.0},
    # Return rows whose lease expired (killed worker, lost message); plan the quarterly review.
    "schedule-recover": {"task": "schedule.recover", "schedule": 5.0},
    # Re-enqueue outbox messages whose delivery task was lost. No `expires` either: a mailer
    # whose clock is ahead would drop them all, and a backlog of them finds nothing stale.
    "notify-recover": {"task": "notify.recover", "schedule": 30.0},
    # The same for outgoing webhook deliveries (webhooks/outgoing_delivery.py).
    "webhooks-recover": {"task": "webhooks.recover", "schedule": 30.0},
    # Trains keep their next four releases planned, also after a release completes.
    "train-fill": {"task": "releases.train_fill", "schedule": 3600.0, "options": {"expires": 600}},
    # Raw incoming webhook deliveries older than WEBHOOK_DELIVERY_KEEP_DAYS are deleted.
    "webhooks-purge": {"task": "webhooks.purge_deliveries", "schedule": 3600.0},
    # Idempotency-Key answers are replayed for 24 hours; older ones are deleted.
    "api-idempotency-purge": {"task": "api.purge_idempotency", "schedule": 3600.0},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _read("LOG_LEVEL", env.str, "INFO")},
    # axes logs every sign-in at INFO; its failures and locks are WARNING.
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
