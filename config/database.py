"""The database configuration from the environment (pure: no connection).

ARCHIVE_DATABASE_URL names the primary database:

  (unset)                                   SQLite, DATA_DIR/db.sqlite3 (the embedded default)
  sqlite:////abs/path/db.sqlite3            another SQLite file
  postgres://user:pass@host:5432/archive    PostgreSQL (also postgresql://)
  postgres://user@/archive?host=/run/pg     PostgreSQL on a unix socket (host= query parameter)
  postgres://user@%2Frun%2Fpg/archive       the same, the socket folder percent-encoded as the host

Other query parameters (sslmode, sslrootcert, connect_timeout,
application_name, options, …) are passed to libpq unchanged, as OPTIONS.
ARCHIVE_DATABASE_REPLICA_URLS (comma-separated PostgreSQL URLs) adds the
read replicas "replica1", "replica2", … that config.routers reads from.

ARCHIVE_SEARCH_BACKEND is checked against the database here, at start-up,
so a combination that cannot work is refused before the first request.
"""
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

SQLITE_OPTIONS = {
    # Several web workers and an import may write at once: wait for the
    # lock instead of failing, and let readers proceed during writes.
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}
# A replica that does not answer within this many seconds is skipped
# (config.routers); libpq's own default is to wait for ever.
REPLICA_CONNECT_TIMEOUT = 2
SEARCH_BACKENDS = {"whoosh", "postgres"}


@dataclass(frozen=True)
class DatabaseURL:
    """One parsed URL: Django's ENGINE, NAME, USER, PASSWORD, HOST, PORT, OPTIONS."""

    engine: str
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""
    options: tuple = ()  # (key, value) pairs, in the URL's order

    @property
    def vendor(self):
        return "postgresql" if self.engine.endswith("postgresql") else "sqlite"

    def settings(self, conn_max_age=0, extra_options=None):
        """Django's DATABASES entry for this URL."""
        options = {**dict(self.options), **(extra_options or {})}
        if self.vendor == "sqlite":
            options = {**SQLITE_OPTIONS, **options}
        entry = {"ENGINE": self.engine, "NAME": self.name, "USER": self.user, "PASSWORD": self.password,
                 "HOST": self.host, "PORT": self.port, "OPTIONS": options, "CONN_MAX_AGE": conn_max_age}
        if self.vendor == "postgresql":
            # A kept connection is checked before each request reuses it: a
            # server restart or a connection cut by a proxy costs a reconnect,
            # not a 503 for the next request of every thread.
            entry["CONN_HEALTH_CHECKS"] = True
        return entry

    def redacted(self):
        """The URL as it may be logged: no password."""
        where = self.host or "localhost"
        return f"{self.vendor}://{self.user + '@' if self.user else ''}{where}{':' + self.port if self.port else ''}/{self.name}"


def parse_url(url):
    """A DatabaseURL from `url`; ImproperlyConfigured naming what is wrong."""
    url = (url or "").strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # sqlite:////abs/path → /abs/path ; sqlite:///rel/path → rel/path
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path:
            raise ImproperlyConfigured(f"ARCHIVE_DATABASE_URL {url!r}: a sqlite URL needs a file path")
        return DatabaseURL("django.db.backends.sqlite3", path)
    if scheme not in POSTGRES_SCHEMES:
        raise ImproperlyConfigured(
            f"ARCHIVE_DATABASE_URL {_hide_password(url)!r}: unknown scheme {parts.scheme!r} "
            "(use postgres://user:password@host:5432/dbname, or leave it unset for SQLite)")
    name = unquote(parts.path.lstrip("/"))
    if not name or "/" in name:
        raise ImproperlyConfigured(
            f"ARCHIVE_DATABASE_URL {_hide_password(url)!r}: name the database, as in postgres://host/archive")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"ARCHIVE_DATABASE_URL {_hide_password(url)!r}: the port is not a number")
    # netloc's host, unquoted: a percent-encoded path is a unix-socket folder.
    netloc_host = parts.netloc.rpartition("@")[2]
    if netloc_host.startswith("["):
        host = netloc_host[1:netloc_host.index("]")]
    else:
        host = unquote(netloc_host.rsplit(":", 1)[0] if port is not None else netloc_host)
    options = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "host":
            host = value
        elif key == "port":
            port = value
        elif key in {"user", "password", "dbname"}:
            raise ImproperlyConfigured(
                f"ARCHIVE_DATABASE_URL: give {key} in the URL itself, not as ?{key}=")
        else:
            options.append((key, value))
    return DatabaseURL("django.db.backends.postgresql", name, unquote(parts.username or ""),
                       unquote(parts.password or ""), host, "" if port is None else str(port), tuple(options))


def _hide_password(url):
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(":" + parts.password + "@", ":***@", 1)


def databases(environ, data_dir, conn_max_age=0):
    """DATABASES from the environment: "default" (the primary) and one
    "replicaN" alias per replica URL (tests use the primary for them)."""
    primary = parse_url(environ["ARCHIVE_DATABASE_URL"]) if environ.get("ARCHIVE_DATABASE_URL", "").strip() \
        else DatabaseURL("django.db.backends.sqlite3", data_dir / "db.sqlite3")
    out = {"default": primary.settings(conn_max_age)}
    replicas = [u.strip() for u in environ.get("ARCHIVE_DATABASE_REPLICA_URLS", "").split(",") if u.strip()]
    if replicas and primary.vendor != "postgresql":
        raise ImproperlyConfigured(
            "ARCHIVE_DATABASE_REPLICA_URLS needs a PostgreSQL primary: set ARCHIVE_DATABASE_URL to it "
            "(SQLite has no replicas)")
    for number, url in enumerate(replicas, start=1):
        replica = parse_url(url)
        if replica.vendor != "postgresql":
            raise ImproperlyConfigured(f"ARCHIVE_DATABASE_REPLICA_URLS: replica {number} is not a PostgreSQL URL")
        extra = {} if "connect_timeout" in dict(replica.options) else {"connect_timeout": REPLICA_CONNECT_TIMEOUT}
        entry = replica.settings(conn_max_age, extra)
        entry["TEST"] = {"MIRROR": "default"}
        out[f"replica{number}"] = entry
    return out


def search_backend(environ, databases_setting):
    """ARCHIVE_SEARCH_BACKEND (default whoosh), refused at start-up where
    it cannot work."""
    backend = (environ.get("ARCHIVE_SEARCH_BACKEND") or "whoosh").strip().lower()
    if backend not in SEARCH_BACKENDS:
        raise ImproperlyConfigured(
            f"ARCHIVE_SEARCH_BACKEND={backend!r}: choose one of {', '.join(sorted(SEARCH_BACKENDS))}")
    if backend == "postgres":
        if not databases_setting["default"]["ENGINE"].endswith("postgresql"):
            raise ImproperlyConfigured(
                "ARCHIVE_SEARCH_BACKEND=postgres searches in the PostgreSQL database, but the database is "
                "SQLite: set ARCHIVE_DATABASE_URL=postgres://… too, or use ARCHIVE_SEARCH_BACKEND=whoosh")
        raise ImproperlyConfigured(
            "ARCHIVE_SEARCH_BACKEND=postgres: the PostgreSQL search backend is not part of this version yet; "
            "use ARCHIVE_SEARCH_BACKEND=whoosh (the default) with the PostgreSQL database")
    return backend
