"""WSGI entry point. Django's setup runs at import, so a pre-forking server
(gunicorn --preload) loads the settings, the apps and jieba's dictionary once
in the master before the workers fork."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
