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
import gc
import logging
import marshal
import os
import re
import shutil
import threading
import time
from array import array
from collections import Counter, OrderedDict
from dataclasses import dataclass

from whoosh import scoring, writing
from whoosh.fields import ID, STORED, FieldType, Schema
from whoosh.formats import Frequency
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length
from whoosh.util.text import utf8encode

from . import analysis, bitsets, charfile
from .storage import ThreadSafeFileStorage
from .writer import CompactSegmentWriter

log = logging.getLogger(__name__)

INDEX_NAME = "essays"
WRITE_TIMEOUT = 120.0  # seconds a writer waits for the lock
COMMIT_EVERY = 5000  # documents per commit in a bulk write
SIDECAR_AFTER = 1000  # a write of this many documents leaves sidecar files behind (see _Segment.load)
# What a reading view keeps between searches, bounded so that a server
# worker at 20,000 essays stays under 150 MB however many distinct queries
# it sees (`make bench` measures it after thousands of them): about 4 MB of
# weights, 2.4 MB of impact orders, 0.3 MB of postings per segment.
MAX_GRAM_SETS = 6000  # scanned character sets kept per segment (see gram_bits)
MAX_CACHED_POSTINGS = 40_000  # decoded postings cached per segment (8 bytes each)
MAX_CACHED_WEIGHTS = 350_000  # BM25 weights of postings cached per view (12 bytes each)
MAX_CACHED_IMPACTS = 200_000  # entries of words' impact orders kept per view (12 bytes each)
MAX_TERM_SETS = 400  # tested terms' document sets kept per view (see TermSetCache)
# Ranked answers kept per view; set from settings.SEARCH_RESULT_CACHE by the
# search app (0: every search matches and ranks afresh, as `make bench` measures too).
RESULT_CACHE_SIZE = 256
_GRAMS_LOCK = threading.Lock()  # evictions from the segments' gram sets (_Segment.gram_bits)
_TOC_NAME = re.compile(rf"^_{INDEX_NAME}_[0-9]+\.toc$")  # whoosh's table-of-contents files
_TOC_TEMP = re.compile(rf"^_{INDEX_NAME}_[0-9]+\.toc\.[0-9.]+$")  # one being written (renamed into place)


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


# Characters of an essay's body segmented for ranking. jieba costs 2–10 µs a
# character (more for many short paragraphs), so an essay stored before the
# parser's limits (300,000 one-line paragraphs, 2.4 M characters) cost some
# 35 s of every `check_index --fix` and `rebuild_index`. Real essays are far
# shorter (a long speech: some 30,000 characters).
RANKING_CHARS_MAX = 200_000


def whoosh_fields(doc):
    """The stored and indexed fields of one essay.

    Matching reads the folded title and paragraphs (`ftitle`, `fbody`), which
    hold the whole essay, so every essay matches exactly what it contains.
    The ranking words of the body come from its first RANKING_CHARS_MAX
    characters only, which bounds the cost of indexing one essay: in an
    essay longer than that (none that the parser accepts with its default
    limits and normal text) a word that first occurs later scores 0 and is
    ordered as the search contract orders unscored matches."""
    paragraphs = list(doc.paragraphs)
    body_words = []
    budget = RANKING_CHARS_MAX
    for p in paragraphs:
        if budget <= 0:
            break
        body_words.extend(ranking_words(p[:budget]))
        budget -= len(p)
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


def _indexed_ids(writer):
    """Every id term in the committed segments, as strings."""
    with writer.reader() as reader:
        return {b.decode("utf-8") for b in reader.lexicon("id")}


def _storage(path):
    # Files every search thread of the process may read at once (search.storage).
    return ThreadSafeFileStorage(str(path))


class WhooshIndex:
    """One on-disk index directory."""

    def __init__(self, path):
        self.path = path
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
                    self._preloaded[_segment_key(leaf)] = seg
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
        less than many small ones (measured: 500-document commits spent half
        of a 20,000-essay import in Whoosh's commit), while the postings of
        one commit are held in memory (search.writer, about 8 KB an essay).
        With `clear`, the old content is dropped at the one final commit, so
        readers never see a half-built index. Essays the index has never held
        are added without update_document's search of every segment."""
        ix = self.open(create=True)
        docs = iter(add)
        remove = [str(i) for i in remove]
        first, written, known = True, 0, None
        frequent = {}  # segment id -> its most frequent words (search.writer)
        while True:
            writer = CompactSegmentWriter(ix, timeout=WRITE_TIMEOUT, delay=0.05)
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
        """After a write failed (a full disk, a killed commit): remove what
        the writer left, its temporary pool and the files of its new
        segment (unless a table of contents written after all refers to
        them), then release the lock. Every step is tried on its own: the
        disk that failed the write may fail some of them too."""
        for step in (writer._close_segment, writer._tempstorage.destroy, lambda: self._remove_segment(writer)):
            try:
                step()
            except Exception:
                log.warning("cleaning up after a failed index write", exc_info=True)
        writer.is_closed = True
        if writer.writelock:
            try:
                writer.writelock.release()
            except Exception:
                log.warning("releasing the index lock after a failed write", exc_info=True)

    def _remove_segment(self, writer):
        segid = writer.newsegment.segment_id()
        try:
            kept = {seg.segment_id() for seg in _storage(self.path).open_index(INDEX_NAME)._segments()}
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
                    path = _sidecar_path(leaf, str(self.path))
                    chars = _sidecar_path(leaf, str(self.path), ".chars")
                    if path is not None and not (os.path.exists(path) and os.path.exists(chars)):
                        _write_sidecar(path, _stored_values(leaf), frequent.get(_segment_key(leaf), ()))
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
                view = ReadView(searcher, old, str(self.path))
                view.warm()
                return view
            except Exception:
                if attempt == attempts - 1 or searcher.up_to_date():
                    raise
                log.info("the index changed while its view was loaded: loading the newer one")


class _Segment:
    """Stored values of one immutable Whoosh segment, loaded once, plus
    caches derived from them (field lengths, character document sets,
    decoded postings)."""

    __slots__ = ("ids", "numbers", "created", "titles", "texts", "digests", "_lengths", "_grams", "_postings",
                 "_chars")

    def __init__(self, values, chars=None):
        self.ids, self.numbers, self.created, self.titles, self.texts, self.digests = values
        self._chars = chars  # a charfile.CharTable: character sets read, not scanned
        self._lengths, self._grams = {}, {}
        self._postings = SizedCache(MAX_CACHED_POSTINGS)

    @classmethod
    def load(cls, reader, directory):
        """The segment's values from its sidecar file in `directory` (one
        marshal load), else from Whoosh's stored fields (unpickling every
        document: about a second per 20,000 essays), writing the sidecar for
        the next process when the directory is writable. The sidecar is named
        like the segment's own files, so Whoosh deletes it with the segment."""
        n = reader.doc_count_all()
        path = _sidecar_path(reader, directory)
        if path is None:
            return cls(_stored_values(reader))
        chars = _sidecar_path(reader, directory, ".chars")
        try:
            values = _read_sidecar(path, n)
            if values is not None:
                return cls(values, charfile.CharTable.open(chars, n))
        except FileNotFoundError:
            pass
        except Exception:  # damaged or foreign: rebuilt below
            log.warning("ignoring unreadable search sidecar %s", path, exc_info=True)
        values = _stored_values(reader)
        _write_sidecar(path, values)
        return cls(values, charfile.CharTable.open(chars, n))

    def lengths(self, reader, field):
        """Whoosh's (byte-quantised) length of `field` in every document."""
        got = self._lengths.get(field)
        if got is None:
            got = self._lengths[field] = _field_lengths(reader, field)
        return got

    def postings(self, reader, field, word):
        """(ids, term frequencies) arrays of a word in this segment, decoded
        once; the cache holds at most MAX_CACHED_POSTINGS postings."""
        from .ranking import read_postings

        return self._postings.get_or_make((field, word), lambda: read_postings(reader, field, word))

    def cached_postings(self, field, word):
        """postings() of the word if already decoded, else None."""
        return self._postings.get((field, word))

    def _from_file(self, gram, scope):
        chars = self._chars  # once: another thread may drop it meanwhile
        return chars if chars is not None and scope == "all" and chars.has(gram) else None

    def has_gram(self, gram, scope):
        """Whether gram_bits(gram, scope) costs no scan: built, or a
        character or frequent word with a set in the segment's file."""
        return (gram, scope) in self._grams or self._from_file(gram, scope) is not None

    def gram_bits(self, gram, scope):
        """The set (a bitset of segment docnums) of documents whose folded
        text (scope 'all') or title (scope 'title') contains `gram` (search.query
        asks for single characters). A character with a file of character
        sets is read from it each time (a few microseconds, and nothing
        kept); any other set is built by one scan on first use and kept
        (one bit per document), oldest out first past MAX_GRAM_SETS."""
        key = (gram, scope)
        bits = self._grams.get(key)
        if bits is not None:
            return bits
        chars = self._from_file(gram, scope)
        if chars is not None:
            try:
                return chars.bits(gram)
            except OSError:  # cut short or unreadable: scan instead
                self._chars = None
        texts = self.titles if scope == "title" else self.texts
        bits = bitsets.from_flags(gram in t for t in texts)
        # Oldest first out: a stream of rare grams cannot grow it. Under a
        # lock: threads of one process share the segment, and a dict
        # iterated while another thread inserts raises.
        with _GRAMS_LOCK:
            while len(self._grams) >= MAX_GRAM_SETS:
                self._grams.pop(next(iter(self._grams)))
            self._grams[key] = bits
        return bits


class ReadView:
    """An immutable snapshot of the index for searching: a Whoosh searcher
    plus flat lists of every live document's stored values, indexed by
    Whoosh's global document number."""

    def __init__(self, searcher, old_segments, directory=None):
        self.searcher = searcher
        self.segments = {}
        self.parts = []  # (_Segment, segment reader, docnum offset)
        ids, numbers, created, titles, texts, digests, live = [], [], [], [], [], [], []
        for reader, offset in _leaves(searcher):
            key = _segment_key(reader)
            seg = old_segments.get(key) or _Segment.load(reader, directory)
            self.segments[key] = seg
            self.parts.append((seg, reader, offset))
            ids += seg.ids
            numbers += seg.numbers
            created += seg.created
            titles += seg.titles
            texts += seg.texts
            digests += seg.digests
            live.extend(offset + d for d in range(reader.doc_count_all()) if not reader.is_deleted(d))
        self.ids, self.numbers, self.created = ids, numbers, created
        self.titles, self.texts, self.digests, self.live = titles, texts, digests, live
        self.size = len(ids)
        self.live_bits = bitsets.from_iter(live, self.size)
        self.docnum_of = {ids[d]: d for d in live}
        self._norms, self._orders = {}, {}
        self._weights = SizedCache(MAX_CACHED_WEIGHTS)
        self._impacts = SizedCache(MAX_CACHED_IMPACTS)
        self.results = ResultCache(RESULT_CACHE_SIZE)
        self.term_sets = TermSetCache(MAX_TERM_SETS)
        self.hits = ResultCache(RESULT_CACHE_SIZE * 4)  # what search.service shows of a hit
        self.loaded_at = time.time()

    @property
    def leaves(self):
        """(segment reader, docnum offset) of each segment."""
        return [(reader, offset) for _seg, reader, offset in self.parts]

    def digest_map(self):
        """essay id -> digest of what the index holds."""
        return {self.ids[d]: self.digests[d] for d in self.live}

    def norms(self, field):
        """Per docnum, BM25's length normaliser of `field` (search.ranking)."""
        got = self._norms.get(field)
        if got is None:
            from .ranking import B, K1

            avgfl = self.searcher.avg_field_length(field) or 1
            got = array("d")  # 8 bytes a document, no float objects
            for seg, reader, _offset in self.parts:
                got.extend([K1 * ((1 - B) + B * fl / avgfl) for fl in seg.lengths(reader, field)])
            self._norms[field] = got
        return got

    def warm(self):
        """Compute now what every ranking needs (the length normalisers of
        both ranked fields), so that a server worker's first search does
        not."""
        for field in ("title", "body"):
            self.norms(field)

    def weights(self, field, word):
        """search.ranking.term_weights of a word, cached for this view (at
        most MAX_CACHED_WEIGHTS postings, oldest out first)."""
        from .ranking import term_weights

        return self._weights.get_or_make((field, word), lambda: term_weights(self, field, word))

    def impacts(self, word, scope, make):
        """A word's impact order (search.ranking.impact_order), made by
        `make` on first use and cached for this view (at most
        MAX_CACHED_IMPACTS entries, oldest out first)."""
        return self._impacts.get_or_make((word, scope), make)

    def cached_weights(self, field, word):
        """weights() of the word if this view has them, else None."""
        return self._weights.get((field, word))

    def order(self, sort, key):
        """Live docnums sorted by `key`, a sort that does not depend on the
        query (search.query._order names it `sort`), computed once per view."""
        got = self._orders.get(sort)
        if got is None:
            # An array: 4 bytes a document instead of a list of int objects.
            got = self._orders[sort] = array("I", sorted(self.live, key=key))
        return got

    def has_gram_bits(self, gram, scope="all"):
        """Whether gram_bits(gram, scope) costs no scan (cheap to ask)."""
        return all(seg.has_gram(gram, scope) for seg, _r, _o in self.parts)

    def gram_bits(self, gram, scope="all"):
        """Live documents (a bitset) whose folded text, or title for scope
        'title', contains `gram` (see _Segment.gram_bits)."""
        bits = 0
        for seg, _reader, offset in self.parts:
            bits |= seg.gram_bits(gram, scope) << offset
        return bits & self.live_bits


class SizedCache:
    """(ids, values) array pairs by key, holding at most `limit` values in
    all (ids may be None: values by docnum), oldest out first; a pair
    longer than that is not kept."""

    def __init__(self, limit):
        self.limit = limit
        self._data, self._count = {}, 0
        self._lock = threading.Lock()

    def get(self, key):
        return self._data.get(key)

    def get_or_make(self, key, make):
        got = self._data.get(key)
        if got is None:
            got = make()
            with self._lock:
                while self._data and self._count + len(got[1]) > self.limit:
                    self._count -= len(self._data.pop(next(iter(self._data)))[1])
                if key not in self._data and len(got[1]) <= self.limit:
                    self._data[key] = got
                    self._count += len(got[1])
        return got


class ResultCache:
    """A small LRU of ranked answers (search.query) for one view: a query
    repeated, or paged through, is not matched and ranked again until the
    index changes (a new view starts empty). Size 0 disables it."""

    def __init__(self, size):
        self.size = size
        self._data = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key, value):
        if self.size <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


class TermSetCache:
    """Exact document sets of terms that took a substring test (search.query
    ._term_bits), as a search engine's filter cache keeps a clause's
    documents: a term that comes back, in the same query or another one,
    skips the test. Each set was found within a set of candidates (the
    documents the earlier terms left), and answers only for queries whose
    candidates lie within that set. At most `size` terms, least recently
    used out first (a ResultCache of (candidates, set) pairs); two bitsets
    each (5 kB at 20,000 essays)."""

    def __init__(self, size):
        self._lru = ResultCache(size)

    def get(self, key, within):
        """The documents of `within` holding the term, or None if unknown."""
        got = self._lru.get(key)
        if got is None or within & ~got[0]:
            return None
        return got[1] & within

    def put(self, key, within, bits):
        """Remember that, of the documents `within`, exactly `bits` hold the term."""
        old = self._lru.get(key)
        if old is not None and within & ~old[0] == 0:
            return  # what is kept already answers for more documents
        self._lru.put(key, (within, bits))


SIDECAR_VERSION = 2


def _stored_values(reader):
    n = reader.doc_count_all()
    ids, numbers, created = [0] * n, [None] * n, [0.0] * n
    titles, texts, digests = [""] * n, [""] * n, [""] * n
    for docnum in range(n):
        if reader.is_deleted(docnum):
            continue
        f = reader.stored_fields(docnum)
        ids[docnum] = int(f["id"])
        numbers[docnum] = f.get("number")
        created[docnum] = f.get("created") or 0.0
        titles[docnum] = f.get("ftitle", "")
        # Title and body in one string: one scan per essay for the common
        # unrestricted term.
        texts[docnum] = f.get("ftitle", "") + "\n" + f.get("fbody", "")
        digests[docnum] = f.get("digest", "")
    return ids, numbers, created, titles, texts, digests


_LENGTH_OF_BYTE = [byte_to_length(b) for b in range(256)]


def _field_lengths(reader, field):
    """Every document's length of `field`, as reader.doc_field_length gives
    it, read as one block from the segment's lengths column (one byte per
    document) instead of 20,000 column lookups (about 0.3 s)."""
    n = reader.doc_count_all()
    try:
        colfile, offset, length = reader._perdoc._get_column_file(f"_{field}_len")
        raw = colfile.get(offset, length) if length <= n else None
    except OSError:  # the file is gone (a merge): not a layout question
        raise
    except Exception:  # another codec or layout: the public, slow way
        raw = None
    if raw is None:
        return [reader.doc_field_length(d, field, 0) or 0 for d in range(n)]
    return [_LENGTH_OF_BYTE[b] for b in raw] + [0] * (n - len(raw))


def _sidecar_path(reader, directory, ext=".fold"):
    segment = getattr(reader, "segment", None)
    seg = segment() if callable(segment) else segment
    if seg is None or directory is None:
        return None
    return os.path.join(directory, seg.make_filename(ext))


def _write_sidecar(path, values, words=()):
    """Write atomically (a dot-file, which Whoosh's cleanup skips, renamed
    into place); a read-only index directory just means no sidecar. The
    texts go as one UTF-16 string joined by NUL, which folding removes from
    any text: decoding that is several times faster than 20,000 strings."""
    ids, numbers, created, _titles, texts, digests = values
    try:
        charfile.write(path[:-len(".fold")] + ".chars", texts, words)
    except OSError:
        pass  # searches scan for characters instead
    blob = "\0".join(texts).encode("utf-16-le")
    try:
        charfile.write_atomically(
            path, lambda fh: marshal.dump((SIDECAR_VERSION, len(ids), (ids, numbers, created, digests), blob), fh))
    except OSError:
        pass


def _read_sidecar(path, n):
    """The values _stored_values would give, or None if the file is for
    another format or segment size. Raises OSError/ValueError/... if unreadable."""
    enabled = gc.isenabled()
    gc.disable()  # a million new objects: collections would double the load time
    try:
        with open(path, "rb") as fh:
            data = marshal.load(fh)
        if not (isinstance(data, tuple) and len(data) == 4 and data[:2] == (SIDECAR_VERSION, n)):
            return None  # an older format, or not this segment's: rebuilt quietly
        _version, _count, (ids, numbers, created, digests), blob = data
        texts = blob.decode("utf-16-le").split("\0") if n else []
    finally:
        if enabled:
            gc.enable()
    if not all(len(v) == n for v in (ids, numbers, created, digests, texts)):
        return None
    titles = [t.partition("\n")[0] for t in texts]
    return ids, numbers, created, titles, texts, digests


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
