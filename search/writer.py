"""A Whoosh segment writer that keeps its postings compactly and writes them
a block at a time.

Whoosh's SegmentWriter keeps every posting as a 5-tuple in a sorting pool
(spilled to disk in runs past `limitmb`, then merged), and writes each one
through four method calls with type assertions. At 20,000 essays that is 13
million postings, and measurement put most of an index build's time after
segmentation there. This writer differs only in how the postings travel:

- the pool groups them by (field, term) in typed arrays as they arrive
  (8 bytes a posting, no per-posting objects for the garbage collector to
  walk, no sort: documents arrive in ascending order);
- at the commit, each term's postings are handed to Whoosh's own postings
  writer a block at a time, with the block statistics Whoosh would compute.

What reaches the disk is Whoosh's format, written by Whoosh's codec; tests
check that segments written both ways hold the same terms, postings and
statistics. The price is memory: the postings of one commit stay in RAM
(about 8 KB an essay), which is why bulk writes commit in chunks.
"""
from array import array

from whoosh import writing
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
        postings.append(docnum << _SHIFT | pid)

    def cleanup(self):
        self.terms.clear()


_SHIFT = 24  # bits for the pair id; document numbers take the 40 above
_PAIR = (1 << _SHIFT) - 1


class CompactSegmentWriter(writing.SegmentWriter):
    """Whoosh's SegmentWriter with a TermPool and block-wise posting output.
    Takes the same arguments as `ix.writer()` (single process). After the
    commit, `frequent_words` holds the segment's most frequent words of at
    least two characters (see frequent_words)."""

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        self.pool = TermPool()
        self.frequent_words = []

    def _flush_segment(self):
        self.frequent_words = frequent_words(self.pool, "body", self.docnum)
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        try:
            write_postings(self.fieldwriter, self.schema, self.pool, lengths, self.docnum)
        finally:
            self.fieldwriter.close()
            if lengths is not None:
                lengths.close()


FREQUENT_WORDS = 256


def frequent_words(pool, fieldname, doccount, k=None):
    """The k (FREQUENT_WORDS) words of at least two characters in the most
    documents of `fieldname`, and in at least 1% of the `doccount`, most
    frequent first: the pool knows each word's document count (its number
    of postings) for free, and these are the words whose exact document
    sets search.charfile stores with the segment."""
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


def _field_lengths(lengths, fieldname, doccount):
    """Every document's (quantised) length in a field, as Whoosh's posting
    writer sees it; 0 or None where Whoosh would record no length."""
    if lengths is None:
        return [0] * doccount
    dfl = lengths.doc_field_length
    return [dfl(d, fieldname) for d in range(doccount)]


def write_postings(fieldwriter, schema, pool, lengths, doccount):
    """Write the pool's postings through Whoosh's field writer, in term
    order, each term's postings in blocks of the codec's block size."""
    pairs = pool.pairs
    current = None
    for fieldname, btext in sorted(pool.terms):
        if fieldname != current:
            if current is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            current = fieldname
            field_lengths = _field_lengths(lengths, fieldname, doccount)
        postings = pool.terms[(fieldname, btext)]
        if any(a >= b for a, b in zip(postings, postings[1:])):
            # Merged segments can interleave; Whoosh's pool sorts by document.
            postings = array("Q", sorted(postings))
        fieldwriter.start_term(btext)
        _add_blocks(fieldwriter._postwriter, postings, pairs, field_lengths)
        fieldwriter.finish_term()
    if current is not None:
        fieldwriter.finish_field()


def _add_blocks(postwriter, postings, pairs, field_lengths):
    """Fill Whoosh's postings writer block by block. Its add_posting() writes
    the buffered block when the next posting would overflow it and leaves the
    last block to finish_postings(); this does the same with whole blocks,
    setting the statistics add_posting() would have gathered."""
    limit = postwriter._blocklimit
    for start in range(0, len(postings), limit):
        if start:
            postwriter._write_block()  # the previous block is full
        block = postings[start:start + limit]
        ids = array("I", [p >> _SHIFT for p in block])
        ws, vs = zip(*[pairs[p & _PAIR] for p in block])
        postwriter._ids = ids
        postwriter._weights = array("f", ws)
        postwriter._values = [v for v in vs if v]
        postwriter._maxweight = max(0, max(ws))
        lens = [n for n in map(field_lengths.__getitem__, ids) if n]
        postwriter._minlength = min(lens) if lens else None
        postwriter._maxlength = max(lens) if lens else 0
