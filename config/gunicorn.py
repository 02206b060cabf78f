"""gunicorn settings for `make serve` (see config.production).

The app is loaded once in the master (preload) so Django, the settings and
jieba's dictionary are shared by the workers; each worker opens the search
index itself after the fork, since open index files must not be shared."""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
# Threads per worker: a slow client holds one of them, not a whole worker.
threads = int(os.environ.get("GUNICORN_THREADS", 4))
preload_app = True
# gunicorn's threaded worker (gthread), its threads keeping their database
# connections while busy and closing them when idle (see config.workers).
worker_class = "config.workers.ThreadWorkerClosingIdleConnections"
# gunicorn 27's control socket would live in $HOME, outside the data
# directory, and a second instance under the same user takes it over.
control_socket_disable = True
# With threads, gunicorn's timeout watches the worker's main loop, which
# reports alive at least every second whatever its threads do: a worker is
# restarted when that loop is stuck, not when one request takes long (as
# the sync worker's was).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
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
    """Close the worker's database connections as it exits (kept between
    requests while busy): SQLite then cleans up its -wal and -shm files.
    Not while a thread still serves a request (past the graceful timeout):
    the process's exit closes those."""
    from config.workers import close_connections

    if not getattr(worker, "_in_flight", 0):
        close_connections()
