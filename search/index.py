"""The Whoosh index: schema, the one writer, and a per-process reading view.

Layout (decided by measurement, see docs/SEARCH.md):
- `title` and `body` hold jieba words (with their dictionary sub-words) in
  Whoosh's Frequency format: enough for BM25F ranking, and much cheaper to
  build than positions.
- `ftitle` and `fbody` store the folded title and folded paragraphs (joined
  by a newline, which folding removes from any query, so no match can cross
  a paragraph). Matching is a substring scan over these folded texts, held
  in memory per process and refreshed segment by segment: exact by
  construction, and at 20,000 essays faster than a character n-gram field
  would be to build.

Every write goes through `write()`, which waits for Whoosh's lock (a
fcntl lock: the kernel drops it when a writer dies) instead of failing.
"""
import logging
import os
import re
import shutil
import threading
import time
from collections import Counter
from dataclasses import dataclass

from whoosh import index as whoosh_index
from whoosh import scoring, writing
from whoosh.fields import ID, STORED, FieldType, Schema
from whoosh.formats import Frequency
from whoosh.system import pack_uint
from whoosh.util.text import utf8encode

from . import analysis

log = logging.getLogger(__name__)

INDEX_NAME = "essays"
WRITE_TIMEOUT = 120.0  # seconds a writer waits for the lock
COMMIT_EVERY = 5000  # documents per commit in a bulk write
_TOC_NAME = re.compile(rf"^_{INDEX_NAME}_[0-9]+\.toc$")  # whoosh's table-of-contents files


class IndexUnavailable(Exception):
    """The index is missing or cannot be read; `rebuild_index` restores it."""


@dataclass(frozen=True)
class EssayDoc:
    """What the search layer needs of an essay: backend-neutral plain data."""

    id: int
    number: int | None
    created: float  # POSIX timestamp
    title: str
    paragraphs: tuple
    digest: str


class WordsField(FieldType):
    """A field whose value is an already segmented list of words.

    Segmenting once per essay ourselves, instead of through a Whoosh
    analyzer chain, keeps indexing close to the cost of jieba alone."""

    def __init__(self):
        self.format = Frequency()
        self.analyzer = None
        self.vector = None
        self.scorable = True
        self.stored = False
        self.unique = False
        self.column_type = None
        self.spelling = False
        self.multitoken_query = "and"

    def index(self, value, **kwargs):
        for word, freq in Counter(value).items():
            yield utf8encode(word)[0], freq, float(freq), pack_uint(freq)

    def self_parsing(self):
        return False


def make_schema():
    return Schema(
        id=ID(stored=True, unique=True),
        title=WordsField(),
        body=WordsField(),
        number=STORED(),
        created=STORED(),
        digest=STORED(),
        ftitle=STORED(),
        fbody=STORED(),
    )


def ranking_words(text):
    """Words for BM25: jieba's words plus, for long words, the dictionary
    words inside them (as jieba's search mode does), so 抓落实 also scores
    an essay that jieba segmented as 狠抓落实."""
    out = analysis.words(text)
    freq = analysis.dictionary()
    extra = []
    for w in out:
        if len(w) > 2:
            for n in (2, 3):
                if len(w) > n:
                    extra.extend(w[i:i + n] for i in range(len(w) - n + 1) if freq.get(w[i:i + n]))
    return out + extra


def whoosh_fields(doc):
    """The stored and indexed fields of one essay."""
    paragraphs = list(doc.paragraphs)
    body_words = []
    for p in paragraphs:
        body_words.extend(ranking_words(p))
    return {
        "id": str(doc.id),
        "title": ranking_words(doc.title),
        "body": body_words,
        "number": doc.number,
        "created": doc.created,
        "digest": doc.digest,
        "ftitle": analysis.fold(doc.title),
        "fbody": "\n".join(analysis.fold(p) for p in paragraphs),
    }


class WhooshIndex:
    """One on-disk index directory."""

    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()
        self._ix = None
        self._view = None

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
                        self._ix = whoosh_index.create_in(str(self.path), make_schema(), indexname=INDEX_NAME)
                    else:
                        self._ix = whoosh_index.open_dir(str(self.path), indexname=INDEX_NAME)
                except IndexUnavailable:
                    raise
                except Exception as err:  # Whoosh raises many kinds on a damaged index
                    raise IndexUnavailable(f"the search index cannot be opened: {err!r}") from err
        return self._ix

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
        less than many small ones (measured: 500-document commits spent half
        of a 20,000-essay import in Whoosh's commit). With `clear`, the old
        content is dropped at the one final commit, so readers never see a
        half-built index."""
        ix = self.open(create=True)
        docs = iter(add)
        remove = [str(i) for i in remove]
        first = True
        while True:
            writer = ix.writer(timeout=WRITE_TIMEOUT, delay=0.05, limitmb=256)
            count, more = 0, False
            try:
                if first:
                    for key in remove:
                        writer.delete_by_term("id", key)
                for doc in docs:
                    fields = whoosh_fields(doc)
                    if clear:
                        writer.add_document(**fields)
                    else:
                        writer.update_document(**fields)
                    count += 1
                    if progress:
                        progress.advance()
                    if count >= COMMIT_EVERY and not clear:
                        more = True
                        break
            except BaseException:
                writer.cancel()
                raise
            if clear:
                writer.commit(mergetype=writing.CLEAR)
            else:
                writer.commit(mergetype=writing.NO_MERGE if more else writing.MERGE_SMALL)
            first = False
            if not more:
                return

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
                    old = view.segments if view is not None else {}
                    view = ReadView(ix.searcher(weighting=scoring.BM25F()), old)
                    self._view = view
            return view
        except Exception as err:
            self.reset()
            raise IndexUnavailable(f"the search index cannot be read: {err!r}") from err


class _Segment:
    """Stored values of one immutable Whoosh segment, loaded once."""

    __slots__ = ("ids", "numbers", "created", "titles", "texts", "digests")

    def __init__(self, reader):
        n = reader.doc_count_all()
        self.ids, self.numbers, self.created = [0] * n, [None] * n, [0.0] * n
        self.titles, self.texts, self.digests = [""] * n, [""] * n, [""] * n
        for docnum in range(n):
            if reader.is_deleted(docnum):
                continue
            f = reader.stored_fields(docnum)
            self.ids[docnum] = int(f["id"])
            self.numbers[docnum] = f.get("number")
            self.created[docnum] = f.get("created") or 0.0
            self.titles[docnum] = f.get("ftitle", "")
            # Title and body in one string: one scan per essay for the
            # common unrestricted term.
            self.texts[docnum] = f.get("ftitle", "") + "\n" + f.get("fbody", "")
            self.digests[docnum] = f.get("digest", "")


class ReadView:
    """An immutable snapshot of the index for searching: a Whoosh searcher
    plus flat lists of every live document's stored values, indexed by
    Whoosh's global document number."""

    def __init__(self, searcher, old_segments):
        self.searcher = searcher
        self.segments = {}
        ids, numbers, created, titles, texts, digests, live = [], [], [], [], [], [], []
        for reader, offset in _leaves(searcher):
            key = _segment_key(reader)
            seg = old_segments.get(key) or _Segment(reader)
            self.segments[key] = seg
            ids += seg.ids
            numbers += seg.numbers
            created += seg.created
            titles += seg.titles
            texts += seg.texts
            digests += seg.digests
            live.extend(offset + d for d in range(reader.doc_count_all()) if not reader.is_deleted(d))
        self.ids, self.numbers, self.created = ids, numbers, created
        self.titles, self.texts, self.digests, self.live = titles, texts, digests, live
        self.docnum_of = {ids[d]: d for d in live}
        self.loaded_at = time.time()

    def digest_map(self):
        """essay id -> digest of what the index holds."""
        return {self.ids[d]: self.digests[d] for d in self.live}


def _leaves(searcher):
    return searcher.reader().leaf_readers()


def _segment_key(reader):
    segment = getattr(reader, "segment", None)
    seg = segment() if callable(segment) else segment
    if seg is None:
        return id(reader)
    # Deletions change a segment's deleted set, not its stored values, so the
    # segment id alone identifies what we cached.
    return seg.segment_id()
