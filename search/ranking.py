"""BM25F scores for a known set of matching essays.

Whoosh's own search walks every posting of every ranking word and applies a
filter afterwards, scoring each posting through several layers of matcher
objects: at 20,000 essays a query holding 的 spent 110–230 ms there. Matching
is already done (search.query), so ranking only has to add up, for the
matched documents, the same BM25F terms Whoosh would compute:

    idf × boost × tf × (K1 + 1) / (tf + K1 × (1 − B + B × fl / avgfl))

with Whoosh's own idf (over all documents, deleted ones included), its
average field length and its byte-quantised per-document field lengths, so
the scores equal `searcher.search(Or(terms))` scores (tests/test_ranking.py
compares them). Postings are decoded once per segment into compact arrays
(search.index._Segment.postings) and weighed once per ReadView, except
for a query matching few documents, which weighs just those
(few_weights); the per-document length normaliser is computed once per
ReadView.
"""
import io
import logging
import pickle
import struct
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections import deque
from itertools import accumulate, compress, repeat
from operator import add, mul

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.matching.wrappers import FilterMatcher

log = logging.getLogger(__name__)
_INT = struct.Struct("!i")  # whoosh.system's int: a block's length

B = 0.75  # Whoosh BM25F defaults
K1 = 1.2
DENSE_AT = (2, 3)  # a word's weights are kept dense when it is in 2/3 of the documents
FEW_AT = 16  # under 1/16 of the documents matched: weigh those alone (few_weights)
FEW_BLOCKS = 16  # at most this many of a segment's documents: decode only their blocks


def read_postings(reader, field, word, wanted=None):
    """(ids, term frequencies) of a word in one segment, as arrays; deleted
    documents included (a matched set never holds them). With `wanted`
    (ascending segment docnums), only the blocks whose range of ids could
    hold one of them are decoded: what comes back then covers those ids
    and perhaps others."""
    ids, tfs = array("I"), array("I")
    try:
        info = reader.term_info(field, word)
    except Exception:  # whoosh raises TermNotFound (a KeyError) for an absent term
        return ids, tfs
    postfile = getattr(getattr(reader, "_terms", None), "_postfile", None)
    if postfile is not None and not info.is_inlined():
        try:
            return _read_blocks(postfile, *info.extent(), wanted)
        except Exception:  # not the layout _read_blocks knows: the matcher reads it
            log.warning("reading postings of %r through Whoosh's matcher", word, exc_info=True)
    m = reader.postings(field, word)
    if isinstance(m, FilterMatcher):  # the deletions filter: not needed here
        m = m.child
    if hasattr(m, "_next_block"):  # a block list: decode whole blocks
        while m.is_active():
            m._read_ids()
            m._read_weights()
            ids.extend(m._ids)
            tfs.extend(int(w) for w in m._weights)
            m._next_block()
    else:  # short lists are inlined in the term info
        while m.is_active():
            ids.append(m.id())
            tfs.append(int(m.weight()))
            m.next()
    return ids, tfs


def _read_blocks(postfile, offset, length, wanted=None):
    """Every block of a posting list from one read of its extent in the
    segment's postings file, decoded as Whoosh's W3LeafMatcher._goto and
    _read_data do: a 4-byte signed length (negative for the last block), a
    pickled info tuple, then the block's pickled (ids as gaps, weights,
    values), zlib-compressed if the info says so. Whoosh's matcher reads the
    same through a file object, and pickle asks that file for a few bytes at
    a time, about 20 reads a block: most of a first query's time at 20,000
    essays. A block's info holds its last id, so with `wanted` a block
    none of them can be in is skipped without being decompressed."""
    if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves unpack_int's tuple
        (length,) = length
    raw = postfile.get(offset, length)
    if raw[:4] != WHOOSH3_HEADER_MAGIC:
        raise ValueError("not a Whoosh 3 posting list")
    buf = io.BytesIO(raw)
    ids, tfs = array("I"), array("I")
    pos, last, previous_max = 4, False, -1
    while not last:
        (size,) = _INT.unpack_from(raw, pos)
        last = size < 0
        end = pos + _INT.size + abs(size)
        buf.seek(pos + _INT.size)
        count, maxid, _maxweight, compression, _mnlen, _mxlen = pickle.load(buf)
        if wanted is not None:
            i = bisect_right(wanted, previous_max)
            previous_max = maxid
            if i == len(wanted) or wanted[i] > maxid:  # no wanted id in (previous max, max]
                pos = end
                continue
        data = raw[buf.tell():end]
        gaps, weights, _values = pickle.loads(zlib.decompress(data) if compression else data)
        if len(gaps) != count:
            raise ValueError("block length mismatch")
        ids.extend(accumulate(gaps))  # each block's gaps start from 0
        if weights is None:
            tfs.extend([1] * count)
        elif isinstance(weights, float):
            tfs.extend([int(weights)] * count)
        else:
            tfs.extend(map(int, weights))
        pos = end
    return ids, tfs


def term_weights(view, field, word):
    """(docnums, weights) of one word in one field over the whole view:
    each posting's idf × tf × (K1 + 1) / (tf + norm), boost left out.
    A word in most documents comes back dense, (None, weights by docnum,
    0.0 where absent): no bigger than its postings, and bm25f adds it with
    one C-level map instead of a Python loop over 20,000 postings. Cached
    per view by ReadView.weights (12 bytes a posting, 8 a dense entry);
    the postings read for them are not kept (few_weights keeps its own)."""
    idf = view.searcher.idf(field, word)
    norm = view.norms(field)
    ds, ws = array("I"), array("d")
    for seg, reader, offset in view.parts:
        # Decoded for this once and not kept: the view keeps the weights, and
        # while it does, nothing reads the word's postings (bm25f).
        ids, tfs = seg.cached_postings(field, word) or read_postings(reader, field, word)
        if not ids:
            continue
        seg_ds = [offset + i for i in ids] if offset else ids
        ds.extend(seg_ds)
        ws.extend([idf * (K1 + 1) * tf / (tf + norm[d]) for d, tf in zip(seg_ds, tfs)])
    if len(ds) * DENSE_AT[1] >= view.size * DENSE_AT[0]:
        dense = array("d", bytes(8 * view.size))
        deque(map(dense.__setitem__, ds, ws), maxlen=0)  # dense[d] = w, in C
        return None, dense
    return ds, ws


def few_weights(view, field, word, docnums):
    """[(docnum, weight)] of the `docnums` (ascending) holding the word,
    weights as term_weights gives them, computed for these documents only:
    a quote matching three essays need not weigh 20,000 postings of 是 on
    its first search. Decoded postings a segment keeps are used; otherwise,
    for a handful of documents, only the blocks that may hold them are
    decoded and nothing is kept, and for more the whole list is decoded
    once and kept by the segment (they would touch most blocks anyway)."""
    idf = view.searcher.idf(field, word)
    norm = view.norms(field)
    out = []
    for seg, reader, offset in view.parts:
        lo = bisect_left(docnums, offset)
        hi = bisect_left(docnums, offset + reader.doc_count_all())
        if lo == hi:
            continue
        wanted = [d - offset for d in docnums[lo:hi]]
        got = seg.cached_postings(field, word)
        if got is None:
            # A handful of documents: decode their blocks alone, keep nothing.
            # More, and they touch most blocks: decode all, once (kept).
            got = (read_postings(reader, field, word, wanted) if len(wanted) <= FEW_BLOCKS
                   else seg.postings(reader, field, word))
        ids, tfs = got
        n = len(ids)
        for d in wanted:
            i = bisect_left(ids, d)
            if i < n and ids[i] == d:
                tf = tfs[i]
                out.append((offset + d, idf * (K1 + 1) * tf / (tf + norm[offset + d])))
    return out


def bm25f(view, terms, docnums, keep=True):
    """Scores indexed by docnum (a list as long as the view; documents
    without any of `terms`, (field, word, boost) triples, score 0.0). Only
    the entries of `docnums` (ascending) are meaningful: postings of
    documents outside them may add to entries nobody reads. Terms are added
    in order, each weight times its boost, so the sums equal Whoosh's.
    keep=False weighs words the view does not hold without keeping them."""
    acc = None
    if not terms or not docnums:
        return [0.0] * view.size
    few = len(docnums) * FEW_AT < view.size
    for field, word, boost in terms:
        if few:
            got = view.cached_weights(field, word)
        else:
            got = view.weights(field, word) if keep else (view.cached_weights(field, word)
                                                           or term_weights(view, field, word))
        if got is None:  # few matches, weights not at hand: weigh those alone
            if acc is None:
                acc = [0.0] * view.size
            for d, w in few_weights(view, field, word, docnums):
                acc[d] += w * boost
            continue
        ds, ws = got
        n = len(ws)
        if not n:
            continue
        if ds is None and len(docnums) * 5 >= n * 4:
            # Dense, and nearly every document wanted: a C-level map over
            # all of them (30–70 ns each) beats a Python loop over the
            # wanted ones (about 110 ns each) only from about 4/5 wanted.
            scaled = ws if boost == 1.0 else map(mul, ws, repeat(boost))
            acc = list(scaled) if acc is None else list(map(add, acc, scaled))
            continue
        if acc is None:
            acc = [0.0] * view.size
        if ds is None:
            for d in docnums:
                acc[d] += ws[d] * boost
        elif len(docnums) * 16 < n:
            # Few matches, long postings (a quote holding 的): look each
            # match up instead of walking 20,000 postings.
            for d in docnums:
                i = bisect_left(ds, d)
                if i < n and ds[i] == d:
                    acc[d] += ws[i] * boost
        elif boost == 1.0:
            for d, w in zip(ds, ws):
                acc[d] += w
        else:
            for d, w in zip(ds, ws):
                acc[d] += w * boost
    return acc if acc is not None else [0.0] * view.size


def impact_order(view, terms, number_order):
    """(docnums, scores) of every document with a nonzero bm25f score for
    `terms`, highest score first, ties in `number_order` (the live
    documents in the number order): a word's postings ordered by impact,
    as a search engine keeps them for top-k retrieval. A query ranked by
    this word alone takes its first k matches from the front
    (search.query._rank_by_impact). The scores are bm25f's for any set of
    matches holding the document: each term adds its weight the same way.
    Arrays, 12 bytes an entry; two C-level sorts (stable, so the number
    order stays under equal scores)."""
    # The word's weights are not kept beside its impact order: a query
    # ranked by this word alone reads the order, and only queries ranking
    # it with other words need its weights (and keep them then).
    scores = bm25f(view, terms, view.live, keep=False)
    docs = list(compress(number_order, map(scores.__getitem__, number_order)))
    docs.sort(key=scores.__getitem__, reverse=True)
    return array("I", docs), array("d", map(scores.__getitem__, docs))
