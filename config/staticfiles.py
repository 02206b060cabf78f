"""Collected static files for the production storage.

config.production serves static files from STATIC_ROOT through whitenoise's
CompressedManifestStaticFilesStorage, which answers every {% static %} of a
file missing from its manifest with an error: a server started before
`collectstatic` would give 500 on every page. ensure_collected() runs
collectstatic when the manifest is missing or lacks a file of static/, and
otherwise stops the start-up with a message saying what to run."""
import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MANIFEST = "staticfiles.json"


def _uses_manifest():
    backend = settings.STORAGES.get("staticfiles", {}).get("BACKEND", "")
    return "Manifest" in backend


def missing_files():
    """Static source files (by the finders) that the manifest lacks; all of
    them when there is no readable manifest."""
    from django.contrib.staticfiles import finders

    sources = {path for finder in finders.get_finders() for path, _storage in finder.list([])}
    try:
        manifest = json.loads((Path(settings.STATIC_ROOT) / MANIFEST).read_text("utf-8"))
        collected = set(manifest.get("paths", {}))
    except (OSError, ValueError, AttributeError):
        collected = set()
    return sorted(sources - collected)


def ensure_collected(log=None):
    """Make sure the manifest covers every static file, running
    collectstatic if not. Raises ImproperlyConfigured if that fails."""
    if not _uses_manifest():
        return
    missing = missing_files()
    if not missing:
        return
    from django.core.management import call_command

    if log is not None:
        log.info("static files not collected (%d missing from %s, e.g. %s): running collectstatic",
                 len(missing), Path(settings.STATIC_ROOT) / MANIFEST, missing[0])
    try:
        call_command("collectstatic", interactive=False, verbosity=0)
    except Exception as err:
        raise ImproperlyConfigured(
            f"static files are not collected in {settings.STATIC_ROOT} and collectstatic failed: {err}. "
            "Run `DJANGO_SETTINGS_MODULE=config.production python manage.py collectstatic --noinput` "
            "with a writable ARCHIVE_DATA_DIR, then start the server again.") from err
    still = missing_files()
    if still:
        raise ImproperlyConfigured(f"collectstatic left {len(still)} static files out of {MANIFEST}, "
                                   f"e.g. {still[0]}")
