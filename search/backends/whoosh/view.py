"""The per-process reading view of the Whoosh index (ReadView) and the
per-segment values it is made of (_Segment).

Each process keeps a view: the folded text of every live document, cached
per immutable Whoosh segment; when another process commits, only new
segments are loaded, deletions only change which document numbers are
live, and a new view is swapped in whole, so a search always sees one
consistent generation. Every cache of a view is bounded by memory
(docs/SEARCH.md, "Memory and start-up", has the budget and the figures).
"""
import logging
import threading
import time
from array import array

from . import bitsets, charfile, sidecar
from ..base import Generation
from .caches import ResultCache, SizedCache, TermSetCache
from .internals import field_lengths, read_postings
from .ranking import length_norm, term_weights

log = logging.getLogger(__name__)

MAX_GRAM_SETS = 6000  # scanned character sets kept per segment (see gram_bits)
MAX_CACHED_POSTINGS = 40_000  # decoded postings cached per segment
MAX_CACHED_WEIGHTS = 350_000  # BM25 weights of postings cached per view
MAX_CACHED_IMPACTS = 200_000  # entries of words' impact orders kept per view
MAX_TERM_SETS = 400  # tested terms' document sets kept per view (see TermSetCache)
RESULT_CACHE = 256  # ranked answers kept per view unless the SEARCH setting says otherwise
_GRAMS_LOCK = threading.Lock()  # evictions from the segments' gram sets (_Segment.gram_bits)


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
        document, many times slower), writing the sidecar for
        the next process when the directory is writable. The sidecar is named
        like the segment's own files, so Whoosh deletes it with the segment."""
        n = reader.doc_count_all()
        path = sidecar.path_of(reader, directory)
        if path is None:
            return cls(sidecar.stored_values(reader))
        chars = sidecar.path_of(reader, directory, ".chars")
        try:
            values = sidecar.read(path, n)
            if values is not None:
                return cls(values, charfile.CharTable.open(chars, n))
        except FileNotFoundError:
            pass
        except Exception:  # damaged or foreign: rebuilt below
            log.warning("ignoring unreadable search sidecar %s", path, exc_info=True)
        values = sidecar.stored_values(reader)
        sidecar.write(path, values)
        return cls(values, charfile.CharTable.open(chars, n))

    def lengths(self, reader, field):
        """Whoosh's (byte-quantised) length of `field` in every document."""
        got = self._lengths.get(field)
        if got is None:
            got = self._lengths[field] = field_lengths(reader, field)
        return got

    def postings(self, reader, field, word):
        """(ids, term frequencies) arrays of a word in this segment, decoded
        once; the cache holds at most MAX_CACHED_POSTINGS postings."""
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
        text (scope 'all') or title (scope 'title') contains `gram` (query
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


class ReadView(Generation):
    """An immutable snapshot of the index for searching: a Whoosh searcher
    plus flat lists of every live document's stored values, indexed by
    Whoosh's global document number."""

    def __init__(self, searcher, old_segments, directory=None, result_cache=RESULT_CACHE):
        self.searcher = searcher
        self.segments = {}
        self.parts = []  # (_Segment, segment reader, docnum offset)
        ids, numbers, created, titles, texts, digests, live = [], [], [], [], [], [], []
        for reader, offset in _leaves(searcher):
            key = segment_key(reader)
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
        self._norms, self._orders, self._within = {}, {}, {}
        self._weights = SizedCache(MAX_CACHED_WEIGHTS)
        self._impacts = SizedCache(MAX_CACHED_IMPACTS)
        self.results = ResultCache(result_cache)
        self.term_sets = TermSetCache(MAX_TERM_SETS)
        self.hits = ResultCache(result_cache * 4)  # what search.service shows of a hit
        self.loaded_at = time.time()

    @property
    def leaves(self):
        """(segment reader, docnum offset) of each segment."""
        return [(reader, offset) for _seg, reader, offset in self.parts]

    def digest_map(self):
        """essay id -> digest of what the index holds."""
        return {self.ids[d]: self.digests[d] for d in self.live}

    def folded(self, essay_id, digest):
        """The folded title and paragraphs of this essay, if the view holds
        this very version of it, the one with this digest (else None)."""
        d = self.docnum_of.get(essay_id)
        if d is None or self.digests[d] != digest:
            return None
        return self.texts[d].split("\n")

    def folded_parts(self, ids):
        """essay id -> the folded title and paragraphs the view holds, for
        these ids (absent ones left out): the very text matching ran on."""
        docnum_of, texts = self.docnum_of, self.texts
        return {i: texts[docnum_of[i]].split("\n") for i in ids if i in docnum_of}

    def within_bits(self, within):
        """The live documents (a bitset) of the essay ids in `within`
        (base.Within), kept per view by its key."""
        got = self._within.get(within.key)
        if got is None:
            docnum_of = self.docnum_of
            got = bitsets.from_iter(sorted(docnum_of[i] for i in within.ids if i in docnum_of), self.size)
            if len(self._within) >= 32:
                self._within.pop(next(iter(self._within)), None)
            self._within[within.key] = got
        return got

    @property
    def shown(self):
        """What search.service shows of a hit, kept for this view."""
        return self.hits

    def norms(self, field):
        """Per docnum, BM25's length normaliser of `field` (ranking)."""
        got = self._norms.get(field)
        if got is None:
            avgfl = self.searcher.avg_field_length(field) or 1
            got = array("d")  # 8 bytes a document, no float objects
            for seg, reader, _offset in self.parts:
                got.extend([length_norm(fl, avgfl) for fl in seg.lengths(reader, field)])
            self._norms[field] = got
        return got

    def warm(self):
        """Compute now what every ranking needs (the length normalisers of
        both ranked fields), so that a server worker's first search does
        not."""
        for field in ("title", "body"):
            self.norms(field)

    def weights(self, field, word):
        """ranking.term_weights of a word, cached for this view (at
        most MAX_CACHED_WEIGHTS postings, oldest out first)."""
        return self._weights.get_or_make((field, word), lambda: term_weights(self, field, word))

    def impacts(self, word, scope, make):
        """A word's impact order (ranking.impact_order), made by
        `make` on first use and cached for this view (at most
        MAX_CACHED_IMPACTS entries, oldest out first)."""
        return self._impacts.get_or_make((word, scope), make)

    def cached_weights(self, field, word):
        """weights() of the word if this view has them, else None."""
        return self._weights.get((field, word))

    def order(self, sort, key):
        """Live docnums sorted by `key`, a sort that does not depend on the
        query (query._order names it `sort`), computed once per view."""
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


def _leaves(searcher):
    return searcher.reader().leaf_readers()


def segment_key(reader):
    segment = getattr(reader, "segment", None)
    seg = segment() if callable(segment) else segment
    if seg is None:
        return id(reader)
    # Deletions change a segment's deleted set, not its stored values, so the
    # segment id alone identifies what we cached.
    return seg.segment_id()
