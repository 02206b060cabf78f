"""python manage.py import_essays PATH [PATH ...]"""
from django.core.management.base import BaseCommand, CommandError

from essays.importing import FAILED, find_essay_files, import_essay_file, summarize
from essays.progress import Progress
from search.sync import batched_indexing


class Command(BaseCommand):
    help = "Import essay files and directories (recursively). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="essay files or directories")
        parser.add_argument("--dry-run", action="store_true", help="parse and report, write nothing")

    def handle(self, paths, dry_run=False, **options):
        files = find_essay_files(paths)
        if not files:
            raise CommandError("no essay files found in: " + ", ".join(paths))
        progress = Progress(len(files), label="importing", stream=self.stderr._out)
        outcomes = []
        # One index writer for the whole run instead of one per essay; the
        # index is brought in step for every file seen, even unchanged ones,
        # so a run that was killed half-way is repaired by the next run.
        def indexing_progress(total):
            return Progress(total, label="indexing", stream=self.stderr._out)

        with batched_indexing(enabled=not dry_run, progress_factory=indexing_progress) as batch:
            for path in files:
                outcome = import_essay_file(path, dry_run=dry_run)
                outcomes.append(outcome)
                batch.touch(outcome.essay_id)
                if outcome.status == FAILED:
                    self.stderr.write(f"FAILED {path}: {outcome.reason}")
                progress.advance()
        progress.close()
        if batch.error:
            self.stderr.write(f"the search index could not be updated ({batch.error}); "
                              "the essays are saved: run `python manage.py check_index --fix`")
        counts = summarize(outcomes)
        prefix = "dry run, nothing written: " if dry_run else ""
        self.stdout.write(prefix + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if counts[FAILED] or batch.error:
            raise SystemExit(1)
