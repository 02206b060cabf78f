"""The reader's side of issue 19 without a browser: the list's title filter,
page jump, 最近收录, repeated numbers and near-empty state; the search
page's kept state, sort control and title; exclusion-only previews; API
errors in Chinese with a stable code; one paging rule for list and API."""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from essays.models import Essay
from search.sync import batched_indexing

pytestmark = pytest.mark.django_db


def html(response):
    return response.content.decode()


def add(specs, indexed=False):
    """Essays from (number, title, paragraphs[, source]) specs, created in order
    a minute apart (the latest last)."""
    rows, first = [], Essay.objects.count()
    start = timezone.now() - timedelta(days=1)
    with batched_indexing(enabled=indexed) as batch:
        for i, spec in enumerate(specs):
            number, title, paragraphs, *rest = spec
            essay = Essay.objects.create(number=number, title=title, paragraphs=list(paragraphs),
                                         source=rest[0] if rest else "", source_name=f"u{first + i}.txt",
                                         content_hash=f"u{first + i}")
            Essay.objects.filter(pk=essay.pk).update(created=start + timedelta(minutes=first + i))
            batch.touch(essay.pk)
            rows.append(essay)
    return rows


def list_titles(response):
    listing = html(response).partition('<ol class="essay-list">')[2].partition("</ol>")[0]
    return re.findall(r'<a href="/essays/\d+/">([^<]+)</a>', listing)


def test_title_filter_finds_essays_whose_title_has_every_word(client):
    add([(n, f"文章{n:02d}" + ("抓落实" if n % 10 == 0 else "") + ("担当" if n in (20, 31) else ""), ["段。"])
         for n in range(1, 41)])
    response = client.get("/", {"title": "抓落实"})
    assert list_titles(response) == ["文章10抓落实", "文章20抓落实担当", "文章30抓落实", "文章40抓落实"]
    assert "共 4 篇（已筛选）" in html(response)
    assert list_titles(client.get("/", {"title": " 担当  抓落实 "})) == ["文章20抓落实担当"]
    assert list_titles(client.get("/", {"title": "没有这个词"})) == []
    # The filter stays in the box and in the page links.
    assert 'name="title" value="抓落实"' in html(response)
    many = client.get("/", {"title": "文章"})
    assert "title=%E6%96%87%E7%AB%A0&amp;page=2" in html(many) or "title=%E6%96%87%E7%AB%A0&page=2" in html(many)
    too_long = client.get("/", {"title": "长" * 101})
    assert too_long.status_code == 400 and "标题：最多 100 个字" in html(too_long)


def test_page_jump_keeps_filters_and_sort(client):
    add([(n, f"篇{n:02d}", ["段。"], "人民日报") for n in range(1, 64)])  # pages of 20, 20 and 23
    body = html(client.get("/", {"source": "人民日报", "sort": "number", "page": "2"}))
    form = re.search(r'<form class="page-jump".*?</form>', body, re.S).group(0)
    assert '<input type="hidden" name="source" value="人民日报">' in form
    assert '<input type="hidden" name="sort" value="number">' in form
    assert 'name="page" min="1" max="3" value="2"' in form and "（共 3 页）" in form
    # What the form sends: the page asked for, with the rest kept.
    assert list_titles(client.get("/", {"source": "人民日报", "sort": "number", "page": "3"}))[0] == "篇41"
    assert "page-jump" not in html(client.get("/", {"title": "篇01"}))  # one page: no jump


def test_home_page_shows_the_latest_additions(client):
    add([(n, f"旧文{n}", ["段。"]) for n in range(1, 30)] + [(1, "最后收录的一篇", ["段。"])])
    body = html(client.get("/"))
    recent = re.search(r'<section class="recent".*?</section>', body, re.S).group(0)
    assert "最近收录" in recent
    assert re.findall(r'<a href="/essays/\d+/">([^<]+)</a>', recent) == [
        "最后收录的一篇", "旧文29", "旧文28", "旧文27", "旧文26"]
    # Not on other pages, not when filtered, not when the list is already by newest.
    for params in ({"page": 2}, {"title": "旧文"}, {"sort": "newest"}):
        assert 'class="recent"' not in html(client.get("/", params)), params


def test_repeated_numbers_show_their_source(client):
    add([(1, "第一批的一", ["段。"], "人民日报"), (2, "第一批的二", ["段。"], "人民日报"),
         (1, "第二批的一", ["段。"], "求是"), (3, "只有一篇的三", ["段。"])])
    body = html(client.get("/", {"sort": "number"}))
    numbers = re.findall(r'<span class="essay-number">(.*?)</span>\s*<a href', body, re.S)
    assert numbers[:2] == ['1<span class="number-source">人民日报</span>', '1<span class="number-source">求是</span>']
    assert numbers[2:] == ["2", "3"]
    assert "序号是每批文章各自的编号" in body
    add([(9, "不重复", ["段。"])])
    assert "序号是每批文章各自的编号" not in html(client.get("/", {"title": "不重复"}))


def test_near_empty_archive_says_how_to_add_essays(client):
    for count in (0, 1):
        if count:
            add([(1, "唯一的一篇", ["段。"])])
        body = html(client.get("/"))
        assert "import_essays" in body and "createsuperuser" in body and "make demo" in body
        assert 'href="/admin/essays/essay/upload/"' in body
    assert "文章库目前只有 1 篇文章" in body
    add([(n, f"篇{n}", ["段。"]) for n in range(2, 8)])
    assert "import_essays" not in html(client.get("/"))


@pytest.fixture
def searchable():
    return add([(n, f"抓落实第{n}篇", [f"抓落实的第{n}段。"] + ([] if n % 2 else ["谈形式主义。"]))
                for n in range(1, 46)], indexed=True)


def test_results_links_carry_sort_and_page_back_to_the_results(client, searchable):
    body = html(client.get("/search/", {"q": "抓落实", "sort": "number", "page": 2}))
    links = re.findall(r'<h2><span class="essay-number">\d+</span> <a href="([^"]+)">', body)
    assert links and all("rsort=number&amp;rpage=2" in link for link in links)
    essay_url = links[0].replace("&amp;", "&")
    page = html(client.get(essay_url))
    back = re.search(r'<a class="back-to-results" href="([^"]+)">返回搜索结果</a>', page).group(1)
    assert back.replace("&amp;", "&") == "/search/?q=%E6%8A%93%E8%90%BD%E5%AE%9E&sort=number&page=2"
    # The defaults add nothing; made-up values are dropped.
    first = html(client.get("/search/", {"q": "抓落实"}))
    assert "rsort=" not in first and "rpage=" not in first
    odd = html(client.get(f"/essays/{searchable[0].pk}/", {"q": "抓落实", "rsort": "evil", "rpage": "x"}))
    assert 'href="/search/?q=%E6%8A%93%E8%90%BD%E5%AE%9E">返回搜索结果' in odd


def test_sort_control_applies_at_once_and_is_gone_without_results(client, searchable):
    body = html(client.get("/search/", {"q": "抓落实"}))
    assert '<select id="sort" name="sort" data-autosubmit>' in body
    assert '<button type="submit" data-autosubmit-button>应用</button>' in body  # the no-JS fallback
    assert "js/autosubmit.js" in body
    empty = html(client.get("/search/", {"q": "完全不存在的词语"}))
    assert "没有找到" in empty and 'name="sort"' not in empty and "autosubmit.js" not in empty


def test_search_page_titles(client, searchable):
    first = html(client.get("/search/", {"q": "抓落实"}))
    assert "<title>抓落实 · 搜索 · 政论文章库</title>" in first
    second = html(client.get("/search/", {"q": "抓落实", "page": 2}))
    assert "<title>抓落实（第 2 页） · 搜索 · 政论文章库</title>" in second


def test_exclusion_only_query_previews_each_essay(client, searchable):
    body = html(client.get("/search/", {"q": "-形式主义", "sort": "number"}))
    assert "出现 0 处" not in body
    assert body.count("不含所排除的词（开头预览）") == 20
    first = re.search(r'<ul class="snippets">(.*?)</ul>', body, re.S).group(1)
    assert "第 1 段" in first and "抓落实的第1段。" in first
    api = client.get("/api/search", {"q": "-形式主义", "sort": "number"}).json()
    assert api["count"] == 23
    assert api["results"][0]["snippets"][0]["url"].endswith(f"/essays/{searchable[0].pk}/#p1")


@pytest.mark.parametrize("path, params, status, code", [
    ("/api/search", {}, 400, "missing_query"),
    ("/api/search", {"q": "落实", "page": "abc"}, 400, "invalid_page"),
    ("/api/search", {"q": "落实", "per_page": "500"}, 400, "invalid_per_page"),
    ("/api/search", {"q": "落实", "sort": "magic"}, 400, "invalid_sort"),
    ("/api/search", {"q": '"，。"'}, 400, "invalid_query"),
    ("/api/essays", {"page": "0"}, 400, "invalid_page"),
    ("/api/essays", {"page": "5"}, 404, "page_not_found"),
    ("/api/essays/424242", {}, 404, "essay_not_found"),
])
def test_api_errors_are_chinese_with_a_stable_code(client, path, params, status, code):
    response = client.get(path, params)
    assert response.status_code == status
    data = response.json()
    assert data["code"] == code
    assert re.search(r"[\u4e00-\u9fff]", data["error"]), data
    assert not re.search(r"\b(q|page|per_page|sort|required|not found|must)\b", data["error"]), data


def test_list_and_api_page_alike(client):
    add([(n, f"篇{n}", ["段。"]) for n in range(1, 44)])  # 43: 20 + 23 with the last page's orphans
    api = client.get("/api/essays").json()
    body = html(client.get("/"))
    assert api["num_pages"] == 2 and "第 1 / 2 页" in body
    assert len(client.get("/api/essays", {"page": 2}).json()["results"]) == 23


def test_a_paged_essay_keeps_the_results_state_on_its_page_links(client, settings):
    settings.ESSAY_PARAGRAPHS_PER_PAGE = 2
    [essay] = add([(1, "长文", ["一。", "二。", "三。", "四。", "五。"])])
    body = html(client.get(essay.get_absolute_url(), {"q": "三", "rsort": "newest", "rpage": "3"}))
    assert "?q=%E4%B8%89&amp;rsort=newest&amp;rpage=3&amp;page=2" in body
    assert 'href="/search/?q=%E4%B8%89&amp;sort=newest&amp;page=3">返回搜索结果' in body
