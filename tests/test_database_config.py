"""config.database: ARCHIVE_DATABASE_URL, the replicas and the search
backend check, parsed from the environment (pure), and the settings as a
real start-up reads them (a fresh interpreter)."""
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import database
from config.database import SQLITE_OPTIONS, databases, parse_url, search_backend

ROOT = Path(__file__).resolve().parent.parent


def test_default_is_the_sqlite_file_under_the_data_directory_with_its_options():
    dbs = databases({}, Path("/data"))
    assert list(dbs) == ["default"]
    assert dbs["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert dbs["default"]["NAME"] == Path("/data/db.sqlite3")
    assert dbs["default"]["OPTIONS"] == SQLITE_OPTIONS
    assert "CONN_HEALTH_CHECKS" not in dbs["default"]


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgres_url_with_options_passed_to_libpq(scheme):
    url = parse_url(f"{scheme}://arch%40ive:p%3Ass@db.example.org:6543/archive?sslmode=verify-full&application_name=web")
    entry = url.settings(conn_max_age=60)
    assert entry["ENGINE"] == "django.db.backends.postgresql"
    assert (entry["NAME"], entry["USER"], entry["PASSWORD"], entry["HOST"], entry["PORT"]) == (
        "archive", "arch@ive", "p:ss", "db.example.org", "6543")
    assert entry["OPTIONS"] == {"sslmode": "verify-full", "application_name": "web"}
    assert entry["CONN_MAX_AGE"] == 60 and entry["CONN_HEALTH_CHECKS"] is True
    assert "p:ss" not in url.redacted()


@pytest.mark.parametrize("url", ["postgres://archive@/archive?host=/run/postgresql&port=5433",
                                 "postgres://archive@%2Frun%2Fpostgresql:5433/archive"])
def test_unix_socket_host(url):
    entry = parse_url(url).settings()
    assert (entry["HOST"], entry["PORT"], entry["USER"], entry["OPTIONS"]) == ("/run/postgresql", "5433", "archive", {})


def test_ipv6_host():
    entry = parse_url("postgres://u@[::1]:5432/a").settings()
    assert (entry["HOST"], entry["PORT"]) == ("::1", "5432")


@pytest.mark.parametrize("url, words", [
    ("mysql://u@h/db", "unknown scheme"),
    ("postgres://u@h", "name the database"),
    ("postgres://u@h:port/db", "port is not a number"),
    ("postgres://u@h/db?password=x", "in the URL itself"),
])
def test_bad_urls_are_refused_saying_why(url, words):
    with pytest.raises(ImproperlyConfigured, match=words):
        parse_url(url)


def test_a_password_is_not_repeated_in_the_refusal():
    with pytest.raises(ImproperlyConfigured) as err:
        parse_url("mysql://u:secret@h/db")
    assert "secret" not in str(err.value)


def test_replicas_become_aliases_that_tests_mirror_to_the_primary():
    dbs = databases({"ARCHIVE_DATABASE_URL": "postgres://u:p@primary/archive",
                     "ARCHIVE_DATABASE_REPLICA_URLS": "postgres://u:p@r1/archive, postgres://u:p@r2/archive?connect_timeout=7"},
                    Path("/data"), conn_max_age=30)
    assert list(dbs) == ["default", "replica1", "replica2"]
    assert dbs["replica1"]["HOST"] == "r1" and dbs["replica1"]["OPTIONS"] == {"connect_timeout": 2}
    assert dbs["replica2"]["OPTIONS"] == {"connect_timeout": "7"}
    assert dbs["replica1"]["TEST"] == {"MIRROR": "default"} and dbs["replica2"]["CONN_MAX_AGE"] == 30


def test_replicas_need_a_postgres_primary():
    with pytest.raises(ImproperlyConfigured, match="needs a PostgreSQL primary"):
        databases({"ARCHIVE_DATABASE_REPLICA_URLS": "postgres://u@r1/archive"}, Path("/data"))


def test_search_backend_checks():
    sqlite = databases({}, Path("/data"))
    pg = databases({"ARCHIVE_DATABASE_URL": "postgres://u@h/a"}, Path("/data"))
    assert search_backend({}, sqlite) == "whoosh" and search_backend({"ARCHIVE_SEARCH_BACKEND": "whoosh"}, pg) == "whoosh"
    with pytest.raises(ImproperlyConfigured, match="the database is SQLite"):
        search_backend({"ARCHIVE_SEARCH_BACKEND": "postgres"}, sqlite)
    with pytest.raises(ImproperlyConfigured, match="not part of this version yet"):
        search_backend({"ARCHIVE_SEARCH_BACKEND": "postgres"}, pg)
    with pytest.raises(ImproperlyConfigured, match="choose one of"):
        search_backend({"ARCHIVE_SEARCH_BACKEND": "lucene"}, sqlite)


def _start(code, **env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_", "DJANGO_"))}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**environ, **env})


def test_start_up_refuses_postgres_search_on_sqlite():
    done = _start("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()",
                  ARCHIVE_SEARCH_BACKEND="postgres")
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "the database is SQLite" in done.stderr


def test_production_keeps_connections_of_every_database():
    code = ("import os; os.environ['DJANGO_SETTINGS_MODULE']='config.production'; from django.conf import settings; "
            "print({k: (v['CONN_MAX_AGE'], v.get('CONN_HEALTH_CHECKS')) for k, v in settings.DATABASES.items()}, "
            "settings.DATABASE_ROUTERS)")
    done = _start(code, DJANGO_SECRET_KEY="k" * 10 + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
                  ARCHIVE_DATABASE_URL="postgres://u@h/a", ARCHIVE_DATABASE_REPLICA_URLS="postgres://u@r/a")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("{'default': (60, True), 'replica1': (60, True)} "
                                   "['config.routers.ReplicaRouter']")


def test_the_sqlite_writability_check_skips_postgres(tmp_path):
    from config.workers import _note_writability

    conn = SimpleNamespace(vendor="postgresql", settings_dict={"NAME": "archive"})
    _note_writability(None, conn)
    assert not hasattr(conn, "opened_unwritable")  # no file to check: never closed for it
    target = tmp_path / "db.sqlite3"
    target.touch()
    lite = SimpleNamespace(vendor="sqlite", settings_dict={"NAME": str(target)})
    _note_writability(None, lite)
    assert lite.opened_unwritable is False


def test_without_a_request_every_read_goes_to_the_primary():
    """Management commands, imports and the catch-up thread read from the
    primary: only a request's route (config.routers) picks a replica."""
    from config.routers import ReplicaRouter
    from essays.models import Essay

    router = ReplicaRouter()
    assert router.db_for_read(Essay) == "default" and router.db_for_write(Essay) == "default"
    assert router.allow_migrate("replica1", "essays") is False and router.allow_migrate("default", "essays")
    assert database.REPLICA_CONNECT_TIMEOUT == 2
