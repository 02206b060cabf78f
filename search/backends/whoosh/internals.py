"""Every use of Whoosh's private internals, in one module.

The engine reads and writes Whoosh's own files through Whoosh's codec, but
three jobs reach below its public API, because the public way cost most of
the time (docs/SEARCH.md has the measurements):

- writing: CompactSegmentWriter replaces SegmentWriter's posting pool and
  fills its postings writer a block at a time (`_flush_segment`,
  `_postwriter`, `_blocklimit`, `_write_block` and the block's fields);
  after a failed write, `abandon` removes what the writer left
  (`_close_segment`, `_tempstorage`, `writelock`), and `segment_ids`
  reads which segments a table of contents lists (`_segments`);
- reading postings: `read_postings` decodes a posting list's blocks from
  one read of its extent in the segment's postings file (`_terms._postfile`,
  the W3 block layout), falling back on the matcher;
- reading field lengths: `field_lengths` reads the one-byte-per-document
  length column (`_perdoc._get_column_file`), falling back on the public
  per-document lookup.

(search.backends.whoosh.storage subclasses Whoosh's FileStorage and
StructFile, the storage layer's public extension points, and keeps to
StructFile's own `_name`; it stays a module of its own, being a whole
file layer.)

These are tied to one release: WHOOSH_VERSION is the pinned
whoosh-reloaded, and tests/test_whoosh_internals.py fails loudly when the
installed one differs (then re-check tests/test_writer.py and
tests/test_ranking.py, which compare these paths with Whoosh's own).

The writer (CompactSegmentWriter) keeps what Whoosh's SegmentWriter does
except how postings travel: Whoosh keeps every posting as a 5-tuple in a
sorting pool (spilled to disk past `limitmb`, then merged) and writes each
one through four method calls with type assertions; this one groups them
in a search.backends.whoosh.pool.TermPool as they arrive and, at the
commit, hands each term's postings to Whoosh's own postings writer a block
at a time, with the block statistics Whoosh would compute. What reaches the
disk is Whoosh's format, written by Whoosh's codec; tests/test_writer.py
checks that segments written both ways are byte-identical. The price is
memory: the postings of one commit stay in RAM, which is why bulk writes
commit in chunks (docs/SEARCH.md, "Indexing").
"""
import io
import logging
import pickle
import struct
import zlib
from array import array
from bisect import bisect_right
from itertools import accumulate

from whoosh import writing
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length

from .pool import PAIR, SHIFT, TermPool, frequent_words

log = logging.getLogger(__name__)
WHOOSH_VERSION = "2.7.5"  # whoosh-reloaded, as pinned in requirements.txt
_INT = struct.Struct("!i")  # whoosh.system's int: a block's length


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
        ids = array("I", [p >> SHIFT for p in block])
        ws, vs = zip(*[pairs[p & PAIR] for p in block])
        postwriter._ids = ids
        postwriter._weights = array("f", ws)
        postwriter._values = [v for v in vs if v]
        postwriter._maxweight = max(0, max(ws))
        lens = [n for n in map(field_lengths.__getitem__, ids) if n]
        postwriter._minlength = min(lens) if lens else None
        postwriter._maxlength = max(lens) if lens else 0


def segment_ids(ix):
    """The ids of the segments the index's latest table of contents lists."""
    return {seg.segment_id() for seg in ix._segments()}


def abandon(writer, remove_segment):
    """After a write failed (a full disk, a killed commit): remove what the
    writer left, its temporary pool and the files of its new segment
    (`remove_segment(writer)`), then release the lock. Every step is tried
    on its own: the disk that failed the write may fail some of them too."""
    for step in (writer._close_segment, writer._tempstorage.destroy, lambda: remove_segment(writer)):
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


_LENGTH_OF_BYTE = [byte_to_length(b) for b in range(256)]


def field_lengths(reader, field):
    """Every document's length of `field`, as reader.doc_field_length gives
    it, read as one block from the segment's lengths column (one byte per
    document) instead of one column lookup per document (docs/SEARCH.md,
    "Figures behind the code")."""
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
