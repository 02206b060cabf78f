"""Uploads kept between an admin upload's preview and its confirmation.

A preview imports nothing: the files are parsed in a dry run, and their
bytes are kept here, under ARCHIVE_DATA_DIR/upload-staging/<token>/, until
the editor confirms (the same bytes are then imported) or leaves them
(they are removed after STAGING_MAX_AGE seconds, at the next preview). The
token is random and names nothing the editor typed; file names are stored
in a JSON index, never used as paths.
"""
import json
import re
import secrets
import shutil
import time
from pathlib import Path

from django.conf import settings

STAGING_MAX_AGE = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _root():
    return Path(settings.DATA_DIR) / "upload-staging"


def stage(files, manifest=None):
    """Keep [(name, bytes)] and an optional (name, bytes) manifest; return
    the token that load() takes."""
    prune()
    token = secrets.token_hex(16)
    folder = _root() / token
    folder.mkdir(parents=True, mode=0o700)
    names = []
    for i, (name, data) in enumerate(files):
        (folder / f"{i:04d}").write_bytes(data)
        names.append(name)
    index = {"files": names, "manifest": None}
    if manifest is not None:
        (folder / "manifest").write_bytes(manifest[1])
        index["manifest"] = manifest[0]
    (folder / "index.json").write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")
    return token


def load(token):
    """([(name, bytes)], (name, bytes) or None) of a staged upload, or None
    if the token is not one (expired, already imported, or made up)."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    folder = _root() / token
    try:
        index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        files = [(name, (folder / f"{i:04d}").read_bytes()) for i, name in enumerate(index["files"])]
        manifest = (index["manifest"], (folder / "manifest").read_bytes()) if index["manifest"] else None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return files, manifest


def discard(token):
    if isinstance(token, str) and _TOKEN.match(token):
        shutil.rmtree(_root() / token, ignore_errors=True)


def prune(max_age=STAGING_MAX_AGE):
    """Remove staged uploads older than max_age seconds."""
    root = _root()
    if not root.is_dir():
        return
    cutoff = time.time() - max_age
    for folder in root.iterdir():
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
