"""Settings for the essay archive.

Everything that differs between a laptop and a server comes from the
environment, with defaults that are safe for local development.
`config.production` tightens these for a real deployment.
"""
import os
from pathlib import Path

from . import database

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    """Read a boolean from the environment ('1', 'true', 'yes', 'on' are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    """Read a comma-separated list from the environment."""
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


# All state (database, search index, caches) lives below one directory.
DATA_DIR = Path(os.environ.get("ARCHIVE_DATA_DIR") or BASE_DIR / "var").resolve()

# A development key: config.production refuses to start without a real one.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "dev-only-insecure-key-do-not-use-in-production"
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.syndication",
    "core",
    "essays",
    "search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Around everything that may read or write the database: which one a
    # request reads from (only with replicas; config.routers).
    "config.routers.ReplicaPinMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Both need the user (or the session) and must run before anything reads
    # the body: large bodies are refused, then throttled logins.
    "config.middleware.RequestBodyLimitMiddleware",
    "config.middleware.LoginThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "config.middleware.StorageUnavailableMiddleware",
    "config.middleware.CatchUpMiddleware",
]

ROOT_URLCONF = "config.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# ARCHIVE_DATABASE_URL (default: SQLite under DATA_DIR) and
# ARCHIVE_DATABASE_REPLICA_URLS: config.database parses them. A connection
# per request (runserver, tests); config.production keeps them while a
# gunicorn worker is busy.
DATABASES = database.databases(os.environ, DATA_DIR, int(os.environ.get("ARCHIVE_DB_CONN_MAX_AGE", "0")))
# Reads of browsing and search go to a replica when there is one; writes,
# and the reads of a client that just wrote, to the primary (config.routers).
DATABASE_ROUTERS = ["config.routers.ReplicaRouter"] if len(DATABASES) > 1 else []
# A replica whose replay is further behind than this many seconds is skipped.
REPLICA_MAX_LAG = float(os.environ.get("ARCHIVE_REPLICA_MAX_LAG", "5"))
# After a write, the client reads from the primary for this long (a cookie).
REPLICA_PIN_SECONDS = float(os.environ.get("ARCHIVE_REPLICA_PIN_SECONDS", str(REPLICA_MAX_LAG + 5)))
# How long a replica's health is trusted, and how long one that failed is skipped.
REPLICA_CHECK_SECONDS = float(os.environ.get("ARCHIVE_REPLICA_CHECK_SECONDS", "2"))
REPLICA_RETRY_SECONDS = float(os.environ.get("ARCHIVE_REPLICA_RETRY_SECONDS", "30"))
# Refuses a search backend the database cannot serve (config.database).
SEARCH_BACKEND = database.search_backend(os.environ, DATABASES)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
# Serve straight from static/ without collectstatic (development and tests);
# config.production serves the collected, hashed and compressed copies.
WHITENOISE_USE_FINDERS = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Uploads: essay files are small; anything larger is refused before parsing.
ESSAY_MAX_BYTES = int(os.environ.get("ESSAY_MAX_BYTES", 5 * 1024 * 1024))
# What one essay may hold (essays.parsing explains the defaults): files over
# these limits are refused with the reason.
ESSAY_MAX_PARAGRAPHS = int(os.environ.get("ESSAY_MAX_PARAGRAPHS", 2000))
ESSAY_MAX_PARAGRAPH_CHARS = int(os.environ.get("ESSAY_MAX_PARAGRAPH_CHARS", 20000))
# The essay page shows this many paragraphs a page (essays.views).
ESSAY_PARAGRAPHS_PER_PAGE = 200
ESSAY_MAX_UPLOAD_FILES = 100
ESSAY_MAX_UPLOAD_TOTAL = 64 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # form fields other than files
DATA_UPLOAD_MAX_NUMBER_FILES = ESSAY_MAX_UPLOAD_FILES
# Oversized files are refused while they stream in; accepted ones stay in
# memory, so nothing is spooled to disk outside the data directory.
FILE_UPLOAD_HANDLERS = ["essays.uploads.SizeLimitUploadHandler"]

# The search backend (search.backends.BACKENDS) and what it is given:
# PATH, its index directory; RESULT_CACHE, the ranked answers each server
# process keeps per index version (0: none).
SEARCH = {
    "BACKEND": os.environ.get("ARCHIVE_SEARCH_BACKEND", "whoosh"),
    "PATH": DATA_DIR / "index",
    "RESULT_CACHE": int(os.environ.get("ARCHIVE_SEARCH_CACHE", "256")),
}

# Every server process drains the to-do list of index updates (search.queue)
# in the background this often, taking rows at least this old (0: off).
SEARCH_CATCH_UP_SECONDS = float(os.environ.get("ARCHIVE_CATCH_UP_SECONDS", "5"))
# An admin upload indexes for at most this long before it reports; what is
# left is indexed by the background catch-up, and the report says so.
ESSAY_UPLOAD_INDEX_SECONDS = float(os.environ.get("ESSAY_UPLOAD_INDEX_SECONDS", "20"))

# Parallel passages: the shortest run of folded characters two essays must
# share to be listed as parallels of a paragraph (search.parallels).
PARALLEL_MIN_CHARS = int(os.environ.get("ARCHIVE_PARALLEL_MIN_CHARS", "15"))

ESSAYS_PER_PAGE = 20

# Throttles (config.throttle). Login failures are counted in a cache shared
# by the server's worker processes, a directory of files under the data
# directory; the search rate per worker process, in memory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
    "throttle": {
        "BACKEND": "config.caches.LazyFileBasedCache",
        "LOCATION": DATA_DIR / "throttle",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
    "search-rate": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "search-rate",
        "OPTIONS": {"MAX_ENTRIES": 10000},
    },
}
# Failed logins from one address, or for one username, before login is
# refused (429) until ARCHIVE_LOGIN_LOCKOUT seconds after the last (0: off).
LOGIN_FAILURE_LIMIT = int(os.environ.get("ARCHIVE_LOGIN_FAILURES", "10"))
LOGIN_FAILURE_WINDOW = int(os.environ.get("ARCHIVE_LOGIN_LOCKOUT", "900"))
# Searches (/search/, /api/search) a second per client address and worker
# process, with bursts of up to SEARCH_BURST (0: no limit).
SEARCH_RATE = float(os.environ.get("ARCHIVE_SEARCH_RATE", "20"))
SEARCH_BURST = int(os.environ.get("ARCHIVE_SEARCH_BURST", "60"))
# Behind a proxy (config.production, DJANGO_BEHIND_PROXY=1) the client's
# address is the last one of X-Forwarded-For.
THROTTLE_TRUST_FORWARDED = False

# Content-Security-Policy: the site runs no inline script and loads nothing
# from other origins.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
