"""The Whoosh index on disk: opening, the one writer, its lifecycle.

Every write goes through `WhooshIndex.write()`, which waits for Whoosh's
lock (a fcntl lock: the kernel drops it when a writer dies) instead of
failing; a write that fails part-way removes what it left before it
releases the lock. Reading goes through `view()`, the process's current
ReadView (search.backends.whoosh.view).
"""
import logging
import os
import re
import shutil
import threading

from whoosh import scoring, writing

from ..base import IndexUnavailable
from . import internals, sidecar
from .schema import INDEX_NAME, make_schema, whoosh_fields
from .storage import ThreadSafeFileStorage
from .view import RESULT_CACHE, ReadView, _Segment, segment_key

log = logging.getLogger(__name__)

WRITE_TIMEOUT = 120.0  # seconds a writer waits for the lock
COMMIT_EVERY = 5000  # documents per commit in a bulk write
SIDECAR_AFTER = 1000  # a write of this many documents leaves sidecar files behind (see _Segment.load)
_TOC_NAME = re.compile(rf"^_{INDEX_NAME}_[0-9]+\.toc$")  # whoosh's table-of-contents files
_TOC_TEMP = re.compile(rf"^_{INDEX_NAME}_[0-9]+\.toc\.[0-9.]+$")  # one being written (renamed into place)


def _indexed_ids(writer):
    """Every id term in the committed segments, as strings."""
    with writer.reader() as reader:
        return {b.decode("utf-8") for b in reader.lexicon("id")}


def _storage(path):
    # Files every search thread of the process may read at once (storage).
    return ThreadSafeFileStorage(str(path))


class WhooshIndex:
    """One on-disk index directory."""

    def __init__(self, path, result_cache=RESULT_CACHE):
        self.path = path
        self.result_cache = result_cache  # ranked answers each view keeps (0: none)
        self._lock = threading.Lock()
        self._ix = None
        self._view = None
        self._preloaded = {}  # segment key -> _Segment, from preload()

    # -- opening ---------------------------------------------------------
    def exists(self):
        """Whether the directory holds an index, readable or not: a listing,
        not whoosh's exists_in(), which reads the TOC on every search and
        raises (a 500) on a damaged one. Damaged counts as existing, so
        open() reports it rather than creating an empty index over it."""
        try:
            return any(_TOC_NAME.match(name) for name in os.listdir(self.path))
        except OSError:
            return False

    def writable(self):
        """Whether this process can write the index now: a real probe (a file
        created and removed), since permission bits say little to root."""
        target = self.path if self.path.is_dir() else self.path.parent
        probe = target / f".write-probe-{os.getpid()}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
            return True
        except OSError:
            return False

    def open(self, create=True):
        """Open (and, for writers, create) the index; IndexUnavailable if it
        is missing or unreadable."""
        if self._ix is not None and not self.path.is_dir():
            # The directory was removed under us: the cached handle would
            # write lock and segment files into a directory that is gone.
            self.reset()
        if self._ix is not None:
            return self._ix
        with self._lock:
            if self._ix is None:
                try:
                    if not self.exists():
                        if not create:
                            raise IndexUnavailable("the search index does not exist yet")
                        self.path.mkdir(parents=True, exist_ok=True)
                        self._ix = _storage(self.path).create_index(make_schema(), indexname=INDEX_NAME)
                    else:
                        self._ix = _storage(self.path).open_index(INDEX_NAME)
                except IndexUnavailable:
                    raise
                except Exception as err:  # Whoosh raises many kinds on a damaged index
                    raise IndexUnavailable(f"the search index cannot be opened: {err!r}") from err
        return self._ix

    def preload(self):
        """Load every segment's stored values now and close the index again:
        a server's master calls this before it forks, so its workers start
        with the texts in (copy-on-write shared) memory but open their own
        Whoosh files, whose read positions must not be shared."""
        ix = self.open(create=False)
        try:
            with ix.reader() as reader:
                for leaf, _offset in reader.leaf_readers():
                    seg = _Segment.load(leaf, str(self.path))
                    for field in ("title", "body"):  # for BM25's norms, shared too
                        seg.lengths(leaf, field)
                    self._preloaded[segment_key(leaf)] = seg
        finally:
            self.reset()

    def reset(self):
        """Forget open handles (after the directory was replaced)."""
        with self._lock:
            self._ix = None
            self._view = None

    # -- writing: the one code path ----------------------------------------
    def write(self, add=(), remove=(), clear=False, progress=None):
        """Add or replace the essays in `add` (an iterable of EssayDocs, read
        lazily) and delete the ids in `remove`.

        A bulk write commits every COMMIT_EVERY documents without merging and
        merges small segments only at its last commit: Whoosh pays per term
        and segment when it writes postings, so few large segments cost far
        less than many small ones, while the postings of one commit are held
        in memory (internals.CompactSegmentWriter; docs/SEARCH.md, "Keeping
        the index right" and "Indexing", has what both cost).
        With `clear`, the old content is dropped at the one final commit, so
        readers never see a half-built index. Essays the index has never held
        are added without update_document's search of every segment."""
        ix = self.open(create=True)
        docs = iter(add)
        remove = [str(i) for i in remove]
        first, written, known = True, 0, None
        frequent = {}  # segment id -> its most frequent words (pool)
        while True:
            writer = internals.CompactSegmentWriter(ix, timeout=WRITE_TIMEOUT, delay=0.05)
            count, more = 0, False
            try:
                if first:
                    for key in remove:
                        writer.delete_by_term("id", key)
                    # Ids the index may hold (deleted ones included): only
                    # these need update_document's per-segment delete.
                    known = set() if clear else _indexed_ids(writer)
                for doc in docs:
                    fields = whoosh_fields(doc)
                    if fields["id"] in known:
                        writer.update_document(**fields)
                    else:
                        writer.add_document(**fields)
                    known.add(fields["id"])
                    count += 1
                    if progress:
                        progress.advance()
                    if count >= COMMIT_EVERY and not clear:
                        more = True
                        break
                if clear:
                    writer.commit(mergetype=writing.CLEAR)
                else:
                    writer.commit(mergetype=writing.NO_MERGE if more else writing.MERGE_SMALL)
            except BaseException:
                self._abandon(writer)
                raise
            frequent[writer.newsegment.segment_id()] = writer.frequent_words
            first = False
            written += count
            if not more:
                break
        if clear or written >= SIDECAR_AFTER:
            self._write_sidecars(ix, frequent)

    def _abandon(self, writer):
        """After a write failed: what the writer left is removed, the files
        of its new segment too unless a table of contents written after all
        refers to them (internals.abandon)."""
        internals.abandon(writer, self._remove_segment)

    def _remove_segment(self, writer):
        segid = writer.newsegment.segment_id()
        try:
            kept = internals.segment_ids(_storage(self.path).open_index(INDEX_NAME))
        except Exception:
            kept = set()
        if segid in kept:
            return
        prefix = f"{segid}."  # segment ids carry the index name: essays_<random>
        for name in os.listdir(self.path):
            if name.startswith(prefix) or _TOC_TEMP.match(name):
                try:
                    os.unlink(os.path.join(self.path, name))
                except FileNotFoundError:
                    pass

    def _write_sidecars(self, ix, frequent=None):
        """After a bulk write: the sidecar files of the new segments, so that
        the next server process starts without unpickling every document,
        with the sets of each new segment's `frequent` words."""
        frequent = frequent or {}
        try:
            with ix.reader() as reader:
                for leaf, _offset in reader.leaf_readers():
                    path = sidecar.path_of(leaf, str(self.path))
                    chars = sidecar.path_of(leaf, str(self.path), ".chars")
                    if path is not None and not (os.path.exists(path) and os.path.exists(chars)):
                        sidecar.write(path, sidecar.stored_values(leaf), frequent.get(segment_key(leaf), ()))
        except Exception:  # an optimisation only: readers rebuild what is missing
            log.warning("could not write the search sidecar files", exc_info=True)

    def destroy(self):
        """Remove the index directory entirely (before a rebuild of a damaged
        index)."""
        self.reset()
        if self.path.exists():
            shutil.rmtree(self.path)

    # -- reading -----------------------------------------------------------
    def view(self):
        """The current ReadView, refreshed if another process committed."""
        ix = self.open(create=False)
        view = self._view
        try:
            if view is not None and view.searcher.up_to_date():
                return view
            with self._lock:
                view = self._view
                if view is None or not view.searcher.up_to_date():
                    # A new searcher rather than refresh(): refresh closes the
                    # old one, which another thread may still be reading.
                    old = view.segments if view is not None else self._preloaded
                    view = self._new_view(ix, old)
                    self._preloaded = {}
                    self._view = view
            return view
        except Exception as err:
            self.reset()
            raise IndexUnavailable(f"the search index cannot be read: {err!r}") from err


    def _new_view(self, ix, old, attempts=3):
        """A ReadView of the latest commit, with everything read from the
        segments' files that Whoosh opens lazily (stored values, field
        lengths) read now: a merge committed by another process deletes
        the files of the segments it merged, and a view that opened them
        later could not read them. A failure while a newer commit came in
        means its merge may have deleted what this one was reading: the view
        is made again from the newer commit (as Whoosh's own reader()
        retries); any other failure is raised."""
        for attempt in range(attempts):
            searcher = ix.searcher(weighting=scoring.BM25F())
            try:
                view = ReadView(searcher, old, str(self.path), self.result_cache)
                view.warm()
                return view
            except Exception:
                if attempt == attempts - 1 or searcher.up_to_date():
                    raise
                log.info("the index changed while its view was loaded: loading the newer one")
