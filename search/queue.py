"""The durable to-do list of index updates (search.models.PendingIndex).

search.sync writes a row for an essay in the transaction that saves or
deletes it, and removes it once the index holds the essay as the database
has it. So whatever dies between the commit and the index write (the
request, a worker killed for its timeout, an import, the disk filling up),
the essay stays listed, and whoever drains the list next brings it in step:
the next save, a server process's background catch-up, `import_essays`,
`check_index --fix` or `rebuild_index`.

Rows are never updated, only added and removed by the ids that were read:
a change committed after a drain read the list has a row the drain did not
see, so it stays for the next one.
"""
from datetime import timedelta

from django.utils import timezone

from .models import PendingIndex

_CHUNK = 500  # ids per statement: under SQLite's bound-parameter limit


def enqueue(essay_id):
    """List one essay as needing an index update (call inside the
    transaction that changes it)."""
    PendingIndex.objects.create(essay_id=essay_id)


def rows(ids=None, older_than=None):
    """[(row id, essay id)] of the pending rows, for these essay ids (None:
    all), queued at least `older_than` seconds ago if given."""
    qs = PendingIndex.objects.order_by("id")
    if older_than:
        qs = qs.filter(queued__lte=timezone.now() - timedelta(seconds=older_than))
    if ids is None:
        return list(qs.values_list("id", "essay_id"))
    ids = sorted(set(ids))
    out = []
    for start in range(0, len(ids), _CHUNK):
        out += qs.filter(essay_id__in=ids[start:start + _CHUNK]).values_list("id", "essay_id")
    return sorted(out)


def clear(row_ids):
    """Remove these rows (their essays are now in step)."""
    row_ids = sorted(row_ids)
    for start in range(0, len(row_ids), _CHUNK):
        PendingIndex.objects.filter(id__in=row_ids[start:start + _CHUNK]).delete()


def pending_essays(ids=None):
    """The essay ids (of `ids`, None: any) whose index update is still to do."""
    return {essay_id for _row, essay_id in rows(ids)}


def count():
    """How many distinct essays wait for an index update."""
    return PendingIndex.objects.values("essay_id").distinct().count()
