"""gunicorn settings for `make serve` (see config.production).

The app is loaded once in the master (preload) so Django, the settings and
jieba's dictionary are shared by the workers; each worker opens the search
index itself after the fork, since open index files must not be shared."""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
preload_app = True
# The sync worker, keeping its database connection while busy and closing it
# when idle (see config.workers).
worker_class = "config.workers.SyncWorkerClosingIdleConnections"
# gunicorn 27's control socket would live in $HOME, outside the data
# directory, and a second instance under the same user takes it over.
control_socket_disable = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # seconds a request may hold a worker
# The request line may be as long as gunicorn allows (its default is 4094
# bytes): a search of 500 Chinese characters, the form's limit, is some
# 4,500 bytes percent-encoded (6,000 for characters of four UTF-8 bytes)
# and must reach the form, which answers it or explains, not a bare 414.
limit_request_line = 8190
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")


def pre_fork(server, worker):
    """Move everything the master loaded out of the garbage collector's
    reach: a worker's collections would otherwise write to those objects'
    headers and so copy the shared pages."""
    import gc

    gc.freeze()


def post_worker_init(worker):
    """Load the index's reading view before the first request arrives, then
    freeze it too: its lists and dicts live as long as the worker, and
    every full collection would walk them again (about a sixth of a
    search's time at 20,000 essays)."""
    import gc

    try:
        from search import service

        service.warm_up()
    except Exception:  # a missing index is reported per request, clearly
        worker.log.exception("search warm-up failed")
    gc.freeze()


def worker_exit(server, worker):
    """Close the worker's database connection as it exits (kept between
    requests while busy): SQLite then cleans up its -wal and -shm files."""
    from config.workers import close_connections

    close_connections()
