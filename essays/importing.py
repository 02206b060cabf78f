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
from django.db import DatabaseError, connection, transaction
from django.db.models import Q

from .manifest import ManifestError, parse_manifest
from .models import Essay, reclaimed_id
from .parsing import EssayParseError, parse_essay_bytes, too_large

CREATED, UPDATED, UNCHANGED, FAILED = "created", "updated", "unchanged", "failed"
KEPT = "kept"  # an essay edited by hand, left as edited (see import_essay_bytes)
STATUS_LABELS = {CREATED: "新建", UPDATED: "更新", UNCHANGED: "未变", FAILED: "失败", KEPT: "保留后台修改"}
KEPT_REASON = ("这篇文章在后台被手工修改过，与文件内容不同，所以没有覆盖；"
               "要恢复为文件内容，请勾选“覆盖后台的修改”后重新上传")
KEPT_NEW_REASON = ("文件有新内容，但这篇文章在后台被手工修改过，所以没有覆盖；"
                   "要用文件内容替换后台的修改，请勾选“覆盖后台的修改”后重新上传")
OVERWRITTEN_REASON = "已用文件内容覆盖后台的修改"
ESSAY_SUFFIXES = {".txt", ".htm", ".html"}
MANIFEST_NAME = "metadata.csv"  # a directory's own manifest
MAX_MANIFEST_BYTES = 20 * 1024 * 1024


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


def import_essay_bytes(data, source_name, dry_run=False, metadata=None, overwrite_edits=False):
    """Parse one file's bytes and create, update or leave its essay, and
    set its publication metadata from `metadata` (an essays.manifest
    Metadata: only the fields it was given; None leaves them alone). A file
    whose text is unchanged but whose metadata changed counts as updated.

    An essay whose text was edited by hand (Essay.edited) is left as it
    is, reported as `kept` with the reason, unless `overwrite_edits`: then
    the file's text replaces the edit (`updated`), even when the file is
    the very one first imported.

    Never raises for a bad file, nor for a database error (the file's
    transaction is rolled back whole): the outcome says `failed` and why.
    """
    source_name = clean_source_name(source_name)
    try:
        return _import_essay_bytes(data, source_name, dry_run, metadata, overwrite_edits)
    except DatabaseError as err:
        return _database_failure(source_name, "", err)


def _database_failure(source_name, title, err):
    """The outcome of a file whose transaction a database error rolled back."""
    _drop_dead_connection()
    return ImportOutcome(source_name, FAILED, title=title,
                         reason=f"数据库错误（{err}）；文章没有保存，请稍后重试，问题持续时请联系管理员")


def _drop_dead_connection():
    """After a database error outside any transaction: close a connection
    the server cut (a restart, pg_terminate_backend, a proxy's timeout), so
    the next file of the import opens a fresh one instead of failing too.
    (A SQLite connection always counts as usable: nothing changes there.)"""
    if not connection.in_atomic_block and connection.connection is not None and not connection.is_usable():
        connection.close()


def _import_essay_bytes(data, source_name, dry_run, metadata, overwrite_edits):
    if len(data) <= settings.ESSAY_MAX_BYTES:
        # An unchanged file needs no parsing: re-running a large import is
        # then mostly hashing.
        digest = hashlib.sha256(data).hexdigest()
        known = (Essay.objects.filter(source_name=source_name, content_hash=digest)
                 .order_by().only("pk", "title", "edited", *_METADATA_COLUMNS).first())
        if known is not None and known.edited:
            if not overwrite_edits:
                return ImportOutcome(source_name, KEPT, known.pk, known.title, reason=KEPT_REASON)
            known = None  # parsed and stored again below
        if known is not None:
            if not _metadata_differs(known, metadata):
                return ImportOutcome(source_name, UNCHANGED, known.pk, known.title)
            try:
                return _store_metadata(known.pk, source_name, metadata, dry_run)
            except DatabaseError as err:
                return _database_failure(source_name, known.title, err)
    try:
        parsed = parse_essay_bytes(data, source_name, max_bytes=settings.ESSAY_MAX_BYTES,
                                   max_paragraphs=settings.ESSAY_MAX_PARAGRAPHS,
                                   max_paragraph_chars=settings.ESSAY_MAX_PARAGRAPH_CHARS)
    except EssayParseError as err:
        return ImportOutcome(source_name, FAILED, reason=err.reason)
    try:
        return _store(parsed, source_name, dry_run, metadata, overwrite_edits)
    except DatabaseError as err:
        return _database_failure(source_name, parsed.title, err)


_METADATA_COLUMNS = ("date_start", "date_end", "date_precision", "source", "author", "column", "source_url")


def _metadata_differs(essay, metadata):
    if metadata is None:
        return False
    current = essay.metadata_values()
    return any(current[name] != getattr(metadata, name) for name in metadata.given)


def _set_metadata(essay, metadata):
    for name in metadata.given if metadata is not None else ():
        essay.set_metadata(name, getattr(metadata, name))


def _store_metadata(pk, source_name, metadata, dry_run):
    """Only the metadata of an essay whose text is unchanged."""
    with transaction.atomic():
        essay = Essay.objects.select_for_update().get(pk=pk)
        if not dry_run:
            _set_metadata(essay, metadata)
            essay.save()
    return ImportOutcome(source_name, UPDATED, essay.pk, essay.title, reason="元数据已更新")


def _store(parsed, source_name, dry_run, metadata=None, overwrite_edits=False):
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
            # An essay of this source that was deleted gets its id back.
            essay = Essay(pk=reclaimed_id(source_name), source_name=source_name, **fields)
            _set_metadata(essay, metadata)
            essay.save(force_insert=True)
            return ImportOutcome(source_name, CREATED, essay.pk, essay.title)
        essay = Essay.objects.select_for_update().get(pk=same[0])
        if essay.edited:
            if not overwrite_edits:
                reason = KEPT_REASON if essay.content_hash == parsed.content_hash else KEPT_NEW_REASON
                return ImportOutcome(source_name, KEPT, essay.pk, essay.title, reason=reason)
            if dry_run:
                return ImportOutcome(source_name, UPDATED, essay.pk, parsed.title, reason=OVERWRITTEN_REASON)
            for key, value in fields.items():
                setattr(essay, key, value)
            essay.edited = False
            _set_metadata(essay, metadata)
            essay.save()
            return ImportOutcome(source_name, UPDATED, essay.pk, essay.title, reason=OVERWRITTEN_REASON)
        if essay.content_hash == parsed.content_hash:
            if not _metadata_differs(essay, metadata):
                return ImportOutcome(source_name, UNCHANGED, essay.pk, essay.title)
            if not dry_run:
                _set_metadata(essay, metadata)
                essay.save()
            return ImportOutcome(source_name, UPDATED, essay.pk, essay.title, reason="元数据已更新")
        if dry_run:
            return ImportOutcome(source_name, UPDATED, essay.pk, parsed.title)
        for key, value in fields.items():
            setattr(essay, key, value)
        _set_metadata(essay, metadata)
        essay.save()
        return ImportOutcome(source_name, UPDATED, essay.pk, essay.title)


def import_essay_file(path, dry_run=False, metadata=None, overwrite_edits=False):
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
    return import_essay_bytes(data, path.name, dry_run=dry_run, metadata=metadata, overwrite_edits=overwrite_edits)


def find_essay_files(paths):
    """Expand files and directories (recursively) into a sorted list of files.
    Names given directly are kept whatever their suffix; inside directories
    only essay-like files are taken. Missing paths are returned as they are so
    that the caller reports them."""
    found = []
    for path, root, files in _walk(paths):
        if root is None:
            found.append(path)
            continue
        found += [root / name for name in files
                  if not name.startswith(".") and Path(name).suffix.lower() in ESSAY_SUFFIXES]
    return found


def _walk(paths):
    """(path, None, None) for each path that is not a directory, and
    (path, folder, sorted file names) for every folder of each directory,
    hidden folders left out, in a stable order."""
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            yield path, None, None
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            yield path, Path(root), sorted(files)


def summarize(outcomes):
    """Count outcomes by status, in a fixed order (`kept` only when some
    essay was kept as edited by hand)."""
    counts = {CREATED: 0, UPDATED: 0, UNCHANGED: 0, FAILED: 0}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts


def find_manifests(paths):
    """The metadata.csv of every directory among `paths` and below them."""
    return [root / MANIFEST_NAME for _path, root, files in _walk(paths) if root and MANIFEST_NAME in files]


def read_manifest(data, name):
    """parse_manifest, with the size limit; ManifestError for a manifest
    that cannot be used at all."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"{name}：文件超过 {MAX_MANIFEST_BYTES // (1024 * 1024)} MB")
    return parse_manifest(data, name)


def read_manifest_file(path):
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ManifestError(f"{path}：无法读取（{err.strerror or err}）") from None
    return read_manifest(data, str(path))


def metadata_by_file(manifests, imported_names):
    """(file name -> Metadata, [problem lines]) from these Manifests, later
    ones overriding earlier ones for the same file; each manifest's bad rows
    and its rows for files not being imported are problems."""
    by_name, problems = {}, []
    names = [clean_source_name(n) for n in imported_names]
    for manifest in manifests:
        problems += [f"{manifest.name} {p}" for p in manifest.problems + manifest.unused(names)]
        by_name.update(manifest.rows)
    return by_name, problems
