"""The search page /search/ and the JSON API /api/search, plus a property
test of the whole query path: no input gives anything but an answer or a
message (QueryError from the service, 400 from the views), never a 500."""
import re
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from essays.models import Essay
from search import service
from search.sync import batched_indexing

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert('x')</script>"


def add(*specs):
    rows = []
    with batched_indexing():
        for number, title, paragraphs in specs:
            n = Essay.objects.count()
            rows.append(Essay.objects.create(number=number, title=title, paragraphs=list(paragraphs),
                                             source_name=f"v{n}.txt", content_hash=f"v{n}"))
    return rows


@pytest.fixture
def essays():
    return add(
        (1, "让抓落实成为鲜明特质", ["反对空谈、强调实干、注重落实。", "“大鹏之动，非一羽之轻也。”", "狠抓落实，久久为功。"]),
        (2, "谈初心", ["不忘初心，牢记使命。", "初心易得，始终难守。"]),
        (3, f"危险标题{HOSTILE}", [f"正文里写着 {HOSTILE} 这样的文字，也谈落实。"]),
        (None, "没有序号", ["这一篇没有序号，只谈使命。"]),
    )


def html(response):
    """The page's HTML, an essay page's numbered marks (<mark id="m3">, for
    上一处 / 下一处: tests/test_concordance_service.py) written as plain <mark>."""
    return re.sub(r'<mark id="m\d+">', "<mark>", response.content.decode())


# -- the page --------------------------------------------------------------------

def test_page_shows_count_mode_highlights_and_paragraph_links(client, essays):
    first = essays[0]
    page = client.get("/search/", {"q": '"大鹏之动,非一羽"'})
    assert page.status_code == 200
    body = html(page)
    assert "原文引用查找" in body and "共 <strong>1</strong> 篇文章" in body
    assert "<mark>大鹏之动，非一羽</mark>" in body
    quoted = urllib.parse.quote('"大鹏之动,非一羽"', safe="")
    assert f'href="/essays/{first.pk}/?q={quoted}#p2"' in body
    assert "第 2 段" in body


def test_page_title_snippet_links_to_the_top_and_stays_escaped(client, essays):
    hostile = essays[2]
    body = html(client.get("/search/", {"q": "危险标题"}))
    quoted = urllib.parse.quote("危险标题")
    assert (f'<li><a href="/essays/{hostile.pk}/?q={quoted}#main"><span class="para-ref">标题</span>'
            "<mark>危险标题</mark>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;</a></li>") in body


def test_page_keywords_mode_counts_occurrences_and_more(client, essays):
    add((9, "多次", ["落实一。", "落实二。", "落实三。", "落实四。", "落实五。"]))
    body = html(client.get("/search/", {"q": "落实"}))
    assert "关键词查找" in body and "共 <strong>3</strong> 篇文章" in body
    assert "出现 5 处" in body and "还有 2 处" in body
    assert body.count("<mark>落实</mark>") >= 5


def test_hostile_text_is_escaped(client, essays):
    for q in ["script", "alert", '"<script>"', HOSTILE]:
        body = html(client.get("/search/", {"q": q}))
        assert "&lt;script&gt;" in body, q
        assert "<script>alert" not in body, q
    api = client.get("/api/search", {"q": "alert"}).json()
    [hit] = api["results"]
    assert HOSTILE in hit["title"]  # JSON carries the text as text; escaping is the client's job
    assert any(HOSTILE in s["text"] for s in hit["snippets"])


def test_query_itself_is_escaped_in_the_page(client, essays):
    body = html(client.get("/search/", {"q": '"><img src=x onerror=alert(1)>'}))
    assert "<img src=x" not in body


def test_empty_query_page_shows_examples(client, essays):
    for params in ({}, {"q": ""}, {"q": "   "}):
        page = client.get("/search/", params)
        assert page.status_code == 200
        body = html(page)
        for example in ["抓落实", "title:落实", "初心 OR 使命"]:
            assert example in body
        assert "?q=%22%E5%A4%A9%E4%B8%8B%E5%A4%A7%E4%BA%8B%E5%BF%85%E4%BD%9C%E4%BA%8E%E7%BB%86%22" in body
        assert "<mark>" not in body


@pytest.mark.parametrize("q, mode", [('"不存在的句子"', "原文引用查找"), ("不存在的词", "关键词查找")])
def test_no_results_message_names_the_mode(client, essays, q, mode):
    page = client.get("/search/", {"q": q})
    assert page.status_code == 200
    body = html(page)
    assert "没有找到" in body and mode in body


def test_page_beyond_the_last_offers_the_first(client, essays):
    body = html(client.get("/search/", {"q": "落实", "page": 9}))
    assert "这一页没有结果了" in body


def test_page_links_to_the_other_pages(client, essays):
    add(*[(10 + i, f"分页{i}", ["分页测试。"]) for i in range(45)])
    body = html(client.get("/search/", {"q": "分页", "page": 2}))
    assert "第 2 / 3 页" in body
    assert 'href="?q=%E5%88%86%E9%A1%B5&amp;sort=relevance&amp;page=3"' in body
    assert 'href="?q=%E5%88%86%E9%A1%B5&amp;sort=relevance&amp;page=1"' in body


def test_page_links_keep_per_page(client, essays):
    add(*[(10 + i, f"分页{i}", ["分页测试。"]) for i in range(12)])
    body = html(client.get("/search/", {"q": "分页", "per_page": 5}))
    assert "第 1 / 3 页" in body
    assert 'href="?q=%E5%88%86%E9%A1%B5&amp;sort=relevance&amp;per_page=5&amp;page=2"' in body


def test_sort_form_and_back_link_keep_per_page(client, essays):
    add(*[(10 + i, f"分页{i}", ["分页测试。"]) for i in range(12)])
    body = html(client.get("/search/", {"q": "分页", "per_page": 5}))
    form = body[body.index('<form class="search-options"'):]
    form = form[:form.index("</form>")]
    assert re.search(r'<input type="hidden" name="per_page" value="5"', form)
    body = html(client.get("/search/", {"q": "分页", "per_page": 5, "page": 9}))
    assert "这一页没有结果了" in body and re.search(r'回到第一页', body)
    back = body[body.index("这一页没有结果了"):]
    assert "per_page=5" in back[:back.index("回到第一页")]


def test_page_error_messages(client, essays):
    page = client.get("/search/", {"q": '"，。"'})
    assert page.status_code == 400 and "引号里没有可以查找的文字" in html(page)
    page = client.get("/search/", {"q": "落实", "page": "abc"})
    assert page.status_code == 400 and "page" in html(page)


# -- the API ---------------------------------------------------------------------

def test_api_shape(client, essays):
    response = client.get("/api/search", {"q": '"大鹏之动"', "per_page": 5, "page": 1, "sort": "number"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    data = response.json()
    assert set(data) == {"query", "mode", "count", "page", "per_page", "sort", "results", "facets"}
    assert (data["query"], data["mode"], data["count"], data["page"], data["per_page"], data["sort"]) == (
        '"大鹏之动"', "quote", 1, 1, 5, "number")
    [hit] = data["results"]
    assert set(hit) == {"id", "number", "title", "url", "date", "source", "score", "occurrences", "snippets"}
    assert hit["id"] == essays[0].pk and hit["number"] == 1 and hit["title"] == "让抓落实成为鲜明特质"
    assert hit["url"] == f"http://testserver/essays/{essays[0].pk}/"
    assert isinstance(hit["score"], float) and hit["occurrences"] == 1
    [snippet] = hit["snippets"]
    assert set(snippet) == {"paragraph", "text", "highlights", "url"}
    assert snippet["paragraph"] == 2
    # The paragraph's own link, as the results page's snippet has.
    assert snippet["url"] == f"http://testserver/essays/{essays[0].pk}/#p2"
    [[start, end]] = snippet["highlights"]
    assert snippet["text"][start:end] == "大鹏之动"


def test_api_defaults_keywords_and_null_number(client, essays):
    data = client.get("/api/search", {"q": "使命"}).json()
    assert (data["mode"], data["page"], data["per_page"], data["sort"]) == ("keywords", 1, 20, "relevance")
    assert {h["title"] for h in data["results"]} == {"谈初心", "没有序号"}
    by_number = client.get("/api/search", {"q": "使命", "sort": "number"}).json()["results"]
    assert [h["number"] for h in by_number] == [2, None]


def test_api_pages(client, essays):
    add(*[(10 + i, f"分页{i}", ["分页测试。"]) for i in range(7)])
    pages = [client.get("/api/search", {"q": "分页", "per_page": 3, "page": p}).json() for p in (1, 2, 3, 4)]
    assert [d["count"] for d in pages] == [7] * 4
    ids = [h["id"] for d in pages for h in d["results"]]
    assert len(ids) == len(set(ids)) == 7 and pages[3]["results"] == []


@pytest.mark.parametrize("params", [
    {"q": "落实", "per_page": 101}, {"q": "落实", "per_page": 0}, {"q": "落实", "page": 0},
    {"q": "落实", "page": -1}, {"q": "落实", "page": "abc"}, {"q": "落实", "per_page": "x"},
    {"q": "落实", "sort": "bad"}, {}, {"q": ""}, {"q": "   "}, {"q": '"，。、"'}, {"q": "「」"},
    {"q": "，"}, {"q": "落" * 10_000}, {"q": "落\x00实"}, {"q": "落实", "page": "1e9"},
    {"q": "落实", "page": "99999999999999999999999"},
])
def test_api_bad_parameters_are_400_with_a_message(client, essays, params):
    response = client.get("/api/search", params)
    assert response.status_code == 400, response.content
    message = response.json()["error"]
    assert isinstance(message, str) and message


@pytest.mark.parametrize("q", ["落" * 10_000, "落\x00实", '"落实', "“落实", '"', "-", "OR", "title:", "\x01\x02",
                               "\u0301\u0301", "a*b(c)[d]{e}^f~g\\h:i?", "-落实", "落实 OR", "OR 落实"])
def test_odd_queries_never_give_a_500(client, essays, q):
    for url in ("/search/", "/api/search"):
        response = client.get(url, {"q": q})
        assert response.status_code in (200, 400), (url, q, response.status_code)


def test_unbalanced_quote_runs_to_the_end(client, essays):
    data = client.get("/api/search", {"q": '"非一羽之轻'}).json()
    assert data["mode"] == "quote" and data["count"] == 1


def test_essay_page_highlights_the_query(client, essays):
    page = client.get(f"/essays/{essays[0].pk}/", {"q": '"大鹏之动,非一羽"'})
    body = html(page)
    assert page.status_code == 200
    assert re.search(r'id="p2"[^>]*>.*<mark>大鹏之动，非一羽</mark>', body)


# -- property: the query path never fails unexpectedly ------------------------------

TOKENS = st.sampled_from(['"', "“", "”", "「", "」", "『", "』", "＂", "OR", "or", "-", "title:", "TITLE:",
                          "*", "?", ":", "(", ")", "[", "]", "{", "}", "^", "~", "\\", " ", "\u3000", "\x00",
                          "\x1f", "\u0301", "\u200b", "\ufeff", "落实", "大鹏之动", "，", "。", "Ａ", "ß", "ﬁ"])
QUERIES = st.lists(st.one_of(TOKENS, st.text(max_size=8), st.characters(categories=["Cs"])), max_size=12).map("".join)
ANY = st.one_of(st.none(), st.integers(-3, 10**7), st.text(max_size=5), st.booleans())


def _no_surrogates(text):
    return text.encode("utf-8", "replace").decode("utf-8")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=QUERIES, sort=st.one_of(st.sampled_from(["relevance", "number", "newest"]), ANY),
       page=st.one_of(st.integers(1, 3), ANY), per_page=st.one_of(st.integers(1, 100), ANY))
def test_query_path_property(client, essays, q, sort, page, per_page):
    try:
        result = service.search(q, sort=sort, page=page, per_page=per_page)
    except service.QueryError as err:
        assert str(err)
    else:
        assert result.count >= len(result.hits)
        for hit in result.hits:
            for snippet in hit.snippets:
                for start, end in snippet.highlights:
                    assert 0 <= start < end <= len(snippet.text)

    params = {"q": _no_surrogates(q)}
    for name, value in (("sort", sort), ("page", page), ("per_page", per_page)):
        if value is not None:
            params[name] = _no_surrogates(str(value))
    response = client.get("/api/search", params)
    assert response.status_code in (200, 400), (params, response.content[:300])
    data = response.json()
    assert ("error" in data) == (response.status_code == 400)
    response = client.get("/search/", params)
    assert response.status_code in (200, 400), params


def test_page_links_elide_long_runs():
    from types import SimpleNamespace

    from search.views import pagination

    def links(page, pages):
        got = pagination(SimpleNamespace(count=pages * 10, per_page=10, page=page, sort="relevance"), "q")
        return [None if n == got["paginator"].ELLIPSIS else n for n in got["page_range"]] if got else None

    assert links(1, 1) == [1]
    assert links(1, 5) == [1, 2, 3, 4, 5]
    assert links(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]
    assert links(20, 20) == [1, None, 18, 19, 20]
    assert links(3, 2) is None  # past the last page: the page says so instead
