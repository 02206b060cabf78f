"""python manage.py import_essays PATH [PATH ...] [--metadata FILE] [--dry-run] [--overwrite-edits]"""
from django.core.management.base import BaseCommand, CommandError

from essays.importing import (FAILED, KEPT, find_essay_files, find_manifests, import_essay_file, metadata_by_file,
                              read_manifest_file, summarize)
from essays.manifest import ManifestError
from core.progress import Progress
from search.service import batched_indexing


class Command(BaseCommand):
    help = ("Import essay files and directories (recursively), with publication metadata from "
            "each directory's metadata.csv and --metadata. Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="essay files or directories")
        parser.add_argument("--metadata", action="append", default=[], metavar="FILE",
                            help="a CSV manifest (file,date,source,author,column,url); may be repeated")
        parser.add_argument("--dry-run", action="store_true", help="parse and report, write nothing")
        parser.add_argument("--overwrite-edits", action="store_true",
                            help="replace essays edited in the admin with their files' text (else they are kept)")

    def handle(self, paths, metadata=(), dry_run=False, overwrite_edits=False, **options):
        files = find_essay_files(paths)
        if not files:
            raise CommandError("no essay files found in: " + ", ".join(paths))
        manifests, problems = [], []
        for path in find_manifests(paths) + list(metadata):
            try:
                manifests.append(read_manifest_file(path))
            except ManifestError as err:
                # A manifest that cannot be used: the files are imported
                # without it (their metadata stays as it was).
                problems.append(f"{err.reason}; this manifest was not used")
        by_name, row_problems = metadata_by_file(manifests, [p.name for p in files])
        problems += row_problems
        for problem in problems:
            self.stderr.write(f"METADATA {problem}")
        progress = Progress(len(files), label="importing", stream=self.stderr._out)
        outcomes = []
        # One index writer for the whole run instead of one per essay; the
        # index is brought in step for every file seen, even unchanged ones,
        # so a run that was killed half-way is repaired by the next run.
        def indexing_progress(total):
            return Progress(total, label="indexing", stream=self.stderr._out)

        with batched_indexing(enabled=not dry_run, progress_factory=indexing_progress) as batch:
            for path in files:
                outcome = import_essay_file(path, dry_run=dry_run, metadata=by_name.get(path.name),
                                            overwrite_edits=overwrite_edits)
                outcomes.append(outcome)
                batch.touch(outcome.essay_id)
                if outcome.status == FAILED:
                    self.stderr.write(f"FAILED {path}: {outcome.reason}")
                elif outcome.status == KEPT:
                    self.stderr.write(f"KEPT {path}: edited in the admin, not overwritten (--overwrite-edits does)")
                progress.advance()
        progress.close()
        if batch.error:
            self.stderr.write(f"the search index could not be updated ({batch.error}); "
                              "the essays are saved: run `python manage.py check_index --fix`")
        counts = summarize(outcomes)
        prefix = "dry run, nothing written: " if dry_run else ""
        self.stdout.write(prefix + ", ".join(f"{k} {v}" for k, v in counts.items())
                          + (f"; {len(problems)} metadata problems" if problems else ""))
        if counts[FAILED] or batch.error or problems:
            raise SystemExit(1)
