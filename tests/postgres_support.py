"""A real PostgreSQL server for the tests (a pytest plugin, loaded by
tests/conftest.py).

`postgres_cluster` (session): a throwaway cluster (config.pgcluster's
TemporaryCluster) on a free 127.0.0.1 port in a folder under /tmp that the
`postgres` user can use (pytest's own temp folder is 0700 and root's),
stopped and removed when the session ends. Where the server binaries are
missing it skips, loudly and with the install command; with CI=true it
fails instead, so CI can never pass without having run these tests.

`--postgres` (or ARCHIVE_TEST_POSTGRES=1) runs the Django tests themselves
on that server: Django's test database (test_archive) is created there
instead of in SQLite. `make test` runs the database-facing test files a
second time that way.
"""
import os
import warnings

import pytest

from config import pgcluster
from config.database import parse_url

_state = {"cluster": None, "error": None}


def pytest_addoption(parser):
    parser.addoption("--postgres", action="store_true", default=False,
                     help="run the Django tests on a throwaway PostgreSQL server instead of SQLite")


def on_postgres(config):
    return config.getoption("--postgres") or os.environ.get("ARCHIVE_TEST_POSTGRES", "") in {"1", "true", "yes"}


def pytest_report_header(config):
    if on_postgres(config):
        return "database: PostgreSQL (a throwaway cluster, --postgres)"
    return None


def _cluster():
    """The session's cluster, started on first use."""
    if _state["cluster"] is None and _state["error"] is None:
        try:
            _state["cluster"] = pgcluster.TemporaryCluster().start()
        except pgcluster.ClusterError as err:
            _state["error"] = str(err)
    if _state["error"] is not None:
        message = f"PostgreSQL tests cannot run: {_state['error']}"
        if pgcluster.INSTALL_HINT not in message:
            message += f"\n  install the server: {pgcluster.INSTALL_HINT}"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + "\n  (CI=true: failing rather than skipping)", pytrace=False)
        warnings.warn(message)
        pytest.skip("SKIPPED LOUDLY — " + message)
    return _state["cluster"]


def pytest_unconfigure(config):
    cluster = _state["cluster"]
    if cluster is not None:
        cluster.close()
        _state["cluster"] = None


@pytest.fixture(scope="session")
def postgres_cluster():
    """The started TemporaryCluster (primary; add_replica() for a replica)."""
    return _cluster()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request, django_db_modify_db_settings_parallel_suffix):
    """With --postgres: Django's "default" database is the throwaway
    server's, before pytest-django creates the test database."""
    if not on_postgres(request.config):
        return
    cluster = _cluster()
    from django.conf import settings
    from django.db import connections

    entry = settings.DATABASES["default"]
    entry.clear()
    entry.update(parse_url(cluster.primary.url()).settings())
    connections.configure_settings(settings.DATABASES)
    try:
        del connections["default"]  # a wrapper made before now would still be SQLite's
    except AttributeError:
        pass
