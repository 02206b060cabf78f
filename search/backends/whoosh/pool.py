"""The compact posting pool of the index writer (search.backends.whoosh
.internals.CompactSegmentWriter) and what it knows for nothing: each word's
document count.

The pool groups postings by (field, term) in typed arrays as they arrive
(8 bytes a posting, no per-posting objects for the garbage collector to
walk, no sort: documents arrive in ascending order); docs/SEARCH.md,
"Indexing", says why and what it measured.
"""
from array import array

from whoosh.system import emptybytes


class TermPool:
    """Postings grouped by (field name, term bytes). A posting is one 64-bit
    number, its document number shifted above the id of its (weight, value)
    pair: those pairs are few (a word's frequency decides both)."""

    def __init__(self):
        self.terms = {}
        self.pairs = []  # pair id -> (weight, value bytes)
        self._pair_ids = {}

    def add(self, item):
        """Take one posting: (fieldname, btext, docnum, weight, vbytes)."""
        fieldname, btext, docnum, weight, vbytes = item
        if docnum == -1:  # Whoosh's marker for spelling words; we keep no spelling graph
            return
        pair = (weight, vbytes)
        pid = self._pair_ids.get(pair)
        if pid is None:
            pid = self._pair_ids[pair] = len(self.pairs)
            self.pairs.append((weight, emptybytes if vbytes is None else vbytes))
        postings = self.terms.get((fieldname, btext))
        if postings is None:
            postings = self.terms[(fieldname, btext)] = array("Q")
        postings.append(docnum << SHIFT | pid)

    def cleanup(self):
        self.terms.clear()


SHIFT = 24  # bits for the pair id; document numbers take the 40 above
PAIR = (1 << SHIFT) - 1


FREQUENT_WORDS = 256


def frequent_words(pool, fieldname, doccount, k=None):
    """The k (FREQUENT_WORDS) words of at least two characters in the most
    documents of `fieldname`, and in at least 1% of the `doccount`, most
    frequent first: the pool knows each word's document count (its number
    of postings) for free, and these are the words whose exact document
    sets charfile stores with the segment."""
    k = FREQUENT_WORDS if k is None else k
    least = max(2, doccount // 100)
    counts = [(len(postings), btext) for (field, btext), postings in pool.terms.items()
              if field == fieldname and len(btext) > 1 and len(postings) >= least]
    counts.sort(key=lambda c: (-c[0], c[1]))
    words = []
    for _count, btext in counts:
        word = btext.decode("utf-8")
        if len(word) > 1:
            words.append(word)
            if len(words) == k:
                break
    return words
