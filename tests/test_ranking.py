"""The Whoosh backend's own BM25F (ranking) and candidate sets (bitsets,
view) against Whoosh itself and a plain scan, on a
real index in a temp directory with several segments and deleted documents."""
import random

import pytest
from whoosh import query as wq

from search.backends.whoosh import bitsets, query as q
from search.backends.base import EssayDoc
from search.backends.whoosh.store import WhooshIndex
from search.syntax import parse_query

WORDS = ["发展", "改革", "落实", "干部", "群众", "创新", "治理", "的", "是", "担当", "作为", "初心", "使命",
         "高质量", "天下", "大事", "必作于细", "人民", "经济", "乡村振兴"]


def essays(n, seed=7):
    rnd = random.Random(seed)
    for i in range(1, n + 1):
        title = "".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 4)))
        paragraphs = tuple("".join(rnd.choice(WORDS) for _ in range(rnd.randint(3, 60)))
                           for _ in range(rnd.randint(1, 5)))
        yield EssayDoc(id=i, number=i % 17 or None, created=float(i), title=title,
                       paragraphs=paragraphs, digest=f"d{i}")


@pytest.fixture
def index(tmp_path):
    """Three commits (three segments) of 60 essays, then 15 deleted."""
    ix = WhooshIndex(tmp_path / "index")
    docs = list(essays(180))
    for start in range(0, 180, 60):
        ix.write(add=docs[start:start + 60])
    ix.write(remove=range(5, 180, 12))
    return ix, {d.id: d for d in docs if (d.id - 5) % 12 != 0 or d.id < 5}


def whoosh_scores(view, parsed, docnums):
    subqueries = []
    for word, scope in dict.fromkeys(parsed.rank_words):
        subqueries.append(wq.Term("title", word, boost=q.TITLE_BOOST))
        if scope == "all":
            subqueries.append(wq.Term("body", word))
    results = view.searcher.search(wq.Or(subqueries), filter=set(docnums), limit=None)
    return {hit.docnum: hit.score for hit in results}


@pytest.mark.parametrize("text", ["发展", "的", "干部 担当", "高质量发展 乡村振兴", '"天下大事必作于细"',
                                  "初心使命", "改革 OR 创新", "title:人民 经济", "是 -群众"])
def test_scores_equal_whooshs_bm25f(index, text):
    ix, _live = index
    view = ix.view()
    assert len(view.leaves) >= 2  # several segments, with deletions
    parsed = parse_query(text)
    docnums = q.matching_docnums(view, parsed)
    assert docnums
    ours = q._scores(view, parsed, docnums)
    theirs = whoosh_scores(view, parsed, docnums)
    assert theirs  # the comparison is not vacuous
    for d in docnums:  # absent from Whoosh's answer: no ranking word, 0.0
        assert ours[d] == pytest.approx(theirs.get(d, 0.0), rel=1e-9, abs=1e-12)


def test_few_matches_in_long_postings_score_the_same(index):
    """The per-match lookup path (few matches, long postings) agrees too."""
    ix, _live = index
    view = ix.view()
    parsed = parse_query("的")
    docnums = q.matching_docnums(view, parsed)[:3]
    theirs = whoosh_scores(view, parsed, docnums)
    assert set(theirs) == set(docnums)
    ours = q._scores(view, parsed, docnums)
    assert [ours[d] for d in docnums] == pytest.approx([theirs[d] for d in docnums], rel=1e-9)


@pytest.mark.parametrize("term", ["的", "发展", "展改", "必作于细", "高质量发展的", "使命初心", "无此词"])
def test_matching_equals_a_scan_of_live_essays_only(index, term):
    """Deleted essays stay in their segment's cached text; matching must not
    return them, before or after the n-gram sets are cached."""
    ix, live = index
    view = ix.view()
    expected = sorted(i for i, d in live.items() if term in d.title + "\n" + "\n".join(d.paragraphs))
    for _ in range(2):
        got = sorted(view.ids[d] for d in q.matching_docnums(view, parse_query(f'"{term}"')))
        assert got == expected


def test_tested_terms_are_reused_only_where_they_were_tested(index):
    """A term's set from the term cache answers later queries, in any
    context, exactly as a scan does; a set found among few candidates is not
    used for more, and is replaced by the wider one then found."""
    ix, live = index
    view = ix.view()

    def scan(*terms):
        return sorted(i for i, d in live.items() if all(t in d.title + "\n" + "\n".join(d.paragraphs) for t in terms))

    def ids(query):
        return sorted(view.ids[d] for d in q.matching_docnums(view, parse_query(query)))

    key = ("高质量", "all")
    assert ids('"高质量" "乡村振兴"') == scan("高质量", "乡村振兴")
    narrow = view.term_sets._lru._data[key][0]
    assert narrow != view.live_bits  # found among the essays holding 乡村振兴
    assert ids('"高质量"') == scan("高质量")  # more candidates: tested again
    assert view.term_sets._lru._data[key][0] == view.live_bits
    calls = []
    view.titles = view.texts = _Recording(view.texts, calls)  # any substring test is seen
    for query, terms in [('"高质量"', ["高质量"]), ('"高质量" "乡村振兴"', ["高质量", "乡村振兴"]),
                         ('"高质量" -"天下大事"', ["高质量"])]:
        got = ids(query)
        want = scan(*terms)
        if "天下大事" in query:
            want = sorted(set(want) - set(scan("天下大事")))
        assert got == want, query
    assert all(term != "高质量" for term in calls)  # answered from the cache


class _Recording(list):
    """The view's texts, noting which term tests each document."""

    def __init__(self, texts, calls):
        super().__init__(texts)
        self.calls = calls

    def __getitem__(self, d):
        return _Noted(super().__getitem__(d), self.calls)


class _Noted(str):
    def __new__(cls, text, calls):
        obj = super().__new__(cls, text)
        obj.calls = calls
        return obj

    def __contains__(self, term):
        self.calls.append(term)
        return super().__contains__(term)


def test_sets_survive_a_new_commit_and_see_its_deletions(index):
    ix, live = index
    view = ix.view()
    before = q.matching_docnums(view, parse_query("发展"))
    assert before
    gone = view.ids[before[0]]
    ix.write(remove=[gone], add=[EssayDoc(id=999, number=None, created=0.0, title="发展", paragraphs=("x",),
                                          digest="n")])
    after = {ix.view().ids[d] for d in q.matching_docnums(ix.view(), parse_query("发展"))}
    assert gone not in after and 999 in after
    assert after == {view.ids[d] for d in before} - {gone} | {999}


@pytest.mark.parametrize("sort", q.SORTS)
def test_cached_answers_and_deep_pages_equal_a_fresh_ranking(index, sort, monkeypatch):
    """Pages served from a view's result cache (ranked RANK_AHEAD deep, then
    deeper on demand) equal rankings computed afresh for each page."""
    ix, live = index
    monkeypatch.setattr(q, "RANK_AHEAD", 10)
    view = ix.view()
    parsed = parse_query("的")
    assert 40 < len(live)

    def pages(v):
        got, page = [], 1
        while True:
            result = q.run_query(v, parsed, sort=sort, page=page, per_page=7)
            if not result.hits:
                return got, result.count
            got += [(h.id, h.score, h.phrase) for h in result.hits]
            page += 1

    cached, count = pages(view)
    assert view.results.get((q._query_key(parsed), sort, None)) is not None
    fresh = []
    for page in range(1, -(-count // 7) + 1):
        view.results = type(view.results)(0)  # nothing cached: ranked afresh
        fresh += [(h.id, h.score, h.phrase) for h in q.run_query(view, parsed, sort=sort, page=page, per_page=7).hits]
    assert cached == fresh and len(cached) == count == len(set(cached))


@pytest.mark.parametrize("k", [1, 7, 30, 500])
@pytest.mark.parametrize("walk", [q.IMPACT_WALK, 10**6])
def test_impact_order_ranks_as_scoring_every_match_does(index, k, walk, monkeypatch):
    """A query ranked by one word, read off the word's impact order, gets
    the same order, scores and count as scoring and sorting every match
    (many ties here: 20 words, numbers repeating every 17 essays), and
    skips deleted essays and those the query excludes; where it does not
    apply it declines. (Here nearly every essay holds every word: a long
    walk is allowed too, so that the walk meets essays it must skip.)"""
    ix, _live = index
    monkeypatch.setattr(q, "IMPACT_WALK", walk)
    view = ix.view()
    used = set()
    for text in WORDS + ["发", "落实 -干部", "的 -发展", "是 -群众", "title:人民", "改革 OR 创新"]:
        parsed = parse_query(text)
        bits = q.matching_bits(view, parsed)
        got = q._rank_by_impact(view, parsed, bits, k)
        if got is None:
            continue
        used.add(text)
        with monkeypatch.context() as m:
            m.setattr(q, "_rank_by_impact", lambda *args: None)
            expected = q._rank(view, parsed, "relevance", k)
        assert got == expected, text
        assert len(got.order) == min(k, bitsets.count(bits))
    assert {"的", "发展", "title:人民"} <= used  # the comparison is not vacuous
    assert walk == q.IMPACT_WALK or {"的 -发展", "是 -群众"} <= used
    assert "发" not in used  # matches without the word as a token: the general path


def test_a_commit_starts_a_new_result_cache(index):
    ix, _live = index
    before = q.run_query(ix.view(), parse_query("乡村振兴")).count
    ix.write(add=[EssayDoc(id=1000, number=None, created=0.0, title="乡村振兴", paragraphs=("x",), digest="n")])
    assert q.run_query(ix.view(), parse_query("乡村振兴")).count == before + 1


def _walk(reader, field, word):
    """(ids, tfs) through Whoosh's matcher, one posting at a time."""
    m = reader.postings(field, word)
    ids, tfs = [], []
    while m.is_active():
        ids.append(m.id())
        tfs.append(int(m.weight()))
        m.next()
    return ids, tfs


def test_block_decoder_reads_what_whooshs_matcher_reads(tmp_path, caplog):
    """read_postings decodes a posting list's blocks from one read: long
    lists (several blocks of 128, compressed), short ones (one small block,
    stored uncompressed), and deleted documents all as the matcher gives
    them, less the deletions filter (ranking never sees deleted docnums)."""
    from search.backends.whoosh.internals import read_postings

    ix = WhooshIndex(tmp_path / "index")
    ix.write(add=list(essays(700, seed=11)))
    ix.write(remove=range(3, 700, 9))
    view = ix.view()
    [(reader, _offset)] = view.leaves
    lengths = {}
    for field, term in reader.all_terms():
        if field in ("body", "title"):
            word = term.decode("utf-8")
            ids, tfs = read_postings(reader, field, word)
            want_ids, want_tfs = _walk(reader, field, word)
            assert [i for i in ids if not reader.is_deleted(i)] == want_ids
            assert [t for i, t in zip(ids, tfs) if not reader.is_deleted(i)] == want_tfs
            assert len(set(ids)) == len(ids) == len(tfs)
            lengths[field, word] = len(ids)
    assert max(lengths.values()) > 3 * 128 and min(lengths.values()) < 20  # many blocks and one small
    assert [list(a) for a in read_postings(reader, "body", "不在索引里")] == [[], []]
    assert not caplog.records  # no list fell back to the matcher


def test_few_matches_are_weighed_from_the_blocks_that_hold_them(tmp_path):
    """few_weights (a query matching few essays, weights not cached) gives
    exactly term_weights' values for those essays, decoding only the blocks
    whose id range can hold them."""
    from search.backends.whoosh import internals, ranking

    ix = WhooshIndex(tmp_path / "index")
    ix.write(add=list(essays(700, seed=5)))
    ix.write(add=list(essays(750, seed=6))[700:])  # a second segment
    view = ix.view()
    fresh = WhooshIndex(tmp_path / "index").view()  # decodes nothing but what few_weights asks
    rnd = random.Random(2)
    for field, word in [("body", "的"), ("body", "发展"), ("title", "人民"), ("body", "乡村振兴")]:
        ds, ws = ranking.term_weights(fresh, field, word)
        full = dict(enumerate(ws)) if ds is None else dict(zip(ds, ws))
        full = {d: w for d, w in full.items() if w}
        for _ in range(20):
            docnums = sorted(rnd.sample(range(view.size), rnd.randint(1, 12)))
            got = ranking.few_weights(view, field, word, docnums)
            assert got == [(d, full[d]) for d in docnums if d in full]
            assert all(seg.cached_postings(field, word) is None for seg, _r, _o in view.parts)
    reader = view.parts[0][1]
    whole = internals.read_postings(reader, "body", "的")
    part = internals.read_postings(reader, "body", "的", wanted=[3, 4])
    assert 3 in part[0] and len(part[0]) <= 128 < len(whole[0])
    assert part[1][list(part[0]).index(3)] == whole[1][list(whole[0]).index(3)]


def test_a_view_holds_the_norms_a_first_search_needs(index):
    """Read when the view is made (WhooshIndex._new_view), not at the
    first search: by then a merge may have deleted the lengths' file."""
    ix, _live = index
    view = ix.view()
    assert set(view._norms) == {"title", "body"}
    assert all(len(norms) == view.size for norms in view._norms.values())
    assert not view._orders
    q.warm(view)  # and the number order a ranking by one word falls back on for ties
    assert list(view._orders["number"]) == sorted(view.live, key=lambda d: (view.numbers[d] is None,
                                                                            view.numbers[d] or 0, view.ids[d]))


def test_each_cache_keeps_one_copy_of_a_words_weighing(index):
    """Memory: a word ranked alone keeps its impact order and not its
    weights too; weighing a word keeps its weights and not the postings
    they came from; a word ranked beside another keeps its weights. The
    answers stay those of a fresh view."""
    ix, _live = index
    view = ix.view()
    first = [(h.id, h.score) for h in q.run_query(view, parse_query("发展")).hits]
    assert view._impacts.get(("发展", "all")) is not None
    assert view.cached_weights("title", "发展") is None and view.cached_weights("body", "发展") is None
    both = [(h.id, h.score) for h in q.run_query(view, parse_query("发展 改革")).hits]
    assert view.cached_weights("body", "发展") is not None and view.cached_weights("body", "改革") is not None
    assert all(seg.cached_postings(field, word) is None for seg, _r, _o in view.parts
               for field in ("title", "body") for word in ("发展", "改革"))
    fresh = WhooshIndex(ix.path).view()
    assert first == [(h.id, h.score) for h in q.run_query(fresh, parse_query("发展")).hits]
    assert both == [(h.id, h.score) for h in q.run_query(fresh, parse_query("发展 改革")).hits]
    assert first and both


def test_the_weights_are_bm25_of_each_posting(index):
    """BM25 is one pure function (ranking.bm25 over ranking.length_norm);
    the Scorer's vectorised weights and term_weights give exactly its values
    (not approximately: the same operations in the same order)."""
    from search.backends.whoosh import internals, ranking

    ix, _live = index
    view = ix.view()
    avgfl = view.searcher.avg_field_length("body") or 1
    for word in ("发展", "落实", "的"):
        idf = view.searcher.idf("body", word)
        expected = {}
        for seg, reader, offset in view.parts:
            ids, tfs = internals.read_postings(reader, "body", word)
            lengths = seg.lengths(reader, "body")
            for i, tf in zip(ids, tfs):
                expected[offset + i] = ranking.bm25(idf, tf, ranking.length_norm(lengths[i], avgfl))
        ds, ws = ranking.term_weights(view, "body", word)
        got = dict(zip(ds, ws)) if ds is not None else {d: w for d, w in enumerate(ws) if d in expected}
        assert got == expected and expected, word
        scorer = ranking.Scorer(view, "body", word)
        docs = sorted(expected)[:50]
        tfs = [1 + d % 4 for d in docs]
        assert scorer.weights(docs, tfs) == [scorer.weight(d, tf) for d, tf in zip(docs, tfs)]
