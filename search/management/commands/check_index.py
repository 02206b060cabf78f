"""python manage.py check_index [--fix]"""
from django.core.management.base import BaseCommand

from core.progress import Progress
from search import service


def _ids(ids):
    shown = ", ".join(str(i) for i in ids[:20])
    return shown + (f", … ({len(ids)} in all)" if len(ids) > 20 else "")


class Command(BaseCommand):
    help = ("Report essays missing from or stale in the search index, and essays still waiting for an "
            "index update; --fix repairs them.")

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="repair what is found")

    def handle(self, fix=False, **options):
        try:
            missing, stale, orphans = service.drift()
        except service.IndexUnavailable as err:
            self.stderr.write(f"{err}. Run `python manage.py rebuild_index` to restore it.")
            raise SystemExit(2)
        waiting = sorted(service.pending_essays())
        for label, ids in (("missing from the index", missing), ("stale in the index", stale),
                           ("in the index but not in the database", orphans),
                           ("waiting for an index update", waiting)):
            if ids:
                self.stdout.write(f"{len(ids)} essays {label}: {_ids(ids)}")
        if not (missing or stale or orphans or waiting):
            self.stdout.write("index is in step with the database")
            return
        if not fix:
            self.stdout.write("run with --fix to repair")
            raise SystemExit(1)
        service.reconcile(progress_factory=lambda n: Progress(n, label="repairing", stream=self.stderr._out))
        missing, stale, orphans = service.drift()
        if missing or stale or orphans:
            self.stderr.write("drift remains after repair")
            raise SystemExit(1)
        self.stdout.write("repaired; index is in step with the database")
