"""The gunicorn worker the site runs on (config/gunicorn.py)."""
import logging
import os

from gunicorn.workers.sync import SyncWorker

log = logging.getLogger(__name__)

# Seconds without a request after which a worker closes its database connection.
IDLE_CLOSE = 1.0


class SyncWorkerClosingIdleConnections(SyncWorker):
    """gunicorn's sync worker, keeping its database connection from one
    request to the next while busy (CONN_MAX_AGE, config.production) and
    closing it after IDLE_CLOSE seconds without a request.

    Opening a SQLite connection for every request (Django's default) cost
    about a tenth of a search's server time. Closing it when idle keeps
    what per-request connections gave: an idle server holds the database
    file open nowhere (SQLite then removes its -wal and -shm files), and a
    change to the data directory's permissions, or a database file replaced
    by a restore, is seen at the next request after a pause, not only
    after the connection's maximum age."""

    def init_process(self):
        keep_only_writable_connections()
        super().init_process()

    def wait(self, timeout):
        ready = super().wait(min(timeout, IDLE_CLOSE))
        if not ready:  # no request for IDLE_CLOSE seconds
            close_connections()
        return ready


def close_connections():
    """Close this process's database connections (a failure is logged: the
    next request opens a fresh one anyway)."""
    from django.db import connections

    try:
        connections.close_all()
    except Exception:
        log.warning("closing an idle database connection failed", exc_info=True)


def keep_only_writable_connections():
    """Keep no database connection past its request if it was opened while
    this process could not write the database (file, directory or an
    existing -wal/-shm): SQLite then opens it read-only for good, and a
    connection kept from a read-only spell would refuse every write after
    the storage is writable again, for as long as requests keep coming."""
    from django.core.signals import request_finished
    from django.db.backends.signals import connection_created

    connection_created.connect(_note_writability, dispatch_uid="config.workers.note")
    request_finished.connect(_close_unwritable, dispatch_uid="config.workers.close")


def _note_writability(sender, connection, **kwargs):
    if connection.vendor != "sqlite":
        return
    path = str(connection.settings_dict["NAME"])
    paths = [path, os.path.dirname(path) or "."] + [p for p in (path + "-wal", path + "-shm") if os.path.exists(p)]
    connection.opened_unwritable = not all(os.access(p, os.W_OK) for p in paths)


def _close_unwritable(**kwargs):
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        if getattr(conn, "opened_unwritable", False):
            conn.close()
