"""The gunicorn worker the site runs on (config/gunicorn.py)."""
import logging
import os
import threading
import time
import weakref

from gunicorn.workers.gthread import ThreadWorker

log = logging.getLogger(__name__)

# Seconds without a request after which a worker closes its database connections.
IDLE_CLOSE = 1.0


class ThreadWorkerClosingIdleConnections(ThreadWorker):
    """gunicorn's threaded worker (gthread: a main loop accepting
    connections, a pool of threads serving requests), whose threads keep
    their database connections from one request to the next while busy
    (CONN_MAX_AGE, config.production), all closed once the worker has gone
    IDLE_CLOSE seconds without a request.

    Threads, so that a slow client (one trickling its headers, say) holds
    one thread of a worker instead of the whole worker, as it did with the
    sync worker. Opening a SQLite connection for every request (Django's
    default) cost about a tenth of a search's server time. Closing them
    when idle keeps what per-request connections gave: an idle server holds
    the database file open nowhere (SQLite then removes its -wal and -shm
    files), and a change to the data directory's permissions, or a database
    file replaced by a restore, is seen at the next request after a pause,
    not only after a connection's maximum age.

    Django keeps a connection per thread. The main loop alone hands
    requests to the threads and hears when each is done, so when it counts
    none in flight no thread is using its connection, and it closes every
    thread's (close_connections)."""

    def init_process(self):
        keep_only_writable_connections()
        self._in_flight = 0
        self._last_done = time.monotonic()
        super().init_process()

    # These three run in the main loop's thread only.
    def enqueue_req(self, conn):
        self._in_flight += 1
        super().enqueue_req(conn)

    def finish_request(self, conn, fs):
        self._in_flight -= 1
        self._last_done = time.monotonic()
        super().finish_request(conn, fs)

    def wait_for_and_dispatch_events(self, timeout):
        super().wait_for_and_dispatch_events(min(timeout, IDLE_CLOSE))
        if self._in_flight == 0 and time.monotonic() - self._last_done >= IDLE_CLOSE and _opened:
            close_connections()


_opened = weakref.WeakSet()  # connection wrappers that opened a connection, in any thread
_opened_lock = threading.Lock()


def close_connections():
    """Close this process's database connections, every thread's (a
    failure is logged: the next request opens a fresh one anyway). Only
    while no request is being served: another thread's connection is
    closed under it otherwise."""
    from django.db import connections

    with _opened_lock:
        opened = list(_opened)
        _opened.clear()
    for conn in opened:
        conn.inc_thread_sharing()  # Django refuses to close another thread's connection otherwise
        try:
            conn.close()
        except Exception:
            log.warning("closing an idle database connection failed", exc_info=True)
        finally:
            conn.dec_thread_sharing()
    try:
        connections.close_all()  # this thread's, including any opened before keep_only_writable_connections
    except Exception:
        log.warning("closing an idle database connection failed", exc_info=True)


def keep_only_writable_connections():
    """Note every connection opened (for close_connections), and keep none
    past its request if it was opened while this process could not write
    the database (file, directory or an existing -wal/-shm): SQLite then
    opens it read-only for good, and a connection kept from a read-only
    spell would refuse every write after the storage is writable again, for
    as long as requests keep coming."""
    from django.core.signals import request_finished
    from django.db.backends.signals import connection_created

    connection_created.connect(_note_opened, dispatch_uid="config.workers.opened")
    connection_created.connect(_note_writability, dispatch_uid="config.workers.note")
    request_finished.connect(_close_unwritable, dispatch_uid="config.workers.close")


def _note_opened(sender, connection, **kwargs):
    with _opened_lock:
        _opened.add(connection)


def _note_writability(sender, connection, **kwargs):
    if connection.vendor != "sqlite":
        return
    path = str(connection.settings_dict["NAME"])
    paths = [path, os.path.dirname(path) or "."] + [p for p in (path + "-wal", path + "-shm") if os.path.exists(p)]
    connection.opened_unwritable = not all(os.access(p, os.W_OK) for p in paths)


def _close_unwritable(**kwargs):
    """At the end of a request, in its thread: that thread's connections."""
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        if getattr(conn, "opened_unwritable", False):
            conn.close()
