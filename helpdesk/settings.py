"""Firstline settings: one module, driven by environment variables.

With no variables set this is a development setup (DEBUG on, SQLite under
var/, console email). Production is declared with DJANGO_DEBUG=0 and then
refuses to start without a real SECRET_KEY and ALLOWED_HOSTS. Every variable
read here is listed in .env.example.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FIRSTLINE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=()):
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or list(default)


DEBUG = env_bool("DJANGO_DEBUG", True)

_DEV_SECRET = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = _DEV_SECRET

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # modeltranslation must come before django.contrib.admin
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_q",
    "comms",
    "knowledge",
    "helpdesk",
    "incidents",
    "feedback",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "helpdesk.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "helpdesk.context_processors.portal",
                "incidents.context_processors.incidents",
                "incidents.journey.context_processors.journey",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        options = DATABASES["default"].setdefault("OPTIONS", {})
        # Plain cursors: a server-side cursor costs three round trips for a small
        # result, and does not survive a transaction-pooling proxy.
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        pool_max = int(os.environ.get("DB_POOL_MAX", "10"))
        if pool_max:
            # psycopg 3 connection pool; persistent connections must stay off with it.
            options["pool"] = {"min_size": int(os.environ.get("DB_POOL_MIN", "1")), "max_size": pool_max}
            if env_bool("DB_PREPARE", True):
                # The pool keeps its connections, so a statement run twice on one is
                # prepared there and later runs skip planning, which is most of the time
                # of the queue and ticket queries (1 ms down to 0.3 ms). Prepared
                # statements need server-side binding; both stay off without the pool.
                options["server_side_binding"] = True
                options["prepare_threshold"] = 2
        else:
            # No pool (e.g. behind PgBouncer): keep each process's connection instead.
            DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
            DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "firstline.sqlite3",
            "OPTIONS": {
                # The web process and the worker share one file: WAL lets readers
                # proceed during a write, IMMEDIATE takes the write lock up front so
                # two writers queue on the busy timeout instead of deadlocking.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": ("PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"),
            },
            # Each process keeps its connection, as on PostgreSQL without a pool. At 0, every
            # wake-up task a request queues through django-q's ORM broker closes the connection
            # (the broker drops connections past their age before each enqueue) and the next
            # query reopens it: a quarter of the time of creating a ticket went there.
            "CONN_MAX_AGE": int(os.environ.get("CONN_MAX_AGE", "60")),
            "CONN_HEALTH_CHECKS": True,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "helpdesk.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sign in with the username or the email address (self-service accounts use their address).
AUTHENTICATION_BACKENDS = ["helpdesk.backends.EmailOrUsernameBackend"]

# --- customer accounts: sign-up, confirmation, password reset ------------------------
# How long the link that confirms a new account works, and Django's reset link (seconds).
FIRSTLINE_ACTIVATION_MAX_AGE = int(os.environ.get("ACTIVATION_MAX_AGE", 2 * 24 * 3600))
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", 24 * 3600))
# Attempts allowed (0: no limit) per window in seconds, counted in the cache: sign-up and
# password reset per client address and hour, the ticket API per API client and minute.
FIRSTLINE_RATE_LIMITS = {
    "signup": (int(os.environ.get("SIGNUP_RATE_LIMIT", "10")), 3600),
    "password-reset": (int(os.environ.get("PASSWORD_RESET_RATE_LIMIT", "10")), 3600),
    "ticket-api": (int(os.environ.get("TICKET_API_RATE_LIMIT", "120")), 60),
}
# Behind a proxy every request comes from the proxy's address: name the request
# header it sets to the client's (e.g. HTTP_X_REAL_IP, or HTTP_X_FORWARDED_FOR, of
# which the last entry is read, the one our own proxy added). Empty: REMOTE_ADDR.
FIRSTLINE_CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "")

# --- language and time --------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("fr", _("French")),
    ("de", _("German")),
    ("zh-hans", _("Chinese (simplified)")),
    ("ja", _("Japanese")),
    ("pt", _("Portuguese")),
]
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
# modeltranslation's admin tabs need jQuery UI; served from our static files, never a CDN.
JQUERY_UI_URL = "vendor/jquery-ui/jquery-ui.min.js"
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static and uploaded files ---------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
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
# Attachments are private: they live outside any public URL and are served only
# through an access-checked view (helpdesk.views.attachment_download).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "private"))
# No URL pattern serves this prefix; it exists only because Django's tools expect one.
MEDIA_URL = "/private-files/"
FIRSTLINE_ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))
FIRSTLINE_ATTACHMENT_MAX_FILES = 5
FIRSTLINE_ATTACHMENT_TYPES = {
    # extension: the content type the file is served with
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".log": "text/plain",
    ".csv": "text/csv",
    ".json": "application/json",
    ".zip": "application/zip",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- email -------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Firstline Support <support@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = 20
else:
    # Nothing leaves the machine: each email is written as a file under var/mail/.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
FIRSTLINE_SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- inbound email ---------------------------------------------------------------------
# Received emails are stored whole (comms.InboundEmail) before they are processed;
# bigger ones are refused (HTTP 413) or, from IMAP, kept as headers only and marked failed.
FIRSTLINE_INBOUND_MAX_BYTES = int(os.environ.get("INBOUND_EMAIL_MAX_BYTES", 25 * 1024 * 1024))
# Mail from an address no user has: "hold" it for an admin, "create" a customer in the
# organization whose email domains match (held when none does), or "reject" (ignore) it.
FIRSTLINE_INBOUND_UNKNOWN_SENDERS = os.environ.get("INBOUND_UNKNOWN_SENDERS", "hold").strip().lower()
if FIRSTLINE_INBOUND_UNKNOWN_SENDERS not in {"hold", "create", "reject"}:
    raise ImproperlyConfigured("INBOUND_UNKNOWN_SENDERS must be hold, create or reject.")
# Bearer token a mail relay sends to POST /inbound/email/; the endpoint answers 404 while unset.
INBOUND_EMAIL_TOKEN = os.environ.get("INBOUND_EMAIL_TOKEN", "")
if INBOUND_EMAIL_TOKEN and len(INBOUND_EMAIL_TOKEN) < 32 and not DEBUG:
    raise ImproperlyConfigured("INBOUND_EMAIL_TOKEN must be at least 32 characters long.")
# A mailbox polled every minute by `fetch_mail` when IMAP_HOST is set.
IMAP_HOST = os.environ.get("IMAP_HOST", "")
IMAP_SSL = env_bool("IMAP_SSL", True)
IMAP_PORT = int(os.environ.get("IMAP_PORT") or (993 if IMAP_SSL else 143))
IMAP_USER = os.environ.get("IMAP_USER", "")
IMAP_PASSWORD = os.environ.get("IMAP_PASSWORD", "")
IMAP_FOLDER = os.environ.get("IMAP_FOLDER", "INBOX")
# --- outbound channels (comms) ------------------------------------------------------------
# Which class delivers each channel (see comms/channels.py); replace one to use another provider.
FIRSTLINE_CHANNEL_BACKENDS = {
    "email": "comms.channels.EmailSender",
    "sms": "comms.channels.HttpJsonSender",
    "push": "comms.channels.HttpJsonSender",
    "portal": "comms.channels.PortalInboxSender",
    "chat": "comms.channels.ChatWebhookSender",
}
# HTTP JSON providers. With no URL, each request is appended to FIRSTLINE_CHANNEL_FILE_DIR/<channel>.jsonl.
FIRSTLINE_HTTP_CHANNELS = {
    "sms": {
        "url": os.environ.get("SMS_API_URL", ""),
        "token": os.environ.get("SMS_API_TOKEN", ""),
        "timeout": float(os.environ.get("SMS_API_TIMEOUT", "10")),
    },
    "push": {
        "url": os.environ.get("PUSH_API_URL", ""),
        "token": os.environ.get("PUSH_API_TOKEN", ""),
        "timeout": float(os.environ.get("PUSH_API_TIMEOUT", "10")),
    },
    "chat": {
        "url": os.environ.get("CHAT_WEBHOOK_URL", ""),
        "token": "",
        "timeout": float(os.environ.get("CHAT_WEBHOOK_TIMEOUT", "10")),
    },
}
FIRSTLINE_CHANNEL_FILE_DIR = VAR_DIR / "outbox"
# Longer bodies are cut with a visible marker when queued; SMS and push texts are cut at this many characters.
FIRSTLINE_OUTBOX_MAX_BODY_BYTES = int(os.environ.get("OUTBOX_MAX_BODY_BYTES", 100 * 1024))
FIRSTLINE_SMS_MAX_CHARS = int(os.environ.get("SMS_MAX_CHARS", "320"))

# --- background work -------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
Q_CLUSTER = {
    "name": "firstline",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    # A task may run for 60 s; one not acknowledged after 90 s is handed out again.
    # Every task is idempotent, so a second delivery changes nothing.
    "timeout": 60,
    "retry": 90,
    "max_attempts": 3,
    "queue_limit": 50,
    "bulk": 10,
    "catch_up": False,
    "save_limit": 500,
    "label": "Tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 1
if env_bool("Q_SYNC", False):
    Q_CLUSTER["sync"] = True

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- security (production) ----------------------------------------------------------------
# With a shared cache (Redis), sessions are read from it and written through to
# the database: one round trip less on every page. A per-process memory cache
# would keep a signed-out session alive in the other processes, so not then.
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the body attribute, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Agent queue: rows per page and the auto-refresh period (seconds).
FIRSTLINE_PAGE_SIZE = 25
FIRSTLINE_QUEUE_REFRESH_SECONDS = int(os.environ.get("QUEUE_REFRESH_SECONDS", "10"))
# How long the queue counts shared by all agents may be reused (0 turns it off);
# ticket services clear them at once on every change.
FIRSTLINE_QUEUE_COUNT_CACHE_SECONDS = int(os.environ.get("QUEUE_COUNT_CACHE_SECONDS", "10"))
FIRSTLINE_REF_PREFIX = "FL"
# Macros: how long an agent may undo one (its reply is held meanwhile), and how
# long the worker's wake-up task may wait for a held reply instead of leaving
# it to the minutely sweep (kept below the task timeout above).
FIRSTLINE_UNDO_SECONDS = int(os.environ.get("UNDO_SECONDS", "10"))
FIRSTLINE_HOLD_WAKE_SECONDS = min(int(os.environ.get("HOLD_WAKE_SECONDS", "30")), 45)
# Members of this group receive incident executive summaries; while it is empty, every manager does.
FIRSTLINE_EXECUTIVE_GROUP = "executives"

# Triage and routing (helpdesk.triage). The classifier sets a ticket's category
# and priority only at or above this confidence; below it, it only suggests.
FIRSTLINE_TRIAGE_CONFIDENCE = float(os.environ.get("TRIAGE_CONFIDENCE", "0.6"))
# Tiers whose tickets are flagged VIP (an organization can also be marked VIP itself).
FIRSTLINE_TRIAGE_VIP_TIERS = [
    name.strip() for name in os.environ.get("TRIAGE_VIP_TIERS", "Enterprise").split(",") if name.strip()
]
# A requester's nth ticket within so many days is a repeat contact.
FIRSTLINE_TRIAGE_REPEAT_COUNT = int(os.environ.get("TRIAGE_REPEAT_COUNT", "3"))
FIRSTLINE_TRIAGE_REPEAT_DAYS = int(os.environ.get("TRIAGE_REPEAT_DAYS", "7"))
# Frustration signals (angry phrases, shouting, "!!!", "again") a ticket needs to be flagged.
FIRSTLINE_TRIAGE_FRUSTRATION_SIGNALS = int(os.environ.get("TRIAGE_FRUSTRATION_SIGNALS", "2"))
# Complexity (simple / moderate / complex) adds up signs of work in a new ticket: a message of
# TRIAGE_LONG_WORDS words (twice that counts double), three or more questions, attachments,
# technical terms, pasted error output. At MODERATE_SCORE it is moderate, at COMPLEX_SCORE complex.
FIRSTLINE_TRIAGE_LONG_WORDS = int(os.environ.get("TRIAGE_LONG_WORDS", "150"))
FIRSTLINE_TRIAGE_MODERATE_SCORE = int(os.environ.get("TRIAGE_MODERATE_SCORE", "2"))
FIRSTLINE_TRIAGE_COMPLEX_SCORE = int(os.environ.get("TRIAGE_COMPLEX_SCORE", "4"))
# Complex tickets are assigned to agents at this support level or above (seed 001: L2 takes
# complex technical issues); 0 leaves complexity out of routing.
FIRSTLINE_TRIAGE_COMPLEX_LEVEL = int(os.environ.get("TRIAGE_COMPLEX_LEVEL", "2"))
# A ticket whose assignee has been away this long goes back to its queue.
FIRSTLINE_TRIAGE_AWAY_RELEASE_MINUTES = int(os.environ.get("TRIAGE_AWAY_RELEASE_MINUTES", "30"))
# Resolved tickets with a category needed before the classifier is trained.
FIRSTLINE_TRIAGE_MIN_TRAINING = int(os.environ.get("TRIAGE_MIN_TRAINING", "30"))
# How long a process reuses the triage rules, routes and model before reading them again.
FIRSTLINE_TRIAGE_CACHE_SECONDS = int(os.environ.get("TRIAGE_CACHE_SECONDS", "30"))
# Proactive journey signals (incidents/journey).
# Signals of one customer arriving within this many minutes become one message (critical ones go at once).
FIRSTLINE_SIGNAL_MERGE_MINUTES = int(os.environ.get("SIGNAL_MERGE_MINUTES", "10"))
# POST /api/signals/: the largest request body, and the largest `data` object of one event.
FIRSTLINE_SIGNAL_MAX_BODY_BYTES = int(os.environ.get("SIGNAL_MAX_BODY_BYTES", 256 * 1024))
FIRSTLINE_SIGNAL_MAX_DATA_BYTES = int(os.environ.get("SIGNAL_MAX_DATA_BYTES", 8 * 1024))
FIRSTLINE_SIGNAL_MAX_BATCH = 100
# Three or more customers with one signal inside this many hours raise one systemic alert.
FIRSTLINE_SIGNAL_SYSTEMIC_HOURS = int(os.environ.get("SIGNAL_SYSTEMIC_HOURS", "24"))
FIRSTLINE_SIGNAL_SYSTEMIC_MIN_CUSTOMERS = 3
# POST /api/tickets/: the largest request body (the description may be up to 20 000 characters).
FIRSTLINE_TICKET_API_MAX_BODY_BYTES = int(os.environ.get("TICKET_API_MAX_BODY_BYTES", 128 * 1024))
# An Idempotency-Key is honoured this many days; a daily sweep then forgets the request (the ticket stays).
FIRSTLINE_TICKET_API_KEEP_DAYS = int(os.environ.get("TICKET_API_KEEP_DAYS", "30"))
