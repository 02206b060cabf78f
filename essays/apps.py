from django.apps import AppConfig
from django.conf import settings


class EssaysConfig(AppConfig):
    name = "essays"
    verbose_name = "文章"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The database and the index live below DATA_DIR; make sure it exists
        # before the first connection. A read-only location is reported by
        # the database itself when it is used.
        try:
            settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
            # whitenoise warns on every request when STATIC_ROOT is missing.
            settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass
