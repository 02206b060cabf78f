"""Browse pages (list, detail), the essays JSON API, escaping of hostile
content and the security headers. Assertions check real content: which
essays, in what order, which text."""
import json
import re

import pytest
from django.conf import settings

from essays.importing import import_essay_bytes
from essays.models import Essay

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- helpers

def bulk_essays(count, start=1):
    """Quickly create `count` numbered essays (no index, no parsing)."""
    Essay.objects.bulk_create([
        Essay(number=n, title=f"文章标题{n:03d}", paragraphs=[f"第{n}篇的段落。"],
              source_name=f"{n:03d}.txt", content_hash=f"hash{n}")
        for n in range(start, start + count)
    ])


def html(response):
    """The page's HTML, an essay page's numbered marks (<mark id="m3">, for
    上一处 / 下一处: tests/test_concordance_service.py) written as plain <mark>."""
    return re.sub(r'<mark id="m\d+">', "<mark>", response.content.decode("utf-8"))


def list_titles(response):
    """The essay titles of a list page, in page order."""
    body = html(response)
    block = re.search(r'<ol class="essay-list">(.*?)</ol>', body, re.S)
    if block is None:
        return []
    return re.findall(r'<a href="/essays/\d+/">([^<]*)</a>', block.group(1))


def expected_pages(count, per_page, orphans):
    """Page sizes Django's Paginator gives for `count` items (orphans: a
    last page of at most `orphans` items is merged into the one before)."""
    sizes = []
    left = count
    while left > 0:
        if left <= per_page + orphans:
            sizes.append(left)
            break
        sizes.append(per_page)
        left -= per_page
    return sizes or [0]


# ------------------------------------------------------------- list page

def test_list_orders_by_number_with_unnumbered_last(client, make_essay):
    make_essay(None, "无序号甲", ["段落。"], name="x1.txt")
    make_essay(12, "第十二篇", ["段落。"])
    make_essay(3, "第三篇", ["段落。"])
    make_essay(None, "无序号乙", ["段落。"], name="x2.txt")
    make_essay(7, "第七篇", ["段落。"])
    response = client.get("/")
    assert response.status_code == 200
    assert list_titles(response) == ["第三篇", "第七篇", "第十二篇", "无序号甲", "无序号乙"]
    assert "共 5 篇" in html(response)


def test_list_paginates_with_orphans(client):
    per_page = settings.ESSAYS_PER_PAGE
    assert per_page == 20
    # Two full pages plus 3 would leave 3 orphans: they join page 2.
    count = 2 * per_page + 3
    bulk_essays(count)
    assert expected_pages(count, per_page, 3) == [per_page, per_page + 3]
    first = client.get("/")
    second = client.get("/?page=2")
    assert f"共 {count} 篇" in html(first) and "第 1 / 2 页" in html(first)
    assert list_titles(first) == [f"文章标题{n:03d}" for n in range(1, per_page + 1)]
    assert list_titles(second) == [f"文章标题{n:03d}" for n in range(per_page + 1, count + 1)]
    assert "第 2 / 2 页" in html(second)
    assert client.get("/?page=3").context["page"].number == 2  # no page 3


def test_list_pagination_beyond_orphans_makes_a_new_page(client):
    per_page = settings.ESSAYS_PER_PAGE
    count = 2 * per_page + 5  # 5 > 3 orphans: a third page of 5
    bulk_essays(count)
    sizes = expected_pages(count, per_page, 3)
    assert sizes == [per_page, per_page, 5]
    for page, size in enumerate(sizes, start=1):
        titles = list_titles(client.get(f"/?page={page}"))
        assert len(titles) == size
        first = (page - 1) * per_page + 1
        assert titles == [f"文章标题{n:03d}" for n in range(first, first + size)]
    body = html(client.get("/?page=2"))
    assert 'href="?page=1"' in body and 'href="?page=3"' in body
    assert 'aria-current="page">2<' in body


def test_list_follows_the_per_page_setting(client, settings):
    settings.ESSAYS_PER_PAGE = 5
    bulk_essays(12)  # 5, 5, 2 -> the 2 orphans join page 2
    assert len(list_titles(client.get("/"))) == 5
    assert list_titles(client.get("/?page=2")) == [f"文章标题{n:03d}" for n in range(6, 13)]


@pytest.mark.parametrize("raw, shown", [
    ("abc", 1), ("0", 1), ("-1", 1), ("1.5", 1), ("", 1),
    ("999", 3), ("99999999999999999999", None), ("9" * 5000, None),
])
def test_list_bad_page_numbers_show_a_valid_page(client, raw, shown):
    bulk_essays(45)
    response = client.get("/", {"page": raw})
    assert response.status_code == 200
    if shown is None:  # absurdly large: the first or the last page will do
        assert response.context["page"].number in (1, 3)
        shown = response.context["page"].number
    assert response.context["page"].number == shown
    sizes = expected_pages(45, settings.ESSAYS_PER_PAGE, 3)
    first = (shown - 1) * settings.ESSAYS_PER_PAGE + 1
    assert list_titles(response) == [f"文章标题{n:03d}" for n in range(first, first + sizes[shown - 1])]


def test_empty_archive_list_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "共 0 篇" in html(response)
    assert "文章库还是空的" in html(response)
    assert client.get("/?page=7").status_code == 200


# ----------------------------------------------------- layout on every page

def _assert_layout(response):
    body = html(response)
    assert '<html lang="zh-Hans">' in body
    form = re.search(r'<form[^>]*class="header-search"[^>]*>(.*?)</form>', body, re.S)
    assert form is not None, "header search form missing"
    assert 'action="/search/"' in form.group(0)
    assert re.search(r'<input[^>]*name="q"', form.group(1))


def index_all():
    """Bring the search index in step (in these non-transactional tests the
    after-commit index updates never run)."""
    from search import sync

    sync.reconcile()


def test_header_search_box_and_language_on_every_page(client, make_essay):
    essay = make_essay(1, "一篇文章", ["段落。"])
    index_all()
    for url in ["/", "/?page=2", essay.get_absolute_url(), essay.get_absolute_url() + "?q=段落",
                "/search/", "/search/?q=段落"]:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_layout(response)


def test_404_page_has_the_site_layout(client):
    _assert_layout(client.get("/essays/987654/"))


# ------------------------------------------------------------ detail page

def test_detail_shows_title_number_and_anchored_paragraphs(client, make_essay):
    paragraphs = ["第一段，讲抓落实。", "第二段：担当作为。", "第三段。"]
    essay = make_essay(10, "让抓落实成为党员干部的鲜明特质", paragraphs)
    response = client.get(f"/essays/{essay.pk}/")
    assert response.status_code == 200
    body = html(response)
    assert "<h1>让抓落实成为党员干部的鲜明特质</h1>" in body
    assert "第 10 篇" in body
    assert "<title>让抓落实成为党员干部的鲜明特质 · 政论文章库</title>" in body
    found = re.findall(r'<p id="p(\d+)"[^>]*><a class="para-number" href="#p(\d+)"[^>]*>(\d+)</a>([^<]*)'
                       r'<a class="para-cite" href="\?cite=\1#cite"[^>]*>引用</a></p>', body)
    assert found == [(str(i), str(i), str(i), text) for i, text in enumerate(paragraphs, start=1)]
    assert 'id="p4"' not in body
    assert "<mark>" not in body  # no query, no highlight


def test_detail_without_number_shows_no_number(client, make_essay):
    essay = make_essay(None, "没有序号的文章", ["段落。"], name="nonum.txt")
    body = html(client.get(essay.get_absolute_url()))
    assert "<h1>没有序号的文章</h1>" in body
    assert "第 None 篇" not in body and not re.search(r"第 \d+ 篇", body)


def _nav(response):
    body = html(response)
    prev = re.search(r'<a rel="prev" class="prev" href="/essays/(\d+)/"><span>上一篇</span>([^<]*)</a>', body)
    nxt = re.search(r'<a rel="next" class="next" href="/essays/(\d+)/"><span>下一篇</span>([^<]*)</a>', body)
    return (int(prev.group(1)) if prev else None), (int(nxt.group(1)) if nxt else None)


def test_previous_and_next_follow_the_list_order(client, make_essay):
    # Created out of order; equal numbers and missing numbers go by id.
    b = make_essay(5, "五甲", ["b"], name="b.txt")
    n1 = make_essay(None, "无号一", ["n1"], name="n1.txt")
    a = make_essay(2, "二", ["a"], name="a.txt")
    c = make_essay(5, "五乙", ["c"], name="c.txt")
    n2 = make_essay(None, "无号二", ["n2"], name="n2.txt")
    d = make_essay(9, "九", ["d"], name="d.txt")
    order = [a, b, c, d, n1, n2]
    assert list(Essay.objects.all()) == order
    assert list_titles(client.get("/")) == [e.title for e in order]
    for i, essay in enumerate(order):
        prev_id, next_id = _nav(client.get(essay.get_absolute_url()))
        assert prev_id == (order[i - 1].pk if i > 0 else None), essay.title
        assert next_id == (order[i + 1].pk if i + 1 < len(order) else None), essay.title
    # The links show the neighbours' titles.
    body = html(client.get(c.get_absolute_url()))
    assert "<span>上一篇</span>五甲</a>" in body and "<span>下一篇</span>九</a>" in body


def test_single_essay_has_no_neighbours(client, make_essay):
    essay = make_essay(1, "唯一", ["段落。"])
    assert _nav(client.get(essay.get_absolute_url())) == (None, None)


def test_unknown_essay_is_a_plain_404(client, make_essay):
    make_essay(1, "存在", ["段落。"])
    response = client.get("/essays/987654/")
    assert response.status_code == 404
    body = html(response)
    assert "Traceback" not in body and "Http404" not in body and "essays.views" not in body
    assert "No Essay matches" not in body
    # A non-numeric id does not even match the URL pattern; an id beyond
    # the database's integer range is simply not found.
    assert client.get("/essays/abc/").status_code == 404
    assert client.get("/essays/99999999999999999999999/").status_code == 404


def test_pages_answer_head_requests(client, make_essay):
    essay = make_essay(1, "文章", ["段落。"])
    for url in ["/", essay.get_absolute_url(), "/api/essays", f"/api/essays/{essay.pk}"]:
        assert client.head(url).status_code == 200, url


def test_pages_refuse_post(client, make_essay):
    essay = make_essay(1, "文章", ["段落。"])
    assert client.post("/").status_code == 405
    assert client.post(essay.get_absolute_url()).status_code == 405


# ------------------------------------------------------------ highlighting

def test_keyword_query_is_highlighted(client, make_essay):
    essay = make_essay(1, "实干", ["要狠抓落实，不尚空谈。", "没有匹配的段落。", "抓落实靠担当。"])
    response = client.get(essay.get_absolute_url(), {"q": "抓落实"})
    body = html(response)
    assert "要狠<mark>抓落实</mark>，不尚空谈。" in body
    assert "<mark>抓落实</mark>靠担当。" in body
    paragraph_two = re.search(r'<p id="p2"[^>]*>.*?</p>', body, re.S).group(0)
    assert "<mark>" not in paragraph_two
    assert 'class="para has-match"' in body
    # The note says what is highlighted and links back to the search.
    assert "正在高亮：<mark>抓落实</mark>" in body
    assert "/search/?q=%E6%8A%93%E8%90%BD%E5%AE%9E" in body


def test_quoted_query_ignores_punctuation_differences(client, make_essay):
    text = "古人说：大鹏之动，非一羽之轻也；骐骥之速，非一足之力也。"
    essay = make_essay(1, "团结", [text])
    response = client.get(essay.get_absolute_url(), {"q": '"大鹏之动,非一羽之轻也"'})
    body = html(response)
    assert "古人说：<mark>大鹏之动，非一羽之轻也</mark>；骐骥之速" in body


def test_highlight_query_is_escaped_and_bad_queries_do_not_break(client, make_essay):
    essay = make_essay(1, "文章", ["普通段落。"])
    body = html(client.get(essay.get_absolute_url(), {"q": "<script>alert(1)</script>"}))
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    for q in ['"', "((", "OR", "-", "title:", "x" * 2000]:
        response = client.get(essay.get_absolute_url(), {"q": q})
        assert response.status_code == 200, q
        assert "普通段落。" in html(response)


# ------------------------------------------------------------------- API

def _json(response):
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content.decode("utf-8"))


NO_METADATA = {"date": None, "source": "", "author": "", "column": "", "source_url": ""}


def test_api_list_pages_in_number_order(client, make_essay):
    make_essay(None, "无序号", ["段落。"], name="z.txt")
    bulk_essays(23, start=100)
    make_essay(1, "第一篇", ["段落。"])
    per_page = settings.ESSAYS_PER_PAGE
    first = client.get("/api/essays")
    data = _json(first)
    assert set(data) == {"count", "page", "num_pages", "results"}
    # The list's paging rule (a last page of 3 or fewer joins the one before): 25 are 20 + 5.
    assert (data["count"], data["page"], data["num_pages"]) == (25, 1, 2)
    assert len(data["results"]) == per_page
    one = Essay.objects.get(number=1)
    assert data["results"][0] == {"id": one.pk, "number": 1, "title": "第一篇",
                                  "url": f"http://testserver/essays/{one.pk}/", **NO_METADATA}
    assert all(set(r) == {"id", "number", "title", "url", *NO_METADATA} for r in data["results"])
    assert [r["number"] for r in data["results"]] == [1] + list(range(100, 119))
    second = _json(client.get("/api/essays", {"page": 2}))
    assert second["page"] == 2
    assert [(r["number"], r["title"]) for r in second["results"]] == [
        (119, "文章标题119"), (120, "文章标题120"), (121, "文章标题121"), (122, "文章标题122"), (None, "无序号")]
    # Chinese is sent as UTF-8, not as \u escapes.
    assert "第一篇".encode("utf-8") in first.content and b"\\u" not in first.content


@pytest.mark.parametrize("page", ["abc", "0", "-2", "1.5", "", "1e3", "9" * 5000])
def test_api_list_bad_page_is_400(client, page):
    response = client.get("/api/essays", {"page": page})
    assert response.status_code == 400
    assert _json(response) == {"error": "页码须是正整数。", "code": "invalid_page"}


def test_api_list_page_too_high_is_404(client):
    bulk_essays(3)
    response = client.get("/api/essays", {"page": 2})
    assert response.status_code == 404
    assert _json(response) == {"error": "没有第 2 页（共 1 页）。", "code": "page_not_found"}
    assert _json(client.get("/api/essays", {"page": 1}))["count"] == 3


def test_api_list_of_empty_archive(client):
    data = _json(client.get("/api/essays"))
    assert data == {"count": 0, "page": 1, "num_pages": 1, "results": []}


def test_api_detail(client, make_essay):
    essay = make_essay(10, "让抓落实成为鲜明特质", ["第一段。", "第二段“引号”。"], name="10让抓落实.txt")
    response = client.get(f"/api/essays/{essay.pk}")
    assert response.status_code == 200
    assert _json(response) == {
        "id": essay.pk, "number": 10, "title": "让抓落实成为鲜明特质",
        "paragraphs": ["第一段。", "第二段“引号”。"], "source_name": "10让抓落实.txt",
        "url": f"http://testserver/essays/{essay.pk}/", **NO_METADATA,
    }
    assert "让抓落实".encode("utf-8") in response.content and b"\\u" not in response.content


@pytest.mark.parametrize("pk", ["424242", "9223372036854775808", "99999999999999999999999"])
def test_api_detail_unknown_is_404_json(client, pk):
    response = client.get(f"/api/essays/{pk}")
    assert response.status_code == 404
    assert _json(response) == {"error": "没有这篇文章。", "code": "essay_not_found"}


def test_api_refuses_post(client):
    assert client.post("/api/essays").status_code == 405


# ----------------------------------------------------------- hostile input

HOSTILE = (
    "66危险的文章.txt\n"
    "<div><span>　　第一段正常文字。</span></div>"
    "<div><script>alert(1)</script></div>"
    "<div><span>　　图片<img src=x onerror=alert(1)>之后的文字。</span></div>"
    '<div><span>　　请看<a href="javascript:alert(1)">链接</a>。</span></div>'
    "<div><span>　　字面的&lt;b&gt;not bold&lt;/b&gt;文字。</span></div>"
).encode("utf-8")


@pytest.fixture
def hostile(db):
    outcome = import_essay_bytes(HOSTILE, "hostile.txt")
    assert outcome.status == "created", outcome
    return Essay.objects.get(pk=outcome.essay_id)


def _assert_no_active_content(body):
    assert "<script>alert" not in body
    assert "alert(1)</script>" not in body
    assert "onerror=" not in body
    assert "javascript:" not in body
    assert "<b>" not in body


def test_hostile_file_is_stored_as_plain_text(hostile):
    assert hostile.paragraphs == [
        "第一段正常文字。",
        "图片之后的文字。",
        "请看链接。",
        "字面的<b>not bold</b>文字。",
    ]


def test_hostile_essay_renders_inert(client, hostile):
    for url in [hostile.get_absolute_url(), hostile.get_absolute_url() + "?q=not", "/"]:
        body = html(client.get(url))
        _assert_no_active_content(body)
    body = html(client.get(hostile.get_absolute_url()))
    assert "字面的&lt;b&gt;not bold&lt;/b&gt;文字。" in body
    assert "请看链接。" in body
    # Highlighting splits the text into pieces; each piece is still escaped,
    # even when the match itself covers the "tags".
    keywords = html(client.get(hostile.get_absolute_url(), {"q": "not bold"}))
    assert "字面的&lt;b&gt;<mark>not</mark> <mark>bold</mark>&lt;/b&gt;文字。" in keywords
    quoted = html(client.get(hostile.get_absolute_url(), {"q": '"<b>not bold</b>"'}))
    assert "字面的<mark>&lt;b&gt;not bold&lt;/b&gt;</mark>文字。" in quoted
    _assert_no_active_content(quoted)
    api = client.get(f"/api/essays/{hostile.pk}")
    assert "字面的<b>not bold</b>文字。" in _json(api)["paragraphs"]


def test_hostile_title_is_escaped_everywhere(client, make_essay):
    title = "<script>alert('t')</script>标题"
    essay = make_essay(1, title, ["段落。"], name="t.txt")
    assert essay.title == title  # kept as text: the file name line is plain text
    escaped = "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;标题"
    for url in ["/", essay.get_absolute_url()]:
        body = html(client.get(url))
        assert "<script>alert" not in body, url
        assert escaped in body, url
    neighbour = make_essay(2, "邻居", ["段落。"])
    body = html(client.get(neighbour.get_absolute_url()))
    assert "<script>alert" not in body and escaped in body  # in the 上一篇 link
    index_all()
    body = html(client.get("/search/", {"q": "标题"}))
    assert "<script>alert" not in body and escaped in body


# -------------------------------------------------------- security headers

def _assert_security_headers(response):
    csp = response["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in csp.split(";") if part.strip()
    )
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src is not None
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'none'" in directives.get("frame-ancestors", []) or "'self'" in directives.get("frame-ancestors", [])
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_security_headers_on_pages(client, make_essay):
    essay = make_essay(1, "文章", ["段落。"])
    index_all()
    for url in ["/", essay.get_absolute_url(), "/api/essays", f"/api/essays/{essay.pk}",
                "/search/?q=段落", "/feed/", "/essays/987654/"]:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        _assert_security_headers(response)


def test_pages_contain_no_inline_script(client, hostile):
    for url in ["/", hostile.get_absolute_url()]:
        body = html(client.get(url))
        # The site's own scripts, from its static files, are the only ones.
        scripts = re.findall(r"<script\b[^>]*>", body)
        assert all(re.fullmatch(r'<script src="/static/js/[a-z-]+\.js" defer>', tag) for tag in scripts), url
        assert body.count("<script") == len(scripts) and "</script>" not in body.split("</footer>")[0], url
        assert not re.search(r"\son[a-z]+=", body), url


def test_site_url_tag_gives_what_the_url_tag_gives_under_any_script_prefix():
    from django.template import Context, Template
    from django.urls import set_script_prefix

    template = Template("{% load site_urls %}{% for name in names %}{% site_url name %} {% endfor %}|"
                        "{% url 'essays:list' %} {% url 'search' %} {% url 'feed' %} ")
    names = ["essays:list", "search", "feed"]
    try:
        for prefix in ("/", "/archive/"):
            set_script_prefix(prefix)
            ours, django_s = template.render(Context({"names": names})).split("|")
            assert ours == django_s and all(url.startswith(prefix) for url in ours.split())
    finally:
        set_script_prefix("/")


# ------------------------------------------------- long essays, in pages

def _long_essay(count, per_page, settings):
    """An essay of `count` paragraphs, shown `per_page` a page, indexed."""
    from search.sync import batched_indexing

    settings.ESSAY_PARAGRAPHS_PER_PAGE = per_page
    with batched_indexing():
        essay = Essay.objects.create(number=7, title="很长的讲话", source_name="long.txt", content_hash="long",
                                     paragraphs=[f"第{n}段的内容。" for n in range(1, count + 1)])
    essay.paragraphs[count - 1] = f"第{count}段，这里有独一无二的句子。"
    with batched_indexing():
        essay.save()
    return essay


def _anchors(body):
    return [int(n) for n in re.findall(r'<p id="p(\d+)"', body)]


def test_a_long_essay_is_shown_in_pages(client, settings):
    essay = _long_essay(12, 5, settings)
    url = essay.get_absolute_url()
    body = html(client.get(url))
    assert _anchors(body) == [1, 2, 3, 4, 5]
    assert "第 1–5 段，共 12 段" in body and "12 段" in body
    assert 'href="?page=2"' in body and 'href="?page=3"' in body
    # A bare #p<n> of another page (an older citation) is sent to its page.
    assert 'data-per-page="5"' in body and "/static/js/paragraph-pages.js" in body
    assert client.get("/static/js/paragraph-pages.js").status_code == 200
    assert _anchors(html(client.get(url + "?page=3"))) == [11, 12]
    assert _anchors(html(client.get(url + "?page=99"))) == [11, 12]  # the last page
    assert _anchors(html(client.get(url + "?page=x"))) == [1, 2, 3, 4, 5]
    # Page links keep the query being highlighted.
    body = html(client.get(url + "?q=%E5%86%85%E5%AE%B9&page=2"))
    assert _anchors(body) == [6, 7, 8, 9, 10] and "<mark>内容</mark>" in body
    assert 'href="?q=%E5%86%85%E5%AE%B9&amp;page=3"' in body


def test_a_normal_essay_page_has_no_page_links(client, make_essay, settings):
    essay = make_essay(3, "普通文章", [f"第{n}段。" for n in range(1, 201)])
    body = html(client.get(essay.get_absolute_url()))
    assert settings.ESSAY_PARAGRAPHS_PER_PAGE == 200
    assert _anchors(body) == list(range(1, 201))
    assert "段落分页" not in body and "paragraph-pages.js" not in body


def test_search_links_reach_the_page_holding_the_paragraph(client, settings):
    essay = _long_essay(12, 5, settings)
    body = html(client.get("/search/?q=%22独一无二%22"))
    links = re.findall(r'<li><a href="([^"]+)"><span class="para-ref">第 12 段</span>', body)
    assert links == [f"/essays/{essay.pk}/?q=%22%E7%8B%AC%E4%B8%80%E6%97%A0%E4%BA%8C%22&amp;page=3#p12"]
    target = client.get(links[0].replace("&amp;", "&").split("#")[0])
    assert 12 in _anchors(html(target)) and "<mark>独一无二</mark>" in html(target)


def test_paragraph_redirect(client, settings):
    essay = _long_essay(12, 5, settings)
    response = client.get(f"/essays/{essay.pk}/p12/")
    assert response.status_code == 302 and response["Location"] == f"/essays/{essay.pk}/?page=3#p12"
    response = client.get(f"/essays/{essay.pk}/p2/?q=内容")
    assert response["Location"] == f"/essays/{essay.pk}/?q=%E5%86%85%E5%AE%B9#p2"
    assert client.get(f"/essays/{essay.pk + 1}/p2/").status_code == 404


def test_a_stored_essay_of_300000_paragraphs_costs_one_page(client):
    """Stored before the paragraph limit: each view rendered every one
    (9.9 s and 36.7 MB); now a page of ESSAY_PARAGRAPHS_PER_PAGE."""
    essay = Essay.objects.create(number=1, title="三十万段", source_name="many.txt", content_hash="many",
                                 paragraphs=[f"第{n}行" for n in range(1, 300_001)])
    body = html(client.get(essay.get_absolute_url() + "?page=1500"))
    assert _anchors(body) == list(range(299_801, 300_001))
