"""The one place that keeps the index in step with the database.

Saving or deleting an Essay lists it in the durable to-do list
(search.queue) in the same transaction, and schedules an index update for
after the commit. Inside `batched_indexing()` (bulk imports, uploads)
updates are collected and written together at the end of the block, within
an optional time budget; what the budget leaves, or what fails, stays
listed. `catch_up()` drains the list: server processes run it in the
background (`start_catching_up`), and the import command, `rebuild_index`
and `check_index --fix` end with it. `reconcile()` compares the database
with the index and repairs drift.
"""
import fcntl
import logging
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections, transaction

from . import documents, indexing, queue
from .backends.base import IndexUnavailable

log = logging.getLogger(__name__)
_state = threading.local()


class _Batch:
    def __init__(self):
        self.touched = set()
        self.error = None  # why the index could not be brought in step, if so
        self.pending = set()  # essay ids still waiting for the index after the block

    def touch(self, essay_id):
        """Make sure this essay is in step at the end of the batch, whether
        or not it was saved (an unchanged file may still be missing from an
        index that a killed run left behind)."""
        if essay_id is not None:
            self.touched.add(essay_id)


@contextmanager
def batched_indexing(enabled=True, progress_factory=None, seconds=None):
    """Collect index updates for the block and apply them at its end;
    `progress_factory(total)`, if given, makes the progress bar of that
    final indexing step. With `seconds`, the indexing stops once that much
    time has passed since the block began: what is left stays in the
    to-do list for the background catch-up, and `batch.pending` names it."""
    outer = getattr(_state, "batch", None)
    if outer is not None:  # nested: the outer block applies everything
        yield outer
        return
    if not enabled:
        yield _Batch()
        return
    deadline = time.monotonic() + seconds if seconds is not None else None
    batch = _state.batch = _Batch()
    try:
        yield batch
    finally:
        _state.batch = None
    try:
        # Essays listed by earlier work that died are taken along.
        ids = batch.touched | queue.pending_essays()
        batch.pending = set(reconcile(ids=ids, progress_factory=progress_factory, deadline=deadline).left)
    except Exception as err:
        # The essays are saved and listed: the catch-up brings them in step.
        # Callers report batch.error to the person who asked for the work.
        log.exception("could not update the search index for %d essays; they stay listed for the "
                      "background catch-up (or run check_index --fix)",
                      len(batch.touched))
        batch.error = f"{type(err).__name__}: {err}"
        batch.pending = queue.pending_essays(batch.touched)


def _on_change(sender, instance, **kwargs):
    """A saved or deleted essay: listed in this transaction; _apply looks
    at the database after the commit, so one handler serves both."""
    pk = instance.pk
    if pk is None:
        return
    queue.enqueue(pk)
    batch = getattr(_state, "batch", None)
    if batch is not None:
        batch.touch(pk)
        return
    transaction.on_commit(lambda: _apply(pk))


def _index_lost(ids):
    """True when the index is missing although essays other than `ids` exist:
    its directory was lost. Writing these essays would then create a fresh
    index holding only them, and searches would answer with confident wrong
    counts instead of 503. So nothing is written: searches keep saying the
    index is unavailable until rebuild_index builds it whole. (With no other
    essays, as on a first import, creating the index here is right.)"""
    if indexing.index_exists():
        return False
    return documents.others_exist(ids)


_LOST = "the search index is missing; not indexing essays %s. Run `python manage.py rebuild_index`"


def _apply(pk):
    """Index one essay as the database has it now (or remove it). A failure
    here must not undo the editor's saved work: it is logged, the essay
    stays listed, and the catch-up retries it."""
    try:
        seen = [row for row, _essay in queue.rows([pk])]
        if _index_lost([pk]):
            log.error(_LOST, pk)
            return
        essay = documents.essay(pk)
        if essay is None:
            indexing.remove_essays([pk])
        else:
            indexing.index_essays([essay])
        queue.clear(seen)
    except Exception:
        log.exception("could not update the search index for essay %s; it stays listed for the background "
                      "catch-up (or run check_index --fix)", pk)


def drift(ids=None):
    """(missing, stale, orphans): essay ids absent from the index, indexed
    with old content, and indexed but no longer in the database."""
    indexed = indexing.indexed_digests()
    # Only essays the index holds need their content read and hashed (a
    # first import of 20,000 essays reads none here).
    pks = documents.essay_ids(ids)
    missing = [pk for pk in pks if pk not in indexed]
    held = [pk for pk in pks if pk in indexed]
    stale = [essay.pk for essay in documents.essays(held) if indexed[essay.pk] != documents.digest(essay)]
    present = set(pks)
    candidates = indexed.keys() if ids is None else set(ids) & indexed.keys()
    orphans = sorted(set(candidates) - present)
    return missing, stale, orphans


@dataclass(frozen=True)
class Repair:
    """What reconcile found (and repaired), and what it left for later."""

    missing: list
    stale: list
    orphans: list
    left: list = field(default_factory=list)  # out of time: still to index

    @property
    def total(self):
        return len(self.missing) + len(self.stale) + len(self.orphans)


def reconcile(ids=None, progress_factory=None, deadline=None):
    """Repair drift for the given essay ids (None: all), indexing nothing
    after `deadline` (time.monotonic()), and remove from the to-do list
    every row read before the repair whose essay is now in step."""
    if ids is not None and _index_lost(ids):
        log.error(_LOST, ", ".join(str(i) for i in sorted(ids)[:20]))
        raise IndexUnavailable(
            "the search index is missing; run `python manage.py rebuild_index`")
    seen = queue.rows(ids)
    indexing.create_index()
    missing, stale, orphans = drift(ids)
    if orphans:
        indexing.remove_essays(orphans)
    todo = missing + stale
    progress = progress_factory(len(todo)) if (progress_factory and todo) else None
    taken = []
    if todo and (deadline is None or time.monotonic() < deadline):
        indexing.index_essays(documents.essays(todo, deadline=deadline, taken=taken), progress=progress)
    if progress:
        progress.close()
    done = set(taken)
    left = [pk for pk in todo if pk not in done]
    waiting = set(left)
    queue.clear(row for row, essay in seen if essay not in waiting)
    return Repair(missing, stale, orphans, left)


def catch_up(older_than=None, deadline=None):
    """Bring every listed essay in step (those listed at least `older_than`
    seconds ago, if given, so a request still indexing its own changes is
    left to it). Returns the Repair, or None if nothing was listed."""
    ids = {essay for _row, essay in queue.rows(older_than=older_than)}
    if not ids:
        return None
    return reconcile(ids=ids, deadline=deadline)


# -- the background catch-up of a server process ----------------------------
_started = {"pid": None}
_start_lock = threading.Lock()


def start_catching_up():
    """Start this process's catch-up thread, once per process (a forked
    worker starts its own): every SEARCH_CATCH_UP_SECONDS it drains the
    rows at least that old. One process at a time does it (a file lock in
    the data directory); 0 turns it off."""
    interval = settings.SEARCH_CATCH_UP_SECONDS
    if interval <= 0 or _started["pid"] == os.getpid():
        return
    with _start_lock:
        if _started["pid"] == os.getpid():
            return
        _started["pid"] = os.getpid()
        threading.Thread(target=_catch_up_forever, args=(interval,), name="search-catch-up", daemon=True).start()


def _catch_up_forever(interval):
    lock_path = os.path.join(settings.DATA_DIR, "catch-up.lock")
    while True:
        time.sleep(interval)
        try:
            catch_up_once(lock_path, interval)
        except Exception:
            log.exception("background catch-up of the search index failed; retrying in %s s", interval)
        finally:
            connections.close_all()  # this thread's own: nothing else closes them


def catch_up_once(lock_path, older_than):
    """One round of the background catch-up, if no other process is doing
    one (the lock is the kernel's: it goes with a process that dies)."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None  # a read-only data directory: nothing could be written anyway
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        repair = catch_up(older_than=older_than)
        if repair is not None and (repair.total or repair.left):
            log.info("search index caught up: %d essays indexed or removed", repair.total)
        return repair
    finally:
        os.close(fd)


def connect():
    documents.on_change(_on_change, "search.sync")
