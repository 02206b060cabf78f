"""search.backends.whoosh.storage: index files that many threads of one process read at
once (the threaded server), each with a position of its own. (The same
against a real threaded server, with imports merging segments meanwhile,
is tests/test_reliability_threads.py.)"""
import os
import pickle
import random
import threading

import pytest

from search.backends.whoosh import query as q
from search.backends.base import EssayDoc
from search.backends.whoosh.store import WhooshIndex
from search.backends.whoosh.storage import SharedStructFile, ThreadSafeFileStorage
from search.syntax import parse_query

THREADS = 8


def run_threads(target, n=THREADS):
    """Run target(k) in n threads started together; the first error, if any, is raised."""
    errors, barrier = [], threading.Barrier(n)

    def run(k):
        barrier.wait()
        try:
            target(k)
        except BaseException as err:  # raised below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    if errors:
        raise errors[0]


@pytest.fixture
def records(tmp_path):
    """A file of 3,000 pickled records, then one line per record; their offsets."""
    items = [(i, "记录" * (i % 7), bytes(range(i % 50))) for i in range(3000)]
    offsets, lines = [], []
    with open(tmp_path / "data.bin", "wb") as fh:
        for item in items:
            offsets.append(fh.tell())
            pickle.dump(item, fh, 2)
        for i in range(len(items)):
            lines.append(fh.tell())
            fh.write(f"line {i}\n".encode())
    return ThreadSafeFileStorage(str(tmp_path)), items, offsets, lines


def test_threads_seek_and_read_one_file_each_at_its_own_position(records):
    storage, items, offsets, lines = records
    f = storage.open_file("data.bin")
    assert isinstance(f, SharedStructFile)

    def reader(k):
        rng = random.Random(k)
        for _ in range(3000):
            i = rng.randrange(len(items))
            f.seek(offsets[i])
            assert f.read_pickle() == items[i]
            assert f.tell() == (offsets[i + 1] if i + 1 < len(items) else lines[0])
            f.seek(lines[i])
            assert f.readline() == f"line {i}\n".encode()
            assert f.get(lines[i], 5) == b"line "  # no position at all
            f.seek(offsets[i])
            assert pickle.load(f.file) == items[i]  # pickle on the raw file, as Whoosh's codec does

    run_threads(reader)


def test_subsets_keep_to_their_range_and_positions(records):
    storage, items, offsets, _lines = records
    f = storage.open_file("data.bin")
    sub = f.subset(offsets[10], offsets[20] - offsets[10])
    assert sub.get(0, 10**6) == f.get(offsets[10], offsets[20] - offsets[10])
    sub.seek(offsets[12] - offsets[10])
    f.seek(offsets[5])  # the parent's position is not the subset's
    assert sub.read_pickle() == items[12] and f.read_pickle() == items[5]
    sub.seek(0)
    assert len(sub.read()) == offsets[20] - offsets[10]  # read() stops at the subset's end
    assert sub.read(10) == b""


def test_a_file_deleted_after_opening_stays_readable(records, tmp_path):
    storage, items, offsets, _lines = records
    f = storage.open_file("data.bin")
    os.unlink(tmp_path / "data.bin")  # as a merge deletes a merged segment's files
    f.seek(offsets[7])
    assert f.read_pickle() == items[7]
    assert f.get(offsets[8], 2) == pickle.dumps(items[8], 2)[:2]


WORDS = ["发展", "改革", "人民", "创新", "乡村", "振兴", "实干", "担当", "落实", "调查", "研究", "开放"]


def essay(i, rng):
    paragraphs = tuple("".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))) + "。" for _ in range(4))
    return EssayDoc(id=i, number=i, created=float(i), title="".join(rng.sample(WORDS, 3)),
                    paragraphs=paragraphs, digest=str(i))


def test_threads_searching_one_view_get_the_answers_one_thread_gets(tmp_path):
    """Eight threads search one fresh view (every word's postings read from
    the files then, by all of them at once) and get what one thread gets
    from a view of its own."""
    rng = random.Random(5)
    ix = WhooshIndex(tmp_path / "index")
    ix.write(add=[essay(i, rng) for i in range(1, 301)])
    ix.write(add=[essay(i, rng) for i in range(301, 401)])  # two segments
    queries = [" ".join(rng.sample(WORDS, rng.randint(1, 3))) for _ in range(200)]
    queries += [f"title:{w}" for w in WORDS] + [f"{a} -{b}" for a, b in zip(WORDS, WORDS[1:])]

    def answers(view, qs):
        return {text: [(h.id, h.score) for h in q.run_query(view, parse_query(text), per_page=50).hits]
                for text in qs}

    expected = answers(WhooshIndex(tmp_path / "index").view(), queries)
    view = WhooshIndex(tmp_path / "index").view()
    got = [None] * THREADS
    run_threads(lambda k: got.__setitem__(k, answers(view, queries[k::THREADS] + queries[:20])))
    for k in range(THREADS):
        assert got[k] == {text: expected[text] for text in queries[k::THREADS] + queries[:20]}
