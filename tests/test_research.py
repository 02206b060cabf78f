"""Metadata filters, date sorts, facets and timelines through the service
and the API, compared with a brute-force scan over the same essays (the
tests' own fold; metadata compared in Python)."""
import datetime
import random
from collections import Counter

import pytest

from essays.dates import PartialDate
from essays.models import Essay
from search import service
from search.sync import batched_indexing

from .conftest import essay_file
from .support.oracle import fold

pytestmark = pytest.mark.django_db(transaction=True)

SOURCES = ["人民日报", "求是", "新华社", "光明日报"]
COLUMNS = ["社论", "评论", "讲话"]
AUTHORS = ["", "任仲平", "本报评论员"]
PHRASES = ["抓落实", "正能量", "哈哈", "高质量发展"]


def make_corpus(n=90, seed=15):
    from essays.importing import import_essay_bytes

    rng = random.Random(seed)
    with batched_indexing():
        for i in range(n):
            paragraphs = []
            for _p in range(rng.randrange(1, 4)):
                words = [rng.choice(PHRASES + ["工作", "群众", "改革", "哈"]) for _ in range(rng.randrange(3, 12))]
                paragraphs.append("，".join(words) + "。")
            title = rng.choice(["发展", "改革", "落实"]) + f"第{i}篇"
            outcome = import_essay_bytes(essay_file(i + 1, title, paragraphs), f"r{i}.txt")
            assert outcome.status == "created", outcome
    for e in Essay.objects.all():
        kind = rng.random()
        day = datetime.date(2016, 1, 1) + datetime.timedelta(days=rng.randrange(1800))
        e.date = (None if kind < 0.1 else PartialDate(day.year) if kind < 0.2 else
                  PartialDate(day.year, day.month) if kind < 0.35 else PartialDate(day.year, day.month, day.day))
        e.source, e.column, e.author = rng.choice(SOURCES), rng.choice(COLUMNS), rng.choice(AUTHORS)
        e.save()
    return list(Essay.objects.all())


@pytest.fixture
def corpus():
    return make_corpus()


def matches(essay, quote, title_only=False):
    term = fold(quote)
    parts = [essay.title] if title_only else [essay.title, *essay.paragraphs]
    return any(term in fold(p) for p in parts)


def passes(e, start=None, end=None, source=(), author=(), column=()):
    d = e.date
    if (start or end) and d is None:
        return False
    if start and d.end < start or end and d.start > end:
        return False
    return not (source and e.source not in source or author and e.author not in author
                or column and e.column not in column)


def all_ids(text, sort, filters):
    out, page = [], 1
    while True:
        result = service.search(text, sort=sort, page=page, per_page=100, filters=filters, with_facets=True)
        out += [h.id for h in result.hits]
        if page >= result.num_pages:
            return out, result
        page += 1


FILTERS = [
    {},
    {"start": datetime.date(2017, 1, 1), "end": datetime.date(2018, 12, 31)},
    {"start": datetime.date(2018, 7, 1)},
    {"end": datetime.date(2017, 3, 31), "source": ("人民日报", "求是")},
    {"column": ("社论",), "author": ("任仲平", "本报评论员")},
    {"start": datetime.date(2019, 2, 10), "end": datetime.date(2019, 2, 10)},
]
QUERIES = [('"抓落实"', "抓落实", False), ('"哈哈"', "哈哈", False), ('title:"发展"', "发展", True),
           ('"高质量发展"', "高质量发展", False)]


def date_key(e, newest):
    if e.date is None:
        return (1, 0, 0, e.pk)
    day = e.date_start.toordinal()
    return (0, -day if newest else day, e.number, e.pk)


@pytest.mark.parametrize("filters", FILTERS)
def test_filtered_answers_sorts_and_facets_equal_a_brute_force_scan(corpus, filters):
    for text, quote, title_only in QUERIES:
        expected = [e for e in corpus if matches(e, quote, title_only) and passes(e, **filters)]
        for sort in ("relevance", "number", "newest", "date", "date_asc"):
            got, result = all_ids(text, sort, filters)
            assert result.count == len(expected) == len(got), (text, sort, filters)
            assert sorted(got) == sorted(e.pk for e in expected), (text, sort, filters)
            if sort in ("date", "date_asc"):
                assert got == [e.pk for e in sorted(expected, key=lambda e: date_key(e, sort == "date"))]
        years = Counter(f"{e.date_start.year:04d}" for e in expected if e.date)
        assert result.facets["year"] == dict(sorted(years.items()))
        assert result.facets["source"] == dict(sorted(Counter(e.source for e in expected).items(),
                                                      key=lambda kv: (-kv[1], kv[0])))
        assert result.facets["column"] == dict(sorted(Counter(e.column for e in expected).items(),
                                                      key=lambda kv: (-kv[1], kv[0])))


def occurrences(e, term, title_only=False):
    term = fold(term)
    parts = [e.title] if title_only else [e.title, *e.paragraphs]
    return sum(sum(1 for i in range(len(fold(p))) if fold(p).startswith(term, i)) for p in parts)


@pytest.mark.parametrize("by", ["year", "month"])
@pytest.mark.parametrize("filters", FILTERS[:4])
def test_timeline_buckets_equal_a_brute_force_count(corpus, by, filters):
    for text, quote, title_only in QUERIES:
        tl = service.timeline(text, by=by, filters=filters)
        expected = [e for e in corpus if matches(e, quote, title_only) and passes(e, **filters)]

        def period(e):
            if e.date is None or (by == "month" and e.date.precision == "year"):
                return None
            return f"{e.date_start.year:04d}" if by == "year" else f"{e.date_start:%Y-%m}"

        essays, occ = Counter(), Counter()
        for e in expected:
            if period(e):
                essays[period(e)] += 1
                occ[period(e)] += occurrences(e, quote, title_only)
        in_period = Counter(period(e) for e in corpus if passes(e, **filters) and period(e))
        assert tl["count"] == len(expected)
        got = {b["period"]: b for b in tl["buckets"]}
        if essays:
            assert tl["buckets"][0]["period"] == min(essays) and tl["buckets"][-1]["period"] == max(essays)
        for p, b in got.items():
            assert (b["essays"], b["occurrences"], b["essays_in_period"]) == (essays[p], occ[p], in_period[p])
        undated = [e for e in expected if e.date is None]
        assert tl["undated"] == {"essays": len(undated),
                                 "occurrences": sum(occurrences(e, quote, title_only) for e in undated)}
        dated = sorted((e for e in expected if e.date), key=lambda e: (e.date_start, e.number, e.pk))
        if dated:
            assert tl["first"]["id"] == dated[0].pk and tl["first"]["date"] == dated[0].date.iso()


def test_the_api_takes_filters_and_answers_facets_and_timelines(client, corpus):
    data = client.get("/api/search", {"q": '"抓落实"', "from": "2017", "to": "2018", "source": ["人民日报", "求是"],
                                      "sort": "date"}).json()
    expected = [e for e in corpus if matches(e, "抓落实") and passes(
        e, start=datetime.date(2017, 1, 1), end=datetime.date(2018, 12, 31), source=("人民日报", "求是"))]
    assert data["count"] == len(expected)
    assert set(data["facets"]) == {"year", "source", "column"} and set(data["facets"]["source"]) <= {"人民日报", "求是"}
    assert all(r["date"][:4] in ("2017", "2018") and r["source"] in ("人民日报", "求是") for r in data["results"])
    tl = client.get("/api/timeline", {"q": '"抓落实"', "by": "month", "from": "2017", "to": "2018"}).json()
    assert set(tl) >= {"query", "by", "buckets", "undated", "first", "last"} and tl["by"] == "month"
    assert all(set(b) == {"period", "essays", "occurrences", "essays_in_period"} for b in tl["buckets"])
    assert tl["first"] is None or tl["first"]["url"].startswith("http://testserver/essays/")


@pytest.mark.parametrize("params, says", [
    ({"q": "落实", "from": "2019-13"}, "月份 13 不存在"),
    ({"q": "落实", "from": "2020", "to": "2019"}, "起始日期晚于截止日期"),
    ({"q": "落实", "sort": "magic"}, "排序方式"),
    ({"q": "落实", "page": "99999999"}, "页码"),
])
def test_bad_filters_answer_400_in_chinese(client, corpus, params, says):
    for url in ("/api/search", "/search/"):
        response = client.get(url, params)
        assert response.status_code == 400 and says in response.content.decode()
    response = client.get("/api/timeline", {**params, "by": "decade"})
    assert response.status_code == 400 and "时间粒度" in response.json()["error"] + str(response.json())


def test_the_results_page_narrows_by_a_facet_and_shows_the_year_chart(client, corpus):
    body = client.get("/search/", {"q": '"抓落实"'}).content.decode()
    assert 'class="facets"' in body and "<svg" in body and "完整时间线" in body
    # Each facet value links to the answer narrowed to it; a year to that year.
    assert 'href="?q=%22%E6%8A%93%E8%90%BD%E5%AE%9E%22&amp;source=%E6%B1%82%E6%98%AF">求是</a>' in body
    year = min(f"{e.date_start.year}" for e in corpus if e.date and matches(e, "抓落实"))
    assert f'href="?q=%22%E6%8A%93%E8%90%BD%E5%AE%9E%22&amp;from={year}&amp;to={year}">{year}</a>' in body
    narrowed = client.get("/search/", {"q": '"抓落实"', "source": "求是"}).content.decode()
    expected = sum(1 for e in corpus if matches(e, "抓落实") and e.source == "求是")
    assert f"共 <strong>{expected}</strong> 篇文章" in narrowed and "求是 ×" in narrowed
    page = client.get("/search/timeline/", {"q": '"抓落实"'})
    assert page.status_code == 200 and "<table" in page.content.decode() and "<svg" in page.content.decode()
