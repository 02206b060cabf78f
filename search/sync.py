"""The one place that keeps the index in step with the database.

Saving or deleting an Essay schedules an index update for after the
transaction commits. Inside `batched_indexing()` (bulk imports) updates are
collected and written together, in chunks, at the end of the block.
`reconcile()` compares the database with the index and repairs drift; the
import command, `rebuild_index` and `check_index --fix` all end with it.
"""
import logging
import threading
from contextlib import contextmanager

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from essays.models import Essay

from . import service

log = logging.getLogger(__name__)
_state = threading.local()


class _Batch:
    def __init__(self):
        self.touched = set()
        self.error = None  # why the index could not be brought in step, if so

    def touch(self, essay_id):
        """Make sure this essay is in step at the end of the batch, whether
        or not it was saved (an unchanged file may still be missing from an
        index that a killed run left behind)."""
        if essay_id is not None:
            self.touched.add(essay_id)


@contextmanager
def batched_indexing(enabled=True, progress_factory=None):
    """Collect index updates for the block and apply them at its end;
    `progress_factory(total)`, if given, makes the progress bar of that
    final indexing step."""
    outer = getattr(_state, "batch", None)
    if outer is not None:  # nested: the outer block applies everything
        yield outer
        return
    if not enabled:
        yield _Batch()
        return
    batch = _state.batch = _Batch()
    try:
        yield batch
    finally:
        _state.batch = None
    try:
        reconcile(ids=batch.touched, progress_factory=progress_factory)
    except Exception as err:
        # The essays are saved; the index lags until check_index --fix.
        # Callers report batch.error to the person who asked for the work.
        log.exception("could not update the search index for %d essays; run check_index --fix",
                      len(batch.touched))
        batch.error = f"{type(err).__name__}: {err}"


def _on_change(sender, instance, **kwargs):
    """A saved or deleted essay: _apply looks at the database after the
    commit, so one handler serves both."""
    batch = getattr(_state, "batch", None)
    if batch is not None:
        batch.touch(instance.pk)
        return
    pk = instance.pk
    transaction.on_commit(lambda: _apply(pk))


def _index_lost(ids):
    """True when the index is missing although essays other than `ids` exist:
    its directory was lost. Writing these essays would then create a fresh
    index holding only them, and searches would answer with confident wrong
    counts instead of 503. So nothing is written: searches keep saying the
    index is unavailable until rebuild_index builds it whole. (With no other
    essays, as on a first import, creating the index here is right.)"""
    if service.get_index().exists():
        return False
    return Essay.objects.exclude(pk__in=list(ids)).exists()


_LOST = "the search index is missing; not indexing essays %s. Run `python manage.py rebuild_index`"


def _apply(pk):
    """Index one essay as the database has it now (or remove it). A failure
    here must not undo the editor's saved work: it is logged, and
    check_index finds and repairs the drift."""
    try:
        if _index_lost([pk]):
            log.error(_LOST, pk)
            return
        essay = Essay.objects.filter(pk=pk).first()
        if essay is None:
            service.remove_essays([pk])
        else:
            service.index_essays([essay])
    except Exception:
        log.exception("could not update the search index for essay %s; run check_index --fix", pk)


def drift(ids=None):
    """(missing, stale, orphans): essay ids absent from the index, indexed
    with old content, and indexed but no longer in the database."""
    indexed = service.indexed_digests()
    rows = Essay.objects.in_order()
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    # Only essays the index holds need their content read and hashed (a
    # first import of 20,000 essays reads none here).
    pks = list(rows.values_list("pk", flat=True))
    missing = [pk for pk in pks if pk not in indexed]
    held = [pk for pk in pks if pk in indexed]
    stale = [essay.pk for essay in _essays(held) if indexed[essay.pk] != essay.search_digest()]
    present = set(pks)
    candidates = indexed.keys() if ids is None else set(ids) & indexed.keys()
    orphans = sorted(set(candidates) - present)
    return missing, stale, orphans


def _essays(ids, chunk=500):
    """The essays with these ids, read from the database a chunk at a time
    so a 20,000-essay repair never holds them all in memory."""
    for start in range(0, len(ids), chunk):
        rows = Essay.objects.in_bulk(ids[start:start + chunk])
        yield from (rows[k] for k in ids[start:start + chunk] if k in rows)


def reconcile(ids=None, progress_factory=None):
    """Repair drift for the given essay ids (None: all). Returns the drift
    that was found and repaired."""
    if ids is not None and _index_lost(ids):
        log.error(_LOST, ", ".join(str(i) for i in sorted(ids)[:20]))
        raise service.IndexUnavailable(
            "the search index is missing; run `python manage.py rebuild_index`")
    service.get_index().open(create=True)
    missing, stale, orphans = drift(ids)
    todo = missing + stale
    progress = progress_factory(len(todo)) if (progress_factory and todo) else None
    if todo:
        service.index_essays(_essays(todo), progress=progress)
    if orphans:
        service.remove_essays(orphans)
    if progress:
        progress.close()
    return missing, stale, orphans


def connect():
    post_save.connect(_on_change, sender=Essay, dispatch_uid="search.sync.save")
    post_delete.connect(_on_change, sender=Essay, dispatch_uid="search.sync.delete")
