"""Read replicas: which database a query goes to (settings.DATABASE_ROUTERS
lists ReplicaRouter when ARCHIVE_DATABASE_REPLICA_URLS names replicas).

The rule, safe by default:
- Every write goes to the primary ("default"), and so does every read
  outside a request (management commands, imports, the index catch-up
  thread), inside a transaction, or of another app than the essays (users,
  sessions, the admin's log, the index to-do list).
- A GET or HEAD request outside the admin reads the essays from one
  replica, picked at random among the healthy ones and kept for the whole
  request, so one page never mixes two replicas' states.
- A request that wrote (any db_for_write) reads from the primary for the
  rest of it, and sets a cookie that sends the same client's reads to the
  primary for REPLICA_PIN_SECONDS: the page after a save, or the list
  after an upload, shows what was just written even while the replicas
  have not replayed it yet. The admin always reads from the primary.
- A replica is healthy when it answers within its connect_timeout (2 s
  unless its URL says otherwise), is in recovery (still following the
  primary) and its replay is at most REPLICA_MAX_LAG seconds behind. The
  answer is kept for REPLICA_CHECK_SECONDS; a replica that failed is
  skipped for REPLICA_RETRY_SECONDS. Before a request relies on its
  replica, its thread's connection to it is checked (or opened): one that
  went away since the last answer is skipped at once. With none healthy,
  reads go to the primary.

The lag figure: 0 while the replica has replayed everything it received and
its WAL receiver streams; otherwise the age of the last transaction it
replayed (pg_last_xact_replay_timestamp()). After a quiet spell that age
overstates the lag (the last transaction may be old), so the first reads
after the primary wakes up may go to the primary: safe, not wrong.
"""
import contextvars
import logging
import random
import threading
import time

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

log = logging.getLogger(__name__)

REPLICA_APPS = {"essays"}
PIN_COOKIE = "archive_primary"
READ_METHODS = {"GET", "HEAD", "OPTIONS"}

LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
                 AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver
                             WHERE pid IS NOT NULL AND COALESCE(status, 'streaming') = 'streaming')
            THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9)
       END
"""


class _Route:
    """What one request may read from, and whether it wrote."""

    __slots__ = ("replica_ok", "replica", "wrote")

    def __init__(self, replica_ok):
        self.replica_ok = replica_ok
        self.replica = None  # chosen at the first read: an alias, or DEFAULT_DB_ALIAS
        self.wrote = False


_route = contextvars.ContextVar("config.routers.route", default=None)


def replica_aliases():
    return [alias for alias in settings.DATABASES if alias != DEFAULT_DB_ALIAS]


class _Health:
    """Each replica's last known health, shared by a process's threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._known = {}  # alias -> (healthy, trusted until: time.monotonic())

    def healthy(self, alias):
        now = time.monotonic()
        with self._lock:
            known = self._known.get(alias)
        if known is not None and known[1] > now:
            return known[0]
        ok, why = probe(alias)
        return self.note(alias, ok, why)

    def note(self, alias, ok, why=""):
        """Record an answer about a replica (logged when it changes)."""
        wait = settings.REPLICA_CHECK_SECONDS if ok else settings.REPLICA_RETRY_SECONDS
        with self._lock:
            was = self._known.get(alias)
            self._known[alias] = (ok, time.monotonic() + wait)
        if not ok and (was is None or was[0]):
            log.warning("replica %s skipped for %g s: %s; reads go to another replica or the primary",
                        alias, wait, why)
        elif ok and was is not None and not was[0]:
            log.info("replica %s is back", alias)
        return ok

    def forget(self, alias):
        """Check this replica again before its next use (a request on it failed)."""
        with self._lock:
            self._known.pop(alias, None)

    def clear(self):
        with self._lock:
            self._known.clear()


health = _Health()


def probe(alias):
    """(healthy, reason) for one replica, asked on this thread's connection
    to it (closed when the answer is no)."""
    conn = connections[alias]
    try:
        with conn.cursor() as cursor:
            cursor.execute(LAG_SQL)
            in_recovery, lag = cursor.fetchone()
    except DatabaseError as err:
        _close_quietly(conn)
        return False, f"not reachable ({str(err).strip() or type(err).__name__})"
    if not in_recovery:
        _close_quietly(conn)
        return False, "not in recovery (not a replica of the primary, or promoted)"
    if float(lag) > settings.REPLICA_MAX_LAG:
        return False, f"replay {float(lag):.1f} s behind (more than ARCHIVE_REPLICA_MAX_LAG={settings.REPLICA_MAX_LAG:g})"
    return True, ""


def _close_quietly(conn):
    try:
        conn.close()
    except DatabaseError:
        pass


def _choose():
    aliases = replica_aliases()
    random.shuffle(aliases)
    for alias in aliases:
        if health.healthy(alias) and _connected(alias):
            return alias
    return DEFAULT_DB_ALIAS


def _connected(alias):
    """This thread's connection to the replica works, before the request
    relies on it: a kept one the server cut since the last health answer
    (Django's CONN_HEALTH_CHECKS test, done here instead of at the
    request's first query) is replaced, and a replica that went away since
    is skipped now rather than failing this request."""
    conn = connections[alias]
    try:
        conn.close_if_health_check_failed()
        conn.ensure_connection()
        return True
    except DatabaseError as err:
        _close_quietly(conn)
        health.note(alias, False, f"not reachable ({str(err).strip() or type(err).__name__})")
        return False


class ReplicaRouter:
    """Django's database router for the rule in the module docstring."""

    def db_for_read(self, model, **hints):
        route = _route.get()
        if route is None or not route.replica_ok or route.wrote or model._meta.app_label not in REPLICA_APPS:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        if route.replica is None:
            route.replica = _choose()
        return route.replica

    def db_for_write(self, model, **hints):
        route = _route.get()
        if route is not None:
            route.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas hold the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # replicas follow the primary's schema


class ReplicaPinMiddleware:
    """Sets the request's route for ReplicaRouter, and the cookie that keeps
    a client that wrote on the primary. Not used without replicas."""

    def __init__(self, get_response):
        if not replica_aliases():
            raise MiddlewareNotUsed
        self.get_response = get_response
        self._admin_prefix = None

    def _replica_ok(self, request):
        if request.method not in READ_METHODS or PIN_COOKIE in request.COOKIES:
            return False
        if self._admin_prefix is None:
            from django.urls import reverse

            self._admin_prefix = reverse("admin:index")
        return not request.path.startswith(self._admin_prefix)

    def __call__(self, request):
        route = _Route(self._replica_ok(request))
        token = _route.set(route)
        try:
            response = self.get_response(request)
        finally:
            _route.reset(token)
        if route.replica not in (None, DEFAULT_DB_ALIAS) and response.status_code >= 500:
            health.forget(route.replica)  # possibly the replica's fault: ask it again first
        if route.wrote:
            response.set_cookie(PIN_COOKIE, "1", max_age=max(1, round(settings.REPLICA_PIN_SECONDS)),
                                httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        # Tells which database served the request's reads (tests, operators).
        response["X-Archive-Read-From"] = route.replica or DEFAULT_DB_ALIAS
        return response
