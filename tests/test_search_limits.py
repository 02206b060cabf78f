"""Bounded cost per results page: queries of many terms show fewer hits a
page (and say so), and a hit whose occurrences would take too long to map
gets a count marked as a lower bound. Ordinary queries are untouched
(tests/test_search*.py)."""
import pytest

from essays.models import Essay
from search import service, snippets
from search.sync import batched_indexing
from search.syntax import MIN_COSTLY_PER_PAGE, TERM_PAGE_BUDGET, affordable_per_page, parse_query

COMMON = "的是一不实人在要有大中了落和为上国干部作党成这学民地以到于抓会个他来事政时决能心发出年我对行就动主之生方"


def crafted(clauses=32):
    """An OR of quoted common characters: one term each."""
    return " OR ".join(f'"{COMMON[i]}"' for i in range(clauses))


def test_few_terms_keep_the_page_size():
    assert affordable_per_page(parse_query("抓落实 担当"), 100) == (100, "")
    assert affordable_per_page(parse_query("初心 OR 使命"), 20) == (20, "")


def test_many_terms_lower_the_page_size_and_say_so():
    parsed = parse_query(crafted(32))
    per_page, notice = affordable_per_page(parsed, 100)
    assert per_page == max(MIN_COSTLY_PER_PAGE, TERM_PAGE_BUDGET // 32) == 25
    assert notice == "这个查询含 32 个要查找的词，为控制耗时，每页改为显示 25 篇（请求的是 100 篇）。"
    # Never below the floor, however many terms.
    many = parse_query(" ".join(f"{a}{b}" for a, b in zip(COMMON[::2], COMMON[1::2])))
    assert affordable_per_page(many, 100)[0] >= MIN_COSTLY_PER_PAGE


@pytest.fixture
def dense(db):
    """30 essays in which every common character occurs many times."""
    with batched_indexing():
        for n in range(30):
            paragraphs = [COMMON * 3, f"第{n}篇" + COMMON[::-1] * 2]
            Essay.objects.create(number=n + 1, title=f"密集文章{n}", paragraphs=paragraphs,
                                 source_name=f"d{n}.txt", content_hash=f"d{n}")


def test_search_of_many_terms_pages_by_the_lowered_size(client, dense):
    result = service.search(crafted(32), per_page=100)
    assert (result.per_page, result.count, len(result.hits)) == (25, 30, 25)
    assert "每页改为显示 25 篇" in result.notice
    data = client.get("/api/search", {"q": crafted(32), "per_page": 100}).json()
    assert (data["per_page"], len(data["results"]), data["count"]) == (25, 25, 30)
    assert data["notice"] == result.notice
    page = client.get("/search/", {"q": crafted(32), "per_page": 100}).content.decode()
    assert result.notice in page and page.count('<li class="hit">') == 25


def test_occurrences_past_the_budget_are_a_lower_bound():
    title, paragraphs = "标题", ["抓落实" * 50, "抓落实" * 50, "抓落实" * 50, "落实" * 10]
    terms = ("抓", "落实")
    exact = snippets.occurrences(title, paragraphs, terms)
    assert exact[0] == 160 and exact[2] is True
    count, shown, is_exact = snippets.occurrences(title, paragraphs, terms, budget=100)
    # The first paragraph gives the snippets; the next would exceed the budget.
    assert (count, is_exact) == (50, False)
    assert [s.text for s in shown] == [s.text for s in exact[1]]


def test_a_lower_bound_count_is_shown_as_one(client, dense, monkeypatch):
    # The first paragraph (3 × 的, 3 × 一: 6 occurrences) gives the three
    # snippets; the second (4 more) would pass a budget of 7.
    monkeypatch.setattr(snippets, "HIT_SPAN_BUDGET", 7)
    data = client.get("/api/search", {"q": "的 一", "per_page": 5}).json()
    hit = data["results"][0]
    assert hit["occurrences_exact"] is False and hit["occurrences"] == 6 and len(hit["snippets"]) == 3
    page = client.get("/search/", {"q": "的 一", "per_page": 5}).content.decode()
    assert page.count("出现 至少 6 处") == 5 and page.count("还有 至少 3 处") == 5


def test_without_the_budget_counts_are_exact(client, dense):
    data = client.get("/api/search", {"q": "的 一", "per_page": 5}).json()
    hit = data["results"][0]
    assert "occurrences_exact" not in hit and hit["occurrences"] == 3 * 2 + 2 * 2
