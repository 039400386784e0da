"""The one settings module: every deployment difference comes from the environment."""

import base64
import datetime as dt
import hashlib
import os
import re
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from gridmgmt import map_tiles

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# Local runs (`make run`, `make test`) work with no configuration at all; a deployment turns DEBUG off
# and must then give its own secrets, so nothing insecure can reach production by omission.
DEBUG = env.bool("DEBUG", default=True)
# With DEBUG on, pages still show our 404 and 500 pages (gridmgmt.error_pages); 1 shows Django's technical
# pages (the URL patterns, the traceback) instead, for a developer who wants them.
DEBUG_ERROR_PAGES = env.bool("DEBUG_ERROR_PAGES", default=False)

_DEV_SECRET = "dev-only-insecure-secret-key-for-local-runs-never-in-production-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default="")
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")
FIELD_HASH_KEY = env.str("FIELD_HASH_KEY", default="")
# The keys of the audit chains (gridmgmt.chain): comma-separated, the first keys new links, all verify.
AUDIT_CHAIN_KEY = env.str("AUDIT_CHAIN_KEY", default="")
# The Ed25519 key that signs audit checkpoints (PEM, or 32 bytes as hex), and the public keys of earlier
# signing keys still trusted for old checkpoints (comma-separated PEM or hex).
AUDIT_SIGNING_KEY = env.str("AUDIT_SIGNING_KEY", default="")
if not DEBUG:
    missing = [
        name
        for name, value in (
            ("SECRET_KEY", SECRET_KEY),
            ("FIELD_ENCRYPTION_KEY", FIELD_ENCRYPTION_KEY),
            ("FIELD_HASH_KEY", FIELD_HASH_KEY),
            ("AUDIT_CHAIN_KEY", AUDIT_CHAIN_KEY),
            ("AUDIT_SIGNING_KEY", AUDIT_SIGNING_KEY),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(f"DEBUG is off, so these settings must be set: {', '.join(missing)}")
SECRET_KEY = SECRET_KEY or _DEV_SECRET
# A Fernet key is 32 url-safe base64 bytes; the development key is derived so it is stable between runs.
# Several comma-separated keys rotate: the first encrypts, all decrypt (see grids/pii.py, rotate_pii_key).
FIELD_ENCRYPTION_KEY = (
    FIELD_ENCRYPTION_KEY
    or base64.urlsafe_b64encode(hashlib.sha256(b"gridmgmt-development-field-key").digest()).decode()
)
# HMAC key for the searchable hash of resident ID numbers. It is separate from the encryption keys so that
# rotating those never invalidates the stored hashes; changing it needs every hash recomputed.
FIELD_HASH_KEY = (
    FIELD_HASH_KEY or hashlib.sha256(b"gridmgmt-field-hash-key:" + SECRET_KEY.encode()).hexdigest()
)
AUDIT_CHAIN_KEYS = [key.strip() for key in AUDIT_CHAIN_KEY.split(",") if key.strip()] or [
    hashlib.sha256(b"gridmgmt-development-audit-chain-key:" + SECRET_KEY.encode()).hexdigest()
]
AUDIT_SIGNING_KEY = (
    AUDIT_SIGNING_KEY
    or hashlib.sha256(b"gridmgmt-development-audit-signing-key:" + SECRET_KEY.encode()).hexdigest()
)
AUDIT_TRUSTED_PUBLIC_KEYS = env.list("AUDIT_TRUSTED_PUBLIC_KEYS", default=[])
# Signed audit checkpoints (the audit app): an append-only log outside the database, a file path or an
# http(s) object-store URL (one object per checkpoint), and how often beat publishes one.
AUDIT_CHECKPOINT_LOG = env.str("AUDIT_CHECKPOINT_LOG", default=str(VAR_DIR / "audit" / "checkpoints.jsonl"))
AUDIT_CHECKPOINT_SECONDS = env.int("AUDIT_CHECKPOINT_SECONDS", default=3600)
# The top supervision level (督办) tells the active users of this Django group (the district leaders'
# office); empty, or nobody there with an address: the supervisors and ADMINS.
SUPERVISION_LEADERS_GROUP = env.str("SUPERVISION_LEADERS_GROUP", default="")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django-leaflet's admin module needs GDAL, which this project avoids (see DESIGN.md), so the admin
    # does not autodiscover; gridmgmt.urls imports the project's admin modules explicitly.
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files: no CDN
    "leaflet",
    "django_htmx",  # ships htmx itself as a static file: no CDN
    "axes",  # login lockout (see AXES_* below)
    # The project's apps, in their layer order (ARCHITECTURE.md; enforced by import-linter in `make test`).
    "gridmgmt",
    "grids",
    "notifications",
    "departments",
    "worktime",
    "places",
    "cases",
    "dispatch",
    "open311",
    "patrols",
    "audit",
    "public",
    "evaluation",
    "demo",  # removable: without it the product runs, only the demo seed is gone
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A per-request nonce and the Content-Security-Policy of HTML pages (gridmgmt/csp.py): early, so pages
    # made by later middleware (lockout, 503) get it too.
    "gridmgmt.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Unprintable parameters and oversized bodies refused in the caller's format, before CSRF reads the form.
    "gridmgmt.middleware.InputPolicyMiddleware",
    # Our 404/500 pages with DEBUG on too (not Django's technical pages), unless DEBUG_ERROR_PAGES=1.
    "gridmgmt.error_pages.ErrorPagesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-axes turns a lockout flagged during authentication into the lockout page (gridmgmt.security).
    "axes.middleware.AxesMiddleware",
    # Last, so it sees a view's exception first: a database outage answers 503, not a 500 traceback.
    "gridmgmt.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "gridmgmt.urls"
WSGI_APPLICATION = "gridmgmt.wsgi.application"

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
                "django.template.context_processors.i18n",
                "gridmgmt.roles.roles_context",
                "gridmgmt.csp.csp_context",  # {{ csp_nonce }}
            ],
        },
    },
]

# An empty DATABASE_URL counts as unset (a blank line in an env file must not break start-up).
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'gridmgmt.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves a small office: web, worker and beat share this one file.
    # - WAL: readers never wait for the writer, nor the writer for readers.
    # - IMMEDIATE: every transaction takes the write lock at BEGIN, so a writer waits for another one (up to
    #   the timeout) instead of failing at once. A DEFERRED transaction that reads first (a workflow action
    #   reads its case) can only *upgrade* to writing, and SQLite refuses an upgrade that would have to wait
    #   ("database is locked" → 503), whatever the timeout. Cost: an atomic() block that only reads also
    #   takes turns with the writers; keep reads outside atomic() (writes are short: the longest, a
    #   100,000-resident import, holds the lock ~3 s).
    # - timeout: how long a writer waits for the lock (seconds); past it the request answers 503 ("try again
    #   shortly", gridmgmt.middleware). Kept below gunicorn's 30 s worker timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.float("SQLITE_BUSY_TIMEOUT", default=20.0),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file (not memory) so tests can run management commands in a subprocess against it; one per
    # process so concurrent test runs in one checkout do not collide.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-gridmgmt-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "gridmgmt.caching.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "cache",
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out username + address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "gridmgmt.security.LockoutBackend",  # django-axes' AxesStandaloneBackend
    "django.contrib.auth.backends.ModelBackend",
]
# --- login lockout (django-axes) and login throttle per address (gridmgmt.security): the login page, the
# admin login and POST /api/v1/auth/token/ alike, failures on one counting for the others ---
# Per account: five wrong passwords for one username from one address lock that pair out for 15 minutes
# after the last of them (HTTP 429), even with the right password; a success resets the pair's count.
# Locking the pair, not the username alone, keeps an attacker from locking a real user out from everywhere
# by guessing their password on purpose.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# An attempt refused while locked had no password checked, so it is no failure: it neither restarts the
# lock (the page says exactly how long is left) nor counts for the address (one locked-out user retrying
# cannot block their whole office).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "gridmgmt.security.client_ip"  # behind proxies as the API throttles see it
AXES_USERNAME_CALLABLE = "gridmgmt.security.client_username"  # bounded to what axes can store
AXES_LOCKOUT_CALLABLE = "gridmgmt.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Per address: 20 wrong passwords from one address within 15 minutes, whatever the usernames, refuse every
# login from it until enough of them are 15 minutes old (429, saying how long). More than the per-account
# limit, so that one user's typos do not lock out an office behind one NAT address. Counted from the rows
# axes keeps, which it deletes a cool-off after their last failure: so the window cannot outlast
# AXES_COOLOFF_TIME.
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
LOGIN_ADDRESS_COOLOFF_TIME = dt.timedelta(minutes=env.int("LOGIN_ADDRESS_COOLOFF_MINUTES", default=15))
if LOGIN_ADDRESS_FAILURE_LIMIT < 1 or LOGIN_ADDRESS_COOLOFF_TIME > AXES_COOLOFF_TIME:
    raise ImproperlyConfigured(
        "LOGIN_ADDRESS_FAILURE_LIMIT must be at least 1, and LOGIN_ADDRESS_COOLOFF_MINUTES at most "
        "AXES_COOLOFF_MINUTES (failures are forgotten after that)"
    )
LOGIN_URL = "login"
CSRF_FAILURE_VIEW = "gridmgmt.error_pages.csrf_failure"  # our 403 page, saying what to do
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="gridmgmt@localhost")

# --- security: on by default whenever DEBUG is off, so `check --deploy` is clean for production ---
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"  # Django's default, stated: other sites never see our URLs
# Cookies: never readable by scripts (pages take the CSRF token from the template, not the cookie) and not
# sent on cross-site subrequests; Secure (above and here) whenever DEBUG is off.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Celery: a real broker for one machine without Redis is the filesystem transport under var/ ---
BROKER_DIR = VAR_DIR / "broker"
# The host part names nothing for the filesystem transport, but without one kombu warns at every connection.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),  # else Celery writes control/ into the cwd
        "store_processed": False,
    }
else:
    # A message taken by a worker that then died (acks_late) is redelivered once it has stayed unacknowledged
    # this long (seconds); keep it above the longest task's time limit. The fault tests shorten it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 3
BROKER_DOWN_COOLDOWN_SECONDS = env.float("BROKER_DOWN_COOLDOWN_SECONDS", default=10.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 50
CELERY_TASK_TIME_LIMIT = 60
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Keep database connections across tasks (gridmgmt.celery tidies them as a web request would); Celery's
# fixup then closes them only every this many tasks instead of around every task.
CELERY_DB_REUSE_MAX = 1000
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Installations (or test runs) sharing one Redis keep their tasks apart by queue: a worker consumes it
# (`-Q`) and publishes the follow-up tasks it sends to it as well.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_BEAT_SCHEDULE = {
    "enforce-deadlines": {"task": "dispatch.tasks.enforce_deadlines_task", "schedule": 60.0},
    "supervision-sweep": {"task": "dispatch.tasks.supervision_sweep_task", "schedule": 60.0},
    "audit-checkpoint": {
        "task": "audit.tasks.checkpoint_publish_task",
        "schedule": float(AUDIT_CHECKPOINT_SECONDS),
    },
    "reconcile-unrouted": {"task": "dispatch.tasks.reconcile_task", "schedule": 120.0},
    "purge-public-throttles": {"task": "public.tasks.throttles_purge_task", "schedule": 3600.0},
    "send-notifications": {"task": "notifications.tasks.send_pending_notifications_task", "schedule": 60.0},
    "reconcile-resident-imports": {"task": "grids.tasks.reconcile_resident_imports_task", "schedule": 120.0},
    "reconcile-base-data-imports": {
        "task": "places.tasks.reconcile_base_data_imports_task",
        "schedule": 120.0,
    },
    # Evaluation figures of yesterday, the last 7 and 60 days, the month to date and the last month.
    # Grids that went unpatrolled past their plan (checked hourly; each grid warned once per working day).
    "patrol-plan-warnings": {
        "task": "patrols.tasks.patrol_plan_warnings_task",
        "schedule": crontab(minute=15),
    },
    # Patrols whose figures were not computed (broker down at their end).
    "reconcile-patrols": {"task": "patrols.tasks.reconcile_patrols_task", "schedule": 300.0},
    "materialise-evaluation": {
        "task": "evaluation.tasks.materialise_evaluation_task",
        "schedule": crontab(hour=1, minute=0),
    },
}

# --- workflow knobs ---
DEADLINE_WARNING_SHARE = env.float("DEADLINE_WARNING_SHARE", default=0.8)
DEADLINE_ESCALATION_SHARE = env.float("DEADLINE_ESCALATION_SHARE", default=1.5)
# Deadlines in working time: each process re-reads the default work calendar's version at most this often
# (seconds), so a calendar edit reaches every process within it. See worktime/cache.py.
WORK_CALENDAR_CHECK_SECONDS = env.float("WORK_CALENDAR_CHECK_SECONDS", default=1.0)
DUPLICATE_RADIUS_M = env.float("DUPLICATE_RADIUS_M", default=50.0)
DUPLICATE_WINDOW_HOURS = env.float("DUPLICATE_WINDOW_HOURS", default=72.0)
# Each process keeps the active routing rules this long; a change saved elsewhere is seen within it.
ROUTING_RULES_CACHE_SECONDS = env.float("ROUTING_RULES_CACHE_SECONDS", default=5.0)
# Likewise the active categories a report may name.
CATEGORIES_CACHE_SECONDS = env.float("CATEGORIES_CACHE_SECONDS", default=5.0)
RECONCILE_GRACE_SECONDS = env.int("RECONCILE_GRACE_SECONDS", default=60)

# --- patrols (patrols/): plausibility limits, coverage width, plan defaults, visits ---
PATROL_BUFFER_M = env.float("PATROL_BUFFER_M", default=25.0)  # track buffer (each side) for area coverage
PATROL_MAX_SPEED_KMH = env.float("PATROL_MAX_SPEED_KMH", default=25.0)  # on foot or by bike
PATROL_JUMP_M = env.float("PATROL_JUMP_M", default=300.0)  # a step this long, at a speed ...
PATROL_JUMP_SPEED_KMH = env.float("PATROL_JUMP_SPEED_KMH", default=100.0)  # ... above this, is a teleport
PATROL_MAX_ACCURACY_M = env.float("PATROL_MAX_ACCURACY_M", default=100.0)
PATROL_SILENCE_S = env.int("PATROL_SILENCE_S", default=300)  # a gap between points longer than this
PATROL_LATE_S = env.int("PATROL_LATE_S", default=3600)  # points received this long after they were recorded
PATROL_FUTURE_S = env.int("PATROL_FUTURE_S", default=120)  # device clocks may run this far ahead
PATROL_OUTSIDE_SHARE = env.float("PATROL_OUTSIDE_SHARE", default=0.5)  # "mostly outside" one's grids
PATROL_COPIED_SHARE = env.float("PATROL_COPIED_SHARE", default=0.3)  # share of fingerprints seen before
PATROL_MAX_POINTS_PER_BATCH = env.int("PATROL_MAX_POINTS_PER_BATCH", default=1000)
PATROL_MAX_POINTS = env.int("PATROL_MAX_POINTS", default=50000)  # per patrol (≈ 70 hours at one per 5 s)
# Patrols up to this many points get their figures in the request that ends them (the task is the fallback).
PATROL_COMPUTE_AT_END_POINTS = env.int("PATROL_COMPUTE_AT_END_POINTS", default=5000)
PATROL_PLAN_MINUTES_PER_DAY = env.int("PATROL_PLAN_MINUTES_PER_DAY", default=120)
PATROL_PLAN_WEEKLY_COVERAGE = env.float("PATROL_PLAN_WEEKLY_COVERAGE", default=0.6)
VISIT_RADIUS_M = env.float("VISIT_RADIUS_M", default=150.0)  # a visit this far from the address is flagged
# On-site proof (cases.evidence): a verification (or a resolution whose rule asks for it) is on site when the
# device's fix lies within this many metres of the case and is itself at least this precise.
ON_SITE_RADIUS_M = env.float("ON_SITE_RADIUS_M", default=100.0)
# A photo whose camera time lies further back than this before the step is flagged as stale.
EVIDENCE_PHOTO_MAX_AGE_MINUTES = env.int("EVIDENCE_PHOTO_MAX_AGE_MINUTES", default=24 * 60)
# The running patrol's track "was there" when one of its points within this many minutes of the step lies
# within ON_SITE_RADIUS_M of the case.
EVIDENCE_TRACK_WINDOW_MINUTES = env.int("EVIDENCE_TRACK_WINDOW_MINUTES", default=15)

# --- the public site (public/): residents report, support, follow and rate ---
# The site's address as residents reach it ("https://grid.example.gov"): links in e-mails and text messages
# (a case's page, the rating link, unsubscribe) are absolute with it; empty, they are paths only.
SITE_URL = env.str("SITE_URL", default="").rstrip("/")
# "Me too": this many supporters raise a case to each priority ("2:10,1:30" = high from 10, urgent from 30);
# priority only ever rises this way, and each support is an event in the case's chain.
SUPPORT_PRIORITY_RULE = env.str("SUPPORT_PRIORITY_RULE", default="2:10,1:30")
if not re.fullmatch(r"\s*([123]\s*:\s*\d+\s*(,\s*[123]\s*:\s*\d+\s*)*)?", SUPPORT_PRIORITY_RULE):
    raise ImproperlyConfigured(
        f"SUPPORT_PRIORITY_RULE {SUPPORT_PRIORITY_RULE!r}: write <priority 1-3>:<supporters>, e.g. 2:10,1:30"
    )
# How long a closed case's rating link stays valid (days), and an e-mail confirmation link (hours).
PUBLIC_RATING_LINK_DAYS = env.int("PUBLIC_RATING_LINK_DAYS", default=30)
PUBLIC_CONFIRM_LINK_HOURS = env.int("PUBLIC_CONFIRM_LINK_HOURS", default=48)
# One-time codes sent by SMS: minutes valid, wrong tries before the code is spent.
PUBLIC_CODE_MINUTES = env.int("PUBLIC_CODE_MINUTES", default=10)
PUBLIC_CODE_ATTEMPTS = env.int("PUBLIC_CODE_ATTEMPTS", default=5)
# The proof of work a public form's script computes before sending (leading zero bits of SHA-256): ~65,000
# hashes at 16 bits, a fraction of a second on a phone, and the same cost per message for a spammer.
PUBLIC_POW_BITS = env.int("PUBLIC_POW_BITS", default=16)
PUBLIC_POW_MAX_AGE_SECONDS = env.int("PUBLIC_POW_MAX_AGE_SECONDS", default=3600)
# Throttles of the public endpoints per client address: "<what>=<count>/<period>", period s, m, h or d.
PUBLIC_THROTTLES = env.str(
    "PUBLIC_THROTTLES",
    default="report=10/h,support=30/h,signup=5/h,code=5/h,rating=20/h,subscribe=10/h,link=5/h,login=20/h",
)
# The public map: at most this many features in one answer (clusters beyond it), and closed cases shown
# for this many days after closing.
PUBLIC_MAP_MAX_FEATURES = env.int("PUBLIC_MAP_MAX_FEATURES", default=2000)
PUBLIC_MAP_CLOSED_DAYS = env.int("PUBLIC_MAP_CLOSED_DAYS", default=30)
# Text messages (one-time codes, case updates to a phone): a class with send(phone, text) (notifications.sms).
SMS_BACKEND = env.str("SMS_BACKEND", default="notifications.sms.ConsoleBackend")

# --- Open311 GeoReport v2 (open311/): what discovery tells clients, and an optional jurisdiction_id alias ---
OPEN311_JURISDICTION_ID = env.str("OPEN311_JURISDICTION_ID", default="")  # e.g. the city's web domain
OPEN311_CONTACT = env.str("OPEN311_CONTACT", default="The dispatch center of the jurisdiction.")
OPEN311_KEY_SERVICE = env.str(
    "OPEN311_KEY_SERVICE",
    default="API keys are issued by the system administrator of this installation (admin: Open311 keys).",
)

# --- grid layer ---
# Point → grid: each process re-reads the grid layer's version at most this often (seconds), so a layer change
# reaches every process within it; 0 checks on every lookup (tests). See grids/selectors.py.
GRID_INDEX_CHECK_SECONDS = env.float("GRID_INDEX_CHECK_SECONDS", default=1.0)
# Workload: an administrator holding more than this many grids is flagged as overloaded (/grids/workload/).
ADMIN_LOAD_THRESHOLD = env.int("ADMIN_LOAD_THRESHOLD", default=3)

REST_FRAMEWORK = {
    # Token first: an unauthenticated request then gets 401 with `WWW-Authenticate: Token`, not a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["gridmgmt.json_io.JSONRenderer"],
    # JSON with a nesting limit (gridmgmt.json_io); forms and uploads as DRF parses them.
    "DEFAULT_PARSER_CLASSES": [
        "gridmgmt.json_io.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "gridmgmt.api.api_exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "gridmgmt.api_policies.ContentNegotiation",
    "DEFAULT_THROTTLE_CLASSES": ["gridmgmt.api_policies.UserThrottle", "gridmgmt.api_policies.AnonThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_THROTTLE_USER", default="3000/hour"),
        "anon": env.str("API_THROTTLE_ANON", default="300/hour"),
        "login": env.str("API_THROTTLE_LOGIN", default="10/minute"),  # password attempts per address
    },
    # Proxies in front of gunicorn: throttles then key on the client address from X-Forwarded-For.
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=None),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Grid management API",
    "DESCRIPTION": "Cases, workflow actions, grids and departments of the grid management platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No validator badge: Swagger UI would fetch it from validator.swagger.io (nothing leaves the intranet).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,  # file uploads: request bodies get their own (binary) components
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "cases.models.CaseState",
        "CallbackResultEnum": "cases.models.CaseCaller.Callback",
        "EvidencePositionRuleEnum": "cases.models.EvidenceRule.Position",
        "EvidenceTrackEnum": ["near", "absent"],
        "CaseSourceEnum": "cases.models.Case.Source",
        "ReportSourceEnum": ["patrol", "resident", "hotline"],
        "DeadlineStageEnum": "cases.models.Case.Stage",
        "ExtensionStateEnum": "cases.models.ExtensionRequest.State",
        "PhotoKindEnum": "cases.models.CasePhoto.Kind",
        "CategoryKindEnum": "cases.models.Category.Kind",
        "ResidentCareTagEnum": "grids.models.Resident.CareTag",
        "ResidentGenderEnum": "grids.models.Resident.Gender",
        "RevealFieldEnum": "grids.models.ResidentAccessLog.Field",
        "BuildingUseEnum": "places.models.Building.Use",
        "HouseUseEnum": "places.models.House.Use",
        "OrganisationKindEnum": "places.models.Organisation.Kind",
        "VisitTargetEnum": ["resident", "house", "organisation"],
        "VisitPlanTargetEnum": ["resident", "organisation"],
        "OrganisationRiskEnum": "places.models.Organisation.Risk",
        "FacilityStateEnum": "places.models.Facility.State",
        "OccupancyRelationEnum": "places.models.Occupancy.Relation",
        "OccupancyPopulationEnum": "places.models.Occupancy.Population",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "gridmgmt.api.schema_add_common_errors",
    ],
}

# --- maps: the base layer under the grid outlines (gridmgmt/map_tiles.py; README "Maps") ---
# MAP_TILES names a tile preset. The users' browsers fetch the tiles; the server never does.
#   osm       OpenStreetMap's standard tiles (tile.openstreetmap.org), "© OpenStreetMap contributors" linked
#             to its copyright page: for the demo and trials. Heavy use needs a tile server of one's own
#             (OpenStreetMap's tile usage policy).
#   intranet  the deployment's own tile server: MAP_TILES_URL, a Leaflet URL template ({z}/{x}/{y}; {s} only
#             as the whole leftmost label), and MAP_TILES_ATTRIBUTION, plain text naming its source.
#   tianditu  天地图: its vector map under its annotation (Chinese, or English on English pages), with
#             TIANDITU_KEY, a browser key bound to this site's domain (required: missing, the start fails).
#             CGCS2000 and WGS-84 agree to well under a metre here, so our points need no datum shift.
#   amap      高德: its tiles are drawn in GCJ-02, so our WGS-84 points and grids appear shifted by up to
#             about 500 m; every map says so under it (until the offline/field issue adds the transform).
#   none      no base layer: grid outlines and points on a hatched background (what the test suite uses).
# Default: osm while DEBUG is on (`make run` shows streets), none when it is off; MAP_TILES_URL alone (the
# setting before presets) still means intranet. MAP_TILES_ATTRIBUTION is added after any preset's own
# credit, e.g. a Chinese map's approval number (审图号). The pages' CSP img-src allows the chosen preset's
# tile hosts and no others; a preset that cannot work as set fails at start with ImproperlyConfigured.
MAP_TILES_URL = env.str("MAP_TILES_URL", default="")
MAP_TILES_ATTRIBUTION = env.str("MAP_TILES_ATTRIBUTION", default="")
TIANDITU_KEY = env.str("TIANDITU_KEY", default="")
MAP_TILES = env.str(
    "MAP_TILES", default=map_tiles.INTRANET if MAP_TILES_URL else map_tiles.OSM if DEBUG else map_tiles.NONE
)
# A preset that cannot work as set (unknown, no key, no URL, a host CSP cannot express) refuses to start.
map_tiles.tile_layers(preset=MAP_TILES, url=MAP_TILES_URL, key=TIANDITU_KEY)

# django-leaflet serves Leaflet itself; static/js/maps.js draws our maps from grids.maps.map_config(), so
# django-leaflet's own tile list stays empty.
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (28.6800, 115.8900),
    "DEFAULT_ZOOM": 13,
    "TILES": [],
    "NO_GLOBALS": False,
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
# What happens every minute without news (beat sending the sweep, the worker receiving and finishing it) is
# routine: shown only at LOG_LEVEL=DEBUG, or at TASK_LOG_LEVEL (the fault tests read "received"/"succeeded"
# from their worker's log with TASK_LOG_LEVEL=INFO). A task that fails still logs at ERROR.
_ROUTINE = env.str("TASK_LOG_LEVEL", default="DEBUG" if LOG_LEVEL == "DEBUG" else "WARNING").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # One clock for every process: the zone offset is printed, and bin/run gives gunicorn's own process the
    # same TZ as Django's (TIME_ZONE), so the web, the worker and beat agree.
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "datefmt": "%Y-%m-%d %H:%M:%S %z",
        }
    },
    "filters": {"ordinary_refusals": {"()": "gridmgmt.log.OrdinaryRefusals"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["ordinary_refusals"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own default sends "django" to a second console handler while DEBUG is on: every line twice.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # With DEBUG on, Django logs every SQL statement with its parameters at DEBUG: API token keys,
        # session keys and password hashes among them. LOG_LEVEL=DEBUG must not turn that on:
        # SQL_LOG_LEVEL=DEBUG does.
        "django.db.backends": {"level": env.str("SQL_LOG_LEVEL", default="INFO")},
        "axes.apps": {"level": "WARNING"},  # "AXES: BEGIN …" from every process at every start
        "celery.beat": {"level": _ROUTINE},
        "celery.worker.strategy": {"level": _ROUTINE},
        "celery.app.trace": {"level": _ROUTINE},
    },
}
