"""Production settings: `DJANGO_SETTINGS_MODULE=config.production`.

DEBUG is always off and a real secret key is required. HTTPS hardening is on
by default (HSTS preload only with DJANGO_HSTS_PRELOAD=1); a site behind a
TLS-terminating proxy sets DJANGO_BEHIND_PROXY=1, and a local trial over
plain HTTP sets DJANGO_HTTPS=0.
"""
import os

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX, SECRET_KEY_MIN_LENGTH, SECRET_KEY_MIN_UNIQUE_CHARACTERS)
from django.core.exceptions import ImproperlyConfigured

from .settings import *  # noqa: F401,F403
from .settings import DATABASES, LOGGING, env_bool

DEBUG = False

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
# Django's own deploy check's rules (50+ characters, 5+ distinct ones, not
# a generated "django-insecure-" key), enforced at start-up rather than
# warned about: 77 × "a" is long but guessable.
if (len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or SECRET_KEY.startswith(SECRET_KEY_INSECURE_PREFIX)):
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY must be set to a long random value ({SECRET_KEY_MIN_LENGTH}+ characters, "
        f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS}+ different ones) for production, e.g.\n"
        "  export DJANGO_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(64))')"
    )

HTTPS = env_bool("DJANGO_HTTPS", True)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 31536000)) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# Preloading is a promise to browsers' built-in lists, slow to take back,
# that the domain and all its subdomains serve HTTPS for good: the operator
# opts in (DJANGO_HSTS_PRELOAD=1). Without it Django's deploy check warns
# (security.W021) that the site cannot be submitted to the list; that is the
# choice made, so the warning is silenced and `check --deploy` stays clean.
SECURE_HSTS_PRELOAD = HTTPS and env_bool("DJANGO_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD or not HTTPS else ["security.W021"]
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The throttles' client address is the one the proxy saw (config.throttle).
    THROTTLE_TRUST_FORWARDED = True
SESSION_COOKIE_HTTPONLY = True

# Each gunicorn worker keeps its database connection between requests
# while busy, and closes it after a second without one (config.workers).
# The same for a replica's connections; PostgreSQL's are checked before a
# request reuses them (CONN_HEALTH_CHECKS, config.database).
for _database in DATABASES.values():
    _database["CONN_MAX_AGE"] = int(os.environ.get("ARCHIVE_DB_CONN_MAX_AGE", "60"))

WHITENOISE_USE_FINDERS = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Logs go to stdout, where a process manager collects them.
LOGGING = {**LOGGING, "handlers": {"console": {
    "class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stdout"}}}
