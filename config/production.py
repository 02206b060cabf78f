"""Production settings: `DJANGO_SETTINGS_MODULE=config.production`.

DEBUG is always off and a real secret key is required. HTTPS hardening is on
by default; a site behind a TLS-terminating proxy sets DJANGO_BEHIND_PROXY=1,
and a local trial over plain HTTP sets DJANGO_HTTPS=0.
"""
import os

from django.core.exceptions import ImproperlyConfigured

from .settings import *  # noqa: F401,F403
from .settings import DATABASES, LOGGING, env_bool

DEBUG = False

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a long random value (50+ characters) for production, e.g.\n"
        "  export DJANGO_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(64))')"
    )

HTTPS = env_bool("DJANGO_HTTPS", True)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 31536000)) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The throttles' client address is the one the proxy saw (config.throttle).
    THROTTLE_TRUST_FORWARDED = True
SESSION_COOKIE_HTTPONLY = True

# Each gunicorn worker keeps its database connection between requests
# while busy, and closes it after a second without one (config.workers).
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("ARCHIVE_DB_CONN_MAX_AGE", "60"))

WHITENOISE_USE_FINDERS = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Logs go to stdout, where a process manager collects them.
LOGGING = {**LOGGING, "handlers": {"console": {
    "class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stdout"}}}
