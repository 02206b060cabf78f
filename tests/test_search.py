"""Matching, ranking, syntax, snippets and highlights of search.service.search
on small hand-made fixtures whose exact answers are known."""
import datetime
import json

import pytest

from essays.models import Essay
from search import documents, service
from search.sync import batched_indexing

from .support.oracle import fold

# Contract tests: they run against every configured backend (conftest.backend).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("backend")]


def add(*specs):
    """Create essays from (number, title, paragraphs) and index them through
    the real sync path (one batch, as an import does). Returns the rows."""
    rows = []
    with batched_indexing():
        for number, title, paragraphs in specs:
            n = Essay.objects.count()
            rows.append(Essay.objects.create(number=number, title=title, paragraphs=list(paragraphs),
                                             source_name=f"e{n}.txt", content_hash=f"hash{n}"))
    return rows


def titles(query, **kwargs):
    kwargs.setdefault("per_page", 100)
    return [h.title for h in service.search(query, **kwargs).hits]


FILLER = "这是一段用来占位的普通文字，内容与查询无关。"


# -- ranking ----------------------------------------------------------------

def test_title_match_ranks_above_body_match():
    add((1, "其他话题", [FILLER, "这里提到了调查研究一次。"]),
        (2, "谈调查研究", [FILLER, "这里没有那个词。"]))
    assert titles("调查研究") == ["谈调查研究", "其他话题"]


def test_more_occurrences_rank_higher():
    add((1, "一次", ["改革创新是动力。" + FILLER * 3]),
        (2, "三次", ["改革创新是动力。改革创新要坚持。改革创新不停步。" + FILLER * 2]),
        (3, "两次", ["改革创新是动力。改革创新要坚持。" + FILLER * 3]))
    assert titles("改革创新") == ["三次", "两次", "一次"]


def test_whole_query_as_phrase_ranks_first():
    # The essay with both words many times scores higher on BM25, but only
    # the other one contains the query as typed, as one phrase.
    add((1, "分散", ["作风问题要重视，作风问题要解决。建设要抓紧，建设要落地，建设要见效。作风好。"]),
        (2, "连在一起", [FILLER, "加强作风建设。"]))
    assert titles("作风 建设") == ["连在一起", "分散"]
    result = service.search("作风 建设")
    assert [h.phrase for h in result.hits] == [True, False]


def test_sort_by_number_and_newest():
    rows = add((3, "丙篇", ["共同的词：落实。"]), (1, "甲篇", ["共同的词：落实。"]),
               (None, "无号篇", ["共同的词：落实。"]), (2, "乙篇", ["共同的词：落实。"]))
    base = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    for offset, essay in zip([2, 0, 3, 1], rows):  # newest: 无号篇, 丙篇, 乙篇, 甲篇
        Essay.objects.filter(pk=essay.pk).update(created=base + datetime.timedelta(days=offset))
    service.index_essays(Essay.objects.all())
    assert titles("落实", sort="number") == ["甲篇", "乙篇", "丙篇", "无号篇"]
    assert titles("落实", sort="newest") == ["无号篇", "丙篇", "乙篇", "甲篇"]
    assert service.search("落实", sort="newest").sort == "newest"


def test_pages_partition_the_results():
    add(*[(i, f"第{i}篇", [f"落实{'。落实' * (i % 4)}", FILLER]) for i in range(1, 8)])
    add((99, "无关", [FILLER]))
    everything = titles("落实")
    assert len(everything) == 7
    pages = [service.search("落实", page=p, per_page=3) for p in (1, 2, 3, 4)]
    assert [r.count for r in pages] == [7, 7, 7, 7]
    assert [r.num_pages for r in pages] == [3, 3, 3, 3]
    assert [len(r.hits) for r in pages] == [3, 3, 1, 0]
    assert [h.title for r in pages for h in r.hits] == everything


# -- syntax -----------------------------------------------------------------

@pytest.fixture
def topics():
    add((1, "落实与担当", ["抓落实要有担当。"]),
        (2, "形式主义要不得", ["反对形式主义，狠抓落实。"]),
        (3, "初心", ["不忘初心。"]),
        (4, "使命", ["牢记使命。"]),
        (5, "别的", ["本文谈落实，但标题里没有。"]))


def test_exclusion(topics):
    assert set(titles("落实 -形式主义")) == {"落实与担当", "别的"}
    assert set(titles("-形式主义 落实")) == {"落实与担当", "别的"}


def test_exclusion_of_quotes_and_titles(topics):
    assert set(titles('落实 -"形式主义"')) == {"落实与担当", "别的"}
    assert set(titles("落实 -title:落实")) == {"形式主义要不得", "别的"}
    assert set(titles("-形式主义")) == {"落实与担当", "初心", "使命", "别的"}


def test_or(topics):
    assert set(titles("初心 OR 使命")) == {"初心", "使命"}
    assert set(titles("初心 OR 使命 OR 担当")) == {"初心", "使命", "落实与担当"}
    assert set(titles('"不忘初心" OR title:使命')) == {"初心", "使命"}
    assert set(titles("初心 OR ， 使命")) == {"初心", "使命"}  # punctuation does not break the OR
    assert set(titles("初心 or 使命")) == set()  # lower-case "or" is a word
    assert set(titles("落实 初心 OR 担当")) == {"落实与担当"}  # OR binds tighter than AND


def test_punctuation_only_chunks_are_ignored(topics):
    assert set(titles("落实 ， 。")) == set(titles("落实"))


def test_title_restriction(topics):
    assert set(titles("title:落实")) == {"落实与担当"}
    assert set(titles('title:"落实与"')) == {"落实与担当"}
    assert set(titles("落实")) == {"落实与担当", "形式主义要不得", "别的"}


def test_unquoted_words_match_whatever_the_essay_segmentation():
    add((1, "细节", ["天下大事必作于细。"]), (2, "实干", ["我们要狠抓落实。"]), (3, "空", [FILLER]))
    assert titles("事必作") == ["细节"]
    assert titles("抓落实") == ["实干"]
    assert service.search("抓落实").mode == "keywords"


def test_quote_ignores_punctuation_width_and_case():
    add((1, "大鹏", ["“大鹏之动，非一羽之轻也；骐骥之速，非一足之力也。”"]),
        (2, "拉丁", ["版本ＡＢＣ１２３发布。Café 与 CAFE\u0301。"]),
        (3, "空", [FILLER]))
    for q in ['"大鹏之动,非一羽之轻也"', "“大鹏之动非一羽之轻也”", "「大鹏之动 ,非一羽」", "『也骐骥』"]:
        assert titles(q) == ["大鹏"], q
    assert titles('"abc123"') == ["拉丁"]
    assert titles('"ＡbＣ 1２3"') == ["拉丁"]
    result = service.search('"café"')
    assert [h.title for h in result.hits] == ["拉丁"] and result.hits[0].occurrences == 2
    assert service.search('"大鹏"').mode == "quote"


def test_one_character_quote_and_no_quote_across_paragraphs():
    add((1, "甲", ["前一段的结尾是落", "实在是下一段的开头"]), (2, "乙", ["落实在这里"]))
    assert set(titles('"实"')) == {"甲", "乙"}
    assert titles('"落实"') == ["乙"]


@pytest.mark.parametrize("query", ['"', '""', "“，。”", '"   "', "「」"])
def test_quote_with_nothing_to_search_is_a_query_error(query):
    with pytest.raises(service.QueryError):
        service.search(query)


@pytest.mark.parametrize("query, expected", [
    ("a*b", {"星号", "连写"}),  # the words a and b, wherever they are
    ('"a*b"', {"星号", "连写"}),
    ("(落实)", {"括号", "连写", "符号"}),
    ("[落实]", {"括号", "连写", "符号"}),
    # ^ and ~ are symbols (S*), not punctuation: folding keeps them, so as
    # plain text they must occur literally.
    ("{落实}~", {"符号"}),
    ("落实^", {"符号"}),
    ("\\落实", {"括号", "连写", "符号"}),
    ("落实?", {"括号", "连写", "符号"}),
    ("落*实", {"括号", "连写", "符号"}),
    ("title:", {"冒号"}),
    ("OR", {"或者"}),
    ("title:or", set()),
    ("title:或者", {"或者"}),
])
def test_whoosh_syntax_characters_are_plain_text(query, expected):
    add((1, "星号", ["公式 a*b 出现在这里。"]),
        (2, "连写", ["写成ab，也谈(落实)。"]),
        (3, "括号", ["关于[落实]的说明。"]),
        (4, "冒号", ["字段写作 title: 的样子。"]),
        (5, "或者", ["英文 or 表示或者。"]),
        (6, "符号", ["幂写作x^2，约等于写作~，也要落 实。"]))
    assert set(titles(query)) == expected


def test_hits_carry_title_link_and_stale_index_copies_are_not_trusted():
    rows = add((7, "链接一", ["落实第一段。", "第二段。"]), (None, "链接二", [FILLER, "落实第二段。"]))
    # Changed in the database behind the index's back: occurrences and
    # snippets come from the row, folded afresh, not from the index's copy.
    Essay.objects.filter(pk=rows[0].pk).update(paragraphs=["落实第一段。", "第二段也落实。"])
    hits = {h.id: h for h in service.search("落实").hits}
    assert {(h.id, h.title, h.url) for h in hits.values()} == {(e.pk, e.title, e.get_absolute_url()) for e in rows}
    assert hits[rows[0].pk].occurrences == 2
    assert [s.text for s in hits[rows[0].pk].snippets] == ["落实第一段。", "第二段也落实。"]
    assert (hits[rows[1].pk].occurrences, hits[rows[1].pk].snippets[0].text) == (1, "落实第二段。")


def test_hit_rows_read_what_the_orm_reads():
    rows = add((3, "行一", ["“引号”\\反斜杠\"", "第二段 \u3000 空格", ""]), (None, "行二", []))
    pks = [rows[1].pk, rows[0].pk, 999999]
    expected = {e.pk: (e.number, e.title, e.paragraphs, documents.digest(e)) for e in Essay.objects.all()}
    assert documents.hit_rows(pks) == {pk: expected[pk] for pk in pks[:2]}
    assert documents.hit_rows([]) == {}
    # Stored another way (\uXXXX escapes, as before migration 0002): read
    # the same, but the digest matches nothing, so the index copy is not
    # trusted, and the hit's snippets still come out right.
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("UPDATE essays_essay SET paragraphs = %s WHERE id = %s",
                       [json.dumps(rows[0].paragraphs), rows[0].pk])
    number, title, paragraphs, digest = documents.hit_rows([rows[0].pk])[rows[0].pk]
    assert (number, title, paragraphs) == (3, "行一", rows[0].paragraphs)
    if connection.vendor == "sqlite":
        assert digest != documents.digest(Essay.objects.get(pk=rows[0].pk))
    else:  # PostgreSQL's jsonb keeps no escapes: what it gives back is the text the digest encodes
        assert digest == documents.digest(Essay.objects.get(pk=rows[0].pk))
    [hit] = service.search('"第二段"').hits
    assert [s.text for s in hit.snippets] == ["第二段 \u3000 空格"]


# -- snippets, occurrences, highlights ------------------------------------------

def test_highlights_point_at_the_matched_text_including_punctuation():
    [essay] = add((1, "大鹏之动", ["序。“大鹏之动，非一羽之轻也；骐骥之速，非一足之力也。”后文。"]))
    for query in ['"大鹏之动,非一羽之轻也"', '"非一羽之轻也;骐骥"', '"羽"', '"ｘ"']:
        result = service.search(query)
        want = fold(query)
        if want == "ｘ" or want == "x":
            assert result.count == 0
            continue
        [hit] = result.hits
        assert hit.id == essay.pk
        for snippet in hit.snippets:
            assert snippet.highlights
            for start, end in snippet.highlights:
                assert fold(snippet.text[start:end]) == want, (query, snippet)
    [hit] = service.search('"大鹏之动,非一羽之轻也"').hits
    [snippet] = [s for s in hit.snippets if s.paragraph == 1]
    start, end = snippet.highlights[0]
    assert snippet.text[start:end] == "大鹏之动，非一羽之轻也"


def test_title_highlight_is_paragraph_zero():
    add((1, "谈抓落实", ["正文也讲抓落实。"]))
    [hit] = service.search('"抓落实"').hits
    assert hit.occurrences == 2
    assert [s.paragraph for s in hit.snippets] == [0, 1]
    assert hit.snippets[0].text == "谈抓落实" and hit.snippets[0].highlights == ((1, 4),)


def test_occurrences_are_counted_exactly_and_snippets_are_the_first_few():
    add((1, "计数", ["落实一次。", "无关的段落。", "落实、落实，两次。", "落实落实落实。", "最后落实。"]))
    [hit] = service.search('"落实"').hits
    assert hit.occurrences == 1 + 2 + 3 + 1
    assert [s.paragraph for s in hit.snippets] == [1, 3, 3]
    assert hit.more == hit.occurrences - 3
    # Touching occurrences of the quote are separate occurrences, each
    # highlighted on its own.
    [hit] = service.search('"落实落实"').hits  # once in paragraph 3, once in 4
    assert hit.occurrences == 2
    assert [(s.paragraph, s.highlights) for s in hit.snippets] == [(3, ((0, 5),)), (4, ((0, 4),))]
    [hit] = service.search('"落实。落实"').hits
    assert hit.occurrences == 2


def test_touching_occurrences_of_one_quote_are_highlighted_separately():
    add((1, "叠", ["哈哈哈哈"]))
    [hit] = service.search('"哈哈"').hits
    assert hit.occurrences == 2
    assert hit.snippets[0].highlights == ((0, 2), (2, 4))


def test_words_of_one_query_touching_each_other_are_one_occurrence():
    add((1, "词", ["要抓落实，再抓落实。"]))
    [hit] = service.search("抓 落实").hits
    assert hit.occurrences == 2
    assert hit.snippets[0].highlights == ((1, 4), (6, 9))


def test_snippets_are_windows_with_ellipses():
    long = "甲" * 100 + "关键句" + "乙" * 100
    add((1, "长段", [long]))
    [hit] = service.search('"关键句"').hits
    [snippet] = hit.snippets
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    start, end = snippet.highlights[0]
    assert snippet.text[start:end] == "关键句"
    assert len(snippet.text) < 100


def test_exact_total_count_and_mode():
    add(*[(i, f"篇{i}", ["共同" if i % 3 else "不同"]) for i in range(1, 31)])
    result = service.search('"共同"', per_page=7)
    assert result.count == 20 and result.mode == "quote" and len(result.hits) == 7
    assert service.search("共同", per_page=7).count == 20


@pytest.mark.parametrize("kwargs", [
    {"sort": "bad"}, {"page": 0}, {"page": -1}, {"per_page": 0}, {"per_page": 101},
    {"per_page": -5}, {"page": "2"}, {"per_page": None},
])
def test_bad_paging_arguments_are_query_errors(kwargs):
    add((1, "甲", ["落实"]))
    with pytest.raises(service.QueryError):
        service.search("落实", **kwargs)


def test_query_without_searchable_text_is_a_query_error():
    add((1, "甲", ["落实"]))
    for query in ["，。", "-", "- ，", "“”"]:
        with pytest.raises(service.QueryError):
            service.search(query)


def test_the_backend_gives_the_whole_matched_set():
    """matched_ids (for facets and timelines later) is exactly the set the
    pages of search() hold, whatever the order."""
    rows = add(*[(i, f"全集{i}", ["落实工作。" if i % 3 else "别的内容。"]) for i in range(1, 31)])
    parsed = service.parse_query("落实")
    got, _generation = service.get_backend().matched_ids(parsed)
    paged = {h.id for p in (1, 2) for h in service.search("落实", per_page=10, page=p).hits}
    assert sorted(got) == sorted({e.pk for e in rows if e.number % 3}) == sorted(paged | {
        h.id for h in service.search("落实", per_page=10, page=3).hits})
    assert len(got) == service.search("落实").count == 20
