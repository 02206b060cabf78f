"""python manage.py rebuild_index"""
from django.core.management.base import BaseCommand

from essays.models import Essay
from essays.progress import Progress
from search import service, sync
from search.index import IndexUnavailable


class Command(BaseCommand):
    help = "Rebuild the search index from the database (readers keep the old index until the swap)."

    def handle(self, **options):
        index = service.get_index()
        # Open afresh: a handle cached in this process would hide damage done
        # on disk since, and writing through it would fail.
        index.reset()
        try:
            index.open(create=True)
        except IndexUnavailable as err:
            self.stderr.write(f"{err}; removing the damaged index and starting afresh")
            index.destroy()
        total = Essay.objects.count()
        progress = Progress(total, label="indexing", stream=self.stderr._out)
        docs = (service.essay_doc(e) for e in Essay.objects.all().iterator(chunk_size=500))
        index.write(add=docs, clear=True, progress=progress)
        progress.close()
        # Essays saved while the rebuild ran are brought in step now, and
        # the to-do list is cleared of what the rebuild covered.
        repair = sync.reconcile()
        self.stdout.write(f"indexed {total} essays"
                          + (f"; then repaired {repair.total} changed meanwhile" if repair.total else ""))
