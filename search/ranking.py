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
(search.index._Segment.postings); the per-document length normaliser is
computed once per ReadView.
"""
from array import array
from bisect import bisect_left
from operator import add, truediv

from whoosh.matching.wrappers import FilterMatcher

B = 0.75  # Whoosh BM25F defaults
K1 = 1.2


def read_postings(reader, field, word):
    """(ids, term frequencies) of a word in one segment, as arrays; deleted
    documents included (a matched set never holds them)."""
    ids, tfs = array("I"), array("I")
    try:
        m = reader.postings(field, word)
    except Exception:  # whoosh raises TermNotFound (a KeyError) for an absent term
        return ids, tfs
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


def bm25f(view, terms, docnums):
    """Scores indexed by docnum (a list as long as the view; documents
    without any of `terms`, (field, word, boost) triples, score 0.0). Only
    the entries of `docnums` (ascending) are meaningful: postings of
    documents outside them may add to entries nobody reads."""
    acc = [0.0] * view.size
    if not terms or not docnums:
        return acc
    searcher = view.searcher
    for field, word, boost in terms:
        c = searcher.idf(field, word) * boost * (K1 + 1)
        norm = view.norms(field)
        for seg, reader, offset in view.parts:
            ids, tfs = seg.postings(reader, field, word)
            if not ids:
                continue
            if len(docnums) * 16 < len(ids):
                # Few matches, long postings (a quote holding 的): look
                # each match up instead of walking 20,000 postings.
                n = len(ids)
                for d in docnums:
                    i = bisect_left(ids, d - offset)
                    if i < n and ids[i] == d - offset:
                        tf = tfs[i]
                        acc[d] += c * tf / (tf + norm[d])
                continue
            ds = [offset + i for i in ids] if offset else ids
            # The arithmetic in C-level maps; one Python step per posting.
            values = map(truediv, map(c.__mul__, tfs), map(add, tfs, map(norm.__getitem__, ds)))
            for d, v in zip(ds, values):
                acc[d] += v
    return acc
