"""python manage.py rebuild_index"""
from django.core.management.base import BaseCommand

from core.progress import Progress
from search import service


class Command(BaseCommand):
    help = "Rebuild the search index from the database (readers keep the old index until the swap)."

    def handle(self, **options):
        total = service.rebuild(
            progress_factory=lambda n: Progress(n, label="indexing", stream=self.stderr._out),
            on_damage=lambda message: self.stderr.write(f"{message}; removing the damaged index and starting afresh"))
        # Essays saved while the rebuild ran are brought in step now, and
        # the to-do list is cleared of what the rebuild covered.
        repair = service.reconcile()
        self.stdout.write(f"indexed {total} essays"
                          + (f"; then repaired {repair.total} changed meanwhile" if repair.total else ""))
