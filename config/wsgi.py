"""WSGI entry point. Django's setup runs at import, so a pre-forking server
(gunicorn with preload_app) loads the settings, the apps and jieba's
dictionary and the search index's texts once in the master before the
workers fork. A server only segments queries, so it loads the compact
dictionary (search.lexicon) when an import or rebuild has saved one."""
import logging
import os

import django
from django.core.wsgi import get_wsgi_application

from config.staticfiles import ensure_collected as _ensure_static

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Before the application (and whitenoise, which lists STATIC_ROOT once when
# it starts) loads: the production storage needs collected static files
# (config.staticfiles). With gunicorn's preload this runs once, in the master.
django.setup(set_prefix=False)
_ensure_static(logging.getLogger("config.staticfiles"))

application = get_wsgi_application()

from search.service import preload as _preload_search  # noqa: E402  (needs the apps loaded)

_preload_search()
