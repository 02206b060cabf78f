"""Turn essay files into Essay rows. One function serves the import command
and the admin upload, so both behave the same way on the same file.

Each file is imported in its own transaction: a file either becomes (or
updates) one essay completely, or leaves the database as it was. Imports are
keyed on the file's name, so running an import again updates essays instead of
duplicating them, and reports unchanged files as unchanged.
"""
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q

from .models import Essay
from .parsing import EssayParseError, parse_essay_bytes, too_large

CREATED, UPDATED, UNCHANGED, FAILED = "created", "updated", "unchanged", "failed"
STATUS_LABELS = {CREATED: "新建", UPDATED: "更新", UNCHANGED: "未变", FAILED: "失败"}
ESSAY_SUFFIXES = {".txt", ".htm", ".html"}


@dataclass(frozen=True)
class ImportOutcome:
    """What happened to one file."""

    source_name: str
    status: str
    essay_id: int | None = None
    title: str = ""
    reason: str = ""

    @property
    def label(self):
        return STATUS_LABELS[self.status]


def clean_source_name(name):
    """The stable reference of a file: its base name, without any directory
    part a browser or an archive may send, and without control characters."""
    name = re.split(r"[\\/]", str(name or ""))[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if name in {"", ".", ".."}:
        name = "unnamed.txt"
    return name[:255]


def import_essay_bytes(data, source_name, dry_run=False):
    """Parse one file's bytes and create, update or leave its essay.

    Never raises for a bad file: the outcome says `failed` and why.
    """
    source_name = clean_source_name(source_name)
    if len(data) <= settings.ESSAY_MAX_BYTES:
        # An unchanged file needs no parsing: re-running a large import is
        # then mostly hashing.
        digest = hashlib.sha256(data).hexdigest()
        known = (Essay.objects.filter(source_name=source_name, content_hash=digest)
                 .order_by().values_list("pk", "title").first())
        if known is not None:
            return ImportOutcome(source_name, UNCHANGED, known[0], known[1])
    try:
        parsed = parse_essay_bytes(data, source_name, max_bytes=settings.ESSAY_MAX_BYTES,
                                   max_paragraphs=settings.ESSAY_MAX_PARAGRAPHS,
                                   max_paragraph_chars=settings.ESSAY_MAX_PARAGRAPH_CHARS)
    except EssayParseError as err:
        return ImportOutcome(source_name, FAILED, reason=err.reason)
    try:
        return _store(parsed, source_name, dry_run)
    except DatabaseError as err:
        return ImportOutcome(source_name, FAILED, title=parsed.title, reason=f"数据库错误：{err}")


def _store(parsed, source_name, dry_run):
    fields = {
        "number": parsed.number,
        "title": parsed.title[:500],
        "paragraphs": list(parsed.paragraphs),
        "content_hash": parsed.content_hash,
    }
    # One lookup finds both the essay of this name and any twin with the same
    # content, reading only the columns compared: the ORM's per-query cost
    # and loading paragraphs just to see whether an essay exists were a
    # millisecond or more a file.
    with transaction.atomic():
        rows = list(Essay.objects.filter(Q(source_name=source_name) | Q(content_hash=parsed.content_hash))
                    .order_by("pk").values_list("pk", "title", "content_hash", "source_name"))
        same = next((r for r in rows if r[3] == source_name), None)
        if same is None:
            # The same bytes under another name are the same essay: do not
            # create a second copy.
            twin = next((r for r in rows if r[2] == parsed.content_hash), None)
            if twin is not None:
                return ImportOutcome(source_name, UNCHANGED, twin[0], twin[1],
                                     reason=f"与 {twin[3]} 内容相同")
            if dry_run:
                return ImportOutcome(source_name, CREATED, None, parsed.title)
            essay = Essay.objects.create(source_name=source_name, **fields)
            return ImportOutcome(source_name, CREATED, essay.pk, essay.title)
        essay = Essay.objects.select_for_update().get(pk=same[0])
        if essay.content_hash == parsed.content_hash:
            return ImportOutcome(source_name, UNCHANGED, essay.pk, essay.title)
        if dry_run:
            return ImportOutcome(source_name, UPDATED, essay.pk, parsed.title)
        for key, value in fields.items():
            setattr(essay, key, value)
        essay.save()
        return ImportOutcome(source_name, UPDATED, essay.pk, essay.title)


def import_essay_file(path, dry_run=False):
    """Import one file from disk; the file's base name is its source name."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > settings.ESSAY_MAX_BYTES:
            return ImportOutcome(clean_source_name(path.name), FAILED,
                                 reason=too_large(size, settings.ESSAY_MAX_BYTES))
        data = path.read_bytes()
    except OSError as err:
        return ImportOutcome(clean_source_name(path.name), FAILED, reason=f"无法读取文件（{err.strerror or err}）")
    return import_essay_bytes(data, path.name, dry_run=dry_run)


def find_essay_files(paths):
    """Expand files and directories (recursively) into a sorted list of files.
    Names given directly are kept whatever their suffix; inside directories
    only essay-like files are taken. Missing paths are returned as they are so
    that the caller reports them."""
    found = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and Path(name).suffix.lower() in ESSAY_SUFFIXES:
                        found.append(Path(root) / name)
        else:
            found.append(path)
    return found


def summarize(outcomes):
    """Count outcomes by status, in a fixed order."""
    counts = {CREATED: 0, UPDATED: 0, UNCHANGED: 0, FAILED: 0}
    for outcome in outcomes:
        counts[outcome.status] += 1
    return counts
