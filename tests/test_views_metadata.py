"""Browsing by publication metadata: the list's date sorts and filters
(compared with a brute-force filter over the same essays), the essay page's
publication line, and the essays API's metadata."""
import datetime
import random
import re

import pytest

from essays.dates import PartialDate
from essays.models import Essay

pytestmark = pytest.mark.django_db

SOURCES = ["人民日报", "求是", "新华社"]
COLUMNS = ["社论", "评论员文章", "讲话"]


@pytest.fixture
def archive():
    """60 essays with dates of every precision (some undated), sources and columns."""
    rng = random.Random(15)
    essays = []
    for i in range(60):
        kind = i % 10
        day = datetime.date(2015, 1, 1) + datetime.timedelta(days=rng.randrange(3650))
        date = (None if kind == 9 else PartialDate(day.year) if kind == 8 else
                PartialDate(day.year, day.month) if kind == 7 else PartialDate(day.year, day.month, day.day))
        e = Essay(number=i + 1, title=f"元数据文章{i:02d}", paragraphs=["段落。"], source_name=f"m{i}.txt",
                  content_hash=f"h{i}", source=SOURCES[i % 3], column=COLUMNS[(i // 3) % 3],
                  author="任仲平" if i % 4 == 0 else "")
        e.date = date
        essays.append(e)
    Essay.objects.bulk_create(essays)
    return list(Essay.objects.all())


def titles(response):
    """The titles of the list itself (not of the home page's 最近收录)."""
    listing = response.content.decode().partition('<ol class="essay-list">')[2]
    return re.findall(r'<a href="/essays/\d+/">([^<]+)</a>', listing)


def all_titles(client, params):
    """Every title over every page of the list for these parameters."""
    out, page = [], 1
    while True:
        response = client.get("/", {**params, "page": page})
        assert response.status_code == 200, response.content.decode()[:500]
        out += titles(response)
        if page >= response.context["paginator"].num_pages:
            return out
        page += 1


def brute(essays, start=None, end=None, source=(), column=(), author=()):
    """Essays whose period overlaps [start, end] and whose fields match."""
    keep = []
    for e in essays:
        d = e.date
        if (start or end) and d is None:
            continue
        if start and d.end < start or end and d.start > end:
            continue
        if source and e.source not in source or column and e.column not in column:
            continue
        if author and e.author not in author:
            continue
        keep.append(e)
    return keep


def by_date(essays, newest_first=True):
    dated = sorted((e for e in essays if e.date), key=lambda e: (e.date_start, e.number, e.pk))
    if newest_first:
        dated = sorted(dated, key=lambda e: e.date_start, reverse=True)  # stable: number order within a day
    return [e.title for e in dated] + [e.title for e in sorted(essays, key=lambda e: e.number) if not e.date]


def test_the_list_sorts_by_date_newest_first_once_essays_have_dates(client, archive):
    assert all_titles(client, {}) == by_date(archive)
    assert all_titles(client, {"sort": "date_asc"}) == by_date(archive, newest_first=False)
    assert all_titles(client, {"sort": "number"}) == [e.title for e in sorted(archive, key=lambda e: e.number)]


@pytest.mark.parametrize("params, expect", [
    ({"from": "2018", "to": "2019"}, dict(start=datetime.date(2018, 1, 1), end=datetime.date(2019, 12, 31))),
    ({"from": "2019-07"}, dict(start=datetime.date(2019, 7, 1))),
    ({"to": "2016-03-15"}, dict(end=datetime.date(2016, 3, 15))),
    ({"from": "2020-02-10", "to": "2020-02-10"}, dict(start=datetime.date(2020, 2, 10),
                                                       end=datetime.date(2020, 2, 10))),
    ({"source": "求是"}, dict(source=("求是",))),
    ({"source": ["求是", "新华社"], "column": "社论"}, dict(source=("求是", "新华社"), column=("社论",))),
    ({"author": "任仲平", "from": "2017"}, dict(author=("任仲平",), start=datetime.date(2017, 1, 1))),
])
def test_filters_equal_a_brute_force_filter(client, archive, params, expect):
    assert all_titles(client, params) == by_date(brute(archive, **expect))


@pytest.mark.parametrize("params, says", [
    ({"from": "2019-02-30"}, "起始日期：日期「2019-02-30」不存在"),
    ({"to": "明年"}, "截止日期：无法识别的日期"),
    ({"from": "2020", "to": "2019"}, "起始日期晚于截止日期"),
    ({"source": ["x"] * 21}, "最多 20 个值"),
    ({"sort": "magic"}, "排序：只能按发表日期（新→旧）、发表日期（旧→新）、序号、最近收录"),
])
def test_bad_filters_get_a_chinese_message_and_400(client, archive, params, says):
    response = client.get("/", params)
    assert response.status_code == 400
    body = response.content.decode()
    assert says in body and "from:" not in body and "to:" not in body


def test_pages_keep_the_filters_and_the_sort(client, archive, settings):
    settings.ESSAYS_PER_PAGE = 5
    response = client.get("/", {"source": "人民日报", "sort": "date_asc"})
    assert 'href="?source=%E4%BA%BA%E6%B0%91%E6%97%A5%E6%8A%A5&amp;sort=date_asc&amp;page=2"' in \
        response.content.decode()


def test_the_menus_offer_what_the_essays_have_with_counts(client, archive):
    body = client.get("/").content.decode()
    assert '<option value="人民日报">人民日报（20）</option>' in body
    assert '<option value="任仲平">任仲平（15）</option>' in body


def test_the_essay_page_shows_what_is_known_and_nothing_else(client, archive):
    e = Essay.objects.get(number=1)
    e.source_url = "https://example.org/a?b=1&c=<2>"
    e.save()
    body = client.get(e.get_absolute_url()).content.decode()
    assert f'<time datetime="{e.date.iso()}">{e.date.chinese()}</time>' in body
    assert "<dd>人民日报</dd>" in body and "<dd>任仲平</dd>" in body and "<dd>社论</dd>" in body
    assert 'href="https://example.org/a?b=1&amp;c=&lt;2&gt;" rel="noopener noreferrer nofollow external"' in body
    bare = Essay.objects.create(number=99, title="无元数据", paragraphs=["段。"], source_name="bare.txt",
                                content_hash="bare")
    assert 'class="publication"' not in client.get(bare.get_absolute_url()).content.decode()


def test_the_api_gives_dates_as_precise_as_known(client, archive):
    data = client.get("/api/essays").json()["results"]
    by_number = {r["number"]: r for r in data}
    for e in archive[:20]:
        r = by_number[e.number]
        assert r["date"] == (e.date.iso() if e.date else None)
        assert (r["source"], r["author"], r["column"], r["source_url"]) == (e.source, e.author, e.column, "")
    assert {len(r["date"]) for r in data if r["date"]} == {4, 7, 10}
