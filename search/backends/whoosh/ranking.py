"""BM25F scores for a known set of matching essays.

Whoosh's own search walks every posting of every ranking word and applies a
filter afterwards, scoring each posting through several layers of matcher
objects, which cost most of a query's time (docs/SEARCH.md, "Ranking").
Matching is already done (search.backends.whoosh.query), so ranking only
has to add up, for the matched documents, the same BM25F terms Whoosh would
compute, laid out as Whoosh's scoring.py and Lucene's BM25Similarity do: one
pure function of a posting (`bm25`, with `length_norm`), and a `Scorer`
holding what it needs of one word (its idf, the field's normalisers):

    idf × boost × tf × (K1 + 1) / (tf + K1 × (1 − B + B × fl / avgfl))

with Whoosh's own idf (over all documents, deleted ones included), its
average field length and its byte-quantised per-document field lengths, so
the scores equal `searcher.search(Or(terms))` scores (tests/test_ranking.py
compares them). Postings are decoded once per segment into compact arrays
(search.backends.whoosh.view._Segment.postings) and weighed once per
ReadView, except for a query matching few documents, which weighs just
those (few_weights); the per-document length normaliser is computed once
per ReadView.
"""
from array import array
from bisect import bisect_left
from collections import deque
from itertools import compress, repeat
from operator import add, mul

from .internals import read_postings

B = 0.75  # Whoosh BM25F defaults
K1 = 1.2
DENSE_AT = (2, 3)  # a word's weights are kept dense when it is in 2/3 of the documents
FEW_AT = 16  # under 1/16 of the documents matched: weigh those alone (few_weights)
FEW_BLOCKS = 16  # at most this many of a segment's documents: decode only their blocks


def length_norm(fl, avgfl):
    """BM25's length normaliser of a field `fl` long, against the average."""
    return K1 * ((1 - B) + B * fl / avgfl)


def bm25(idf, tf, norm):
    """One posting's BM25 weight, boost left out: a word `tf` times in a
    field whose length_norm is `norm`."""
    return idf * (K1 + 1) * tf / (tf + norm)


class Scorer:
    """What weighing one word in one field of a view needs: its idf and the
    field's per-document normalisers (ReadView.norms)."""

    __slots__ = ("idf", "norm")

    def __init__(self, view, field, word):
        self.idf = view.searcher.idf(field, word)
        self.norm = view.norms(field)

    def weight(self, d, tf):
        """bm25 of the word `tf` times in document d."""
        return bm25(self.idf, tf, self.norm[d])

    def weights(self, docnums, tfs):
        """[weight(d, tf)] over many postings: bm25 written out in the loop,
        the same operations in the same order (a call per posting would cost
        more than the arithmetic)."""
        idf, norm = self.idf, self.norm
        return [idf * (K1 + 1) * tf / (tf + norm[d]) for d, tf in zip(docnums, tfs)]


def term_weights(view, field, word):
    """(docnums, weights) of one word in one field over the whole view:
    each posting's idf × tf × (K1 + 1) / (tf + norm), boost left out.
    A word in most documents comes back dense, (None, weights by docnum,
    0.0 where absent): no bigger than its postings, and bm25f adds it with
    one C-level map instead of a Python loop over 20,000 postings. Cached
    per view by ReadView.weights (docs/SEARCH.md gives its size);
    the postings read for them are not kept (few_weights keeps its own)."""
    scorer = Scorer(view, field, word)
    ds, ws = array("I"), array("d")
    for seg, reader, offset in view.parts:
        # Decoded for this once and not kept: the view keeps the weights, and
        # while it does, nothing reads the word's postings (bm25f).
        ids, tfs = seg.cached_postings(field, word) or read_postings(reader, field, word)
        if not ids:
            continue
        seg_ds = [offset + i for i in ids] if offset else ids
        ds.extend(seg_ds)
        ws.extend(scorer.weights(seg_ds, tfs))
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
    scorer = Scorer(view, field, word)
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
                out.append((offset + d, scorer.weight(offset + d, tfs[i])))
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
    (query._rank_by_impact). The scores are bm25f's for any set of
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
