"""config.production: weak secret keys refused, HSTS preload opt-in with a
clean deploy check, and static files collected before serving
(config.staticfiles)."""
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import staticfiles

ROOT = Path(__file__).resolve().parent.parent


def run(code_or_args, tmp_path, **env):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ARCHIVE_"))}
    full.update({"ARCHIVE_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.production",
                 "DJANGO_SECRET_KEY": secrets.token_urlsafe(48), **env})
    args = code_or_args if isinstance(code_or_args, list) else ["-c", code_or_args]
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=full, capture_output=True, text=True,
                          timeout=120)


SHOW = "import django; django.setup(); from django.conf import settings as s; print(s.SECURE_HSTS_PRELOAD)"


@pytest.mark.parametrize("key", ["a" * 77, "abcd" * 20, "short-but-random-Zx81", "django-insecure-" + "x1Y2z3" * 10])
def test_weak_secret_keys_are_refused(tmp_path, key):
    result = run(SHOW, tmp_path, DJANGO_SECRET_KEY=key)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY must be set to a long random value (50+ characters, " \
           "5+ different ones)" in result.stderr


def test_hsts_preload_is_opt_in_and_the_deploy_check_stays_clean(tmp_path):
    assert run(SHOW, tmp_path, DJANGO_HTTPS="1").stdout.strip() == "False"
    assert run(SHOW, tmp_path, DJANGO_HTTPS="1", DJANGO_HSTS_PRELOAD="1").stdout.strip() == "True"
    for extra in ({}, {"DJANGO_HSTS_PRELOAD": "1"}):
        check = run(["manage.py", "check", "--deploy"], tmp_path, DJANGO_HTTPS="1", **extra)
        assert check.returncode == 0, check.stderr
        assert "System check identified no issues" in check.stdout, (check.stdout, check.stderr)


@pytest.fixture
def manifest_storage(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    return tmp_path / "static"


def test_missing_static_files_are_collected(manifest_storage):
    assert "css/site.css" in staticfiles.missing_files()
    staticfiles.ensure_collected()
    manifest = json.loads((manifest_storage / "staticfiles.json").read_text())
    assert "css/site.css" in manifest["paths"] and staticfiles.missing_files() == []
    # A manifest that lacks a file (static/ changed since) is collected again.
    del manifest["paths"]["css/site.css"]
    (manifest_storage / "staticfiles.json").write_text(json.dumps(manifest))
    assert staticfiles.missing_files() == ["css/site.css"]
    staticfiles.ensure_collected()
    assert staticfiles.missing_files() == []


def test_static_files_that_cannot_be_collected_stop_the_start(settings, manifest_storage, tmp_path):
    (tmp_path / "blocker").write_text("a file where a directory should be")
    settings.STATIC_ROOT = tmp_path / "blocker" / "static"
    with pytest.raises(ImproperlyConfigured, match="static files are not collected in .* and collectstatic failed"):
        staticfiles.ensure_collected()
