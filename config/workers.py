"""The gunicorn worker the site runs on (config/gunicorn.py)."""
import logging

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
