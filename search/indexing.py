"""The backend-neutral door to the configured search backend: which backend
(the SEARCH setting), and the writes and reads every caller makes of it
in terms of essays. search.service re-exports all of it for the rest of the
site; search.sync, below the service, uses it directly."""
import threading

from django.conf import settings

from . import documents, queue
from .backends import backend_class
from .documents import essay_doc

_backends = {}
_lock = threading.Lock()


def get_backend():
    """The process's backend for the configured SEARCH setting (one
    instance per configuration, so a test's own index directory gets its
    own)."""
    config = settings.SEARCH
    key = tuple(sorted((k, str(v)) for k, v in config.items()))
    with _lock:
        backend = _backends.get(key)
        if backend is None:
            backend = _backends[key] = backend_class(config["BACKEND"])(config)
        return backend


def index_essays(essays, progress=None):
    """Add or replace these essays in the index."""
    get_backend().add((essay_doc(e) for e in essays), progress=progress)


def remove_essays(ids):
    """Remove these essay ids from the index."""
    get_backend().delete(ids)


def rebuild(progress_factory=None, on_damage=None):
    """Replace the whole index with every essay of the database, in one step
    (readers keep the old index until it is complete); a damaged index is
    removed first, `on_damage(message)` told. `progress_factory(total)`
    makes the progress bar. Returns how many essays were indexed."""
    total = documents.count()
    progress = progress_factory(total) if progress_factory else None
    get_backend().rebuild(documents.all_docs(), progress=progress, on_damage=on_damage)
    if progress:
        progress.close()
    return total


def index_writable():
    """Whether the index can take writes now (checked before an upload, so
    that an upload that could not become searchable saves nothing)."""
    return get_backend().writable()


def index_exists():
    """Whether there is an index at all (readable or not)."""
    return get_backend().exists()


def create_index():
    """Create an empty index if there is none."""
    get_backend().create()


def reset_index():
    """Forget what this process holds open of the index."""
    get_backend().reset()


def pending_essays(ids=None):
    """Of these essay ids (None: any), those whose change the index has
    not taken yet (search.queue): the background catch-up will."""
    return queue.pending_essays(ids)


def indexed_digests():
    """essay id -> digest of the indexed copy."""
    ensure_index()
    return get_backend().indexed_digests()


def index_stats():
    """The backend's figures of what the index holds (for bench)."""
    return ensure_index().stats()


def ensure_index():
    """An archive with no essays yet gets an empty index instead of an
    error, while a missing index beside existing essays is reported
    (IndexUnavailable, from the backend) rather than silently answering
    nothing."""
    backend = get_backend()
    if not backend.exists() and not documents.any_essays():
        backend.create()
    return backend
