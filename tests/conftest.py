"""Shared fixtures: every test gets its own data directory, so the search
index is a real Whoosh index in a temporary folder."""
from pathlib import Path

import pytest

from search.backends import BACKENDS

# A real PostgreSQL server for the tests that need one, and --postgres.
pytest_plugins = ["tests.postgres_support"]

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_7229694e1c405891.txt"
SEED_TITLE = "让抓落实成为党员干部的鲜明特质"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, settings):
    """Point DATA_DIR, the index and the login throttle's cache at a fresh
    temp folder. The search rate limit is off (tests search faster than any
    reader, from one address); tests of it turn it on."""
    settings.DATA_DIR = tmp_path
    settings.SEARCH = {**settings.SEARCH, "PATH": tmp_path / "index"}
    # No background catch-up thread in the test process: tests drain the
    # to-do list themselves (search.sync.catch_up).
    settings.SEARCH_CATCH_UP_SECONDS = 0
    settings.CACHES = {**settings.CACHES,
                       "throttle": {**settings.CACHES["throttle"], "LOCATION": tmp_path / "throttle"}}
    settings.SEARCH_RATE = 0
    from django.core.cache import caches

    caches["search-rate"].clear()
    return tmp_path


def configured_backends():
    """The backends the contract and oracle tests run against: every one
    search.backends knows (only whoosh so far), each given the test's own
    SEARCH setting with its BACKEND replaced."""
    return sorted(BACKENDS)


@pytest.fixture(params=configured_backends())
def backend(request, settings, data_dir):
    """Run the test with SEARCH's BACKEND set to each configured backend in
    turn (the answers must be the same for any backend given the same
    corpus)."""
    settings.SEARCH = {**settings.SEARCH, "BACKEND": request.param}
    return request.param


def essay_file(number, title, paragraphs, name=None, directory=None):
    """Bytes of an essay file in the archive's format (and write it if a
    directory is given)."""
    first = f"{number}{title}.txt" if number is not None else f"{title}.txt"
    body = "".join(
        f"<div><span style='font-size:16px'> \u3000\u3000{p}</span></div><div>&nbsp;</div>" for p in paragraphs
    )
    data = (first + "\n" + body).encode("utf-8")
    if directory is not None:
        path = Path(directory) / (name or f"{number:04d}.txt")
        path.write_bytes(data)
        return path
    return data


@pytest.fixture
def make_essay(db):
    """Create an essay through the real import path."""
    from essays.importing import import_essay_bytes

    def make(number, title, paragraphs, name=None):
        outcome = import_essay_bytes(essay_file(number, title, paragraphs), name or f"{number}-{title}.txt")
        assert outcome.status == "created", outcome
        from essays.models import Essay

        return Essay.objects.get(pk=outcome.essay_id)

    return make
