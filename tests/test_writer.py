"""search.backends.whoosh.internals.CompactSegmentWriter: segments written
through the compact posting pool must be
the segments Whoosh's own SegmentWriter writes, byte for byte, including
long posting lists (several blocks), merges of segments with deletions, and
the id field's empty values."""
import random

import pytest
from whoosh import writing
from whoosh.filedb.filestore import FileStorage

from search.backends.base import EssayDoc
from search.backends.whoosh.schema import make_schema, whoosh_fields
from search.backends.whoosh.internals import CompactSegmentWriter
from search.backends.whoosh.pool import TermPool

WORDS = ["发展", "改革", "落实", "干部", "群众", "创新", "治理", "的", "是", "担当", "作为", "初心", "使命",
         "高质量", "天下", "大事", "必作于细", "人民", "经济", "乡村振兴"]


def docs(n, seed):
    rnd = random.Random(seed)
    for i in range(1, n + 1):
        # Some rare words (one posting), some in every essay (several blocks
        # of 128 postings), counts from 1 to hundreds.
        rare = [f"词{rnd.randint(0, 5000)}" for _ in range(rnd.randint(0, 4))]
        body = "".join(rnd.choice(WORDS) for _ in range(rnd.randint(3, 400)))
        yield EssayDoc(id=i, number=i % 17 or None, created=float(i), title="".join(rare[:2]) or "无题",
                       paragraphs=(body, "".join(rare)), digest=f"d{i}")


def build(path, writer_class, batches, deletions=(), merge=None):
    """An index written by `writer_class`: one commit per batch, then the
    deletions, then (if asked) a final commit that merges everything."""
    path.mkdir()
    ix = FileStorage(str(path)).create_index(make_schema(), indexname="essays")
    for batch in batches:
        w = writer_class(ix, compound=False)
        for doc in batch:
            w.add_document(**whoosh_fields(doc))
        w.commit(mergetype=writing.NO_MERGE)
    if deletions:
        w = writer_class(ix, compound=False)
        for key in deletions:
            w.delete_by_term("id", str(key))
        w.commit(mergetype=writing.NO_MERGE)
    if merge:
        w = writer_class(ix, compound=False)
        w.commit(mergetype=merge)
    return ix


def segment_files(ix):
    """(extension, bytes) of every file of every segment, in segment order:
    the names hold random segment ids, the contents must not differ."""
    out = []
    for seg in ix._segments():
        for name in sorted(ix.storage.list()):
            if name.startswith(f"{seg.segment_id()}."):
                out.append((name.split(".", 1)[1], ix.storage.open_file(name).read()))
    return out


def stock(ix, **kwargs):
    return writing.SegmentWriter(ix, **kwargs)


def test_one_segment_is_byte_identical(tmp_path):
    batch = list(docs(400, seed=1))
    ours = build(tmp_path / "ours", CompactSegmentWriter, [batch])
    theirs = build(tmp_path / "theirs", stock, [batch])
    files = segment_files(ours)
    assert {ext for ext, _ in files} >= {"pst", "trm"}
    assert files == segment_files(theirs)
    with ours.reader() as reader:  # the test covers multi-block lists
        assert reader.doc_frequency("body", "发展") > 3 * 128


@pytest.mark.parametrize("merge", [writing.OPTIMIZE, writing.MERGE_SMALL])
def test_merged_segments_with_deletions_are_byte_identical(tmp_path, merge):
    all_docs = list(docs(500, seed=2))
    batches = [all_docs[:200], all_docs[200:350], all_docs[350:]]
    deleted = range(3, 500, 7)
    ours = build(tmp_path / "ours", CompactSegmentWriter, batches, deleted, merge)
    theirs = build(tmp_path / "theirs", stock, batches, deleted, merge)
    assert len(ours._segments()) == len(theirs._segments())
    assert segment_files(ours) == segment_files(theirs)
    with ours.searcher() as s:
        assert s.doc_count() == 500 - len(deleted)


def test_pool_keeps_postings_in_document_order_per_term():
    pool = TermPool()
    for docnum, word, freq in [(0, b"a", 2), (0, b"b", 1), (1, b"a", 1), (3, b"a", 7)]:
        pool.add(("body", word, docnum, float(freq), bytes([freq])))
    pool.add(("body", b"a", -1, 1.0, b""))  # a spelling marker: not a posting
    a = pool.terms[("body", b"a")]
    assert [p >> 24 for p in a] == [0, 1, 3]
    assert [pool.pairs[p & 0xFFFFFF] for p in a] == [(2.0, b"\x02"), (1.0, b"\x01"), (7.0, b"\x07")]
