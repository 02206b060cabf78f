"""search.syntax: the query language of the contract, parsed into frozen
terms and clauses (pure: no index, no database)."""
import pytest

from search.syntax import MAX_CLAUSES, MAX_QUERY_CHARS, QueryError, Term, parse_query


def clauses(parsed):
    return [[(tuple(t.text for t in c.terms), c.quoted) for c in g] for g in parsed.groups]


@pytest.mark.parametrize("text", ['"天下大事，必作于细"', "“天下大事，必作于细”", "「天下大事，必作于细」",
                                  "『天下大事，必作于细』", '"天下大事，必作于细'])
def test_every_quote_form_is_one_folded_term(text):
    parsed = parse_query(text)
    assert clauses(parsed) == [[(("天下大事必作于细",), True)]]
    assert parsed.mode == "quote" and parsed.excluded == [] and parsed.phrase == ""


def test_unquoted_chunks_are_jieba_words_all_required():
    parsed = parse_query("抓落实 担当")
    assert parsed.mode == "keywords"
    words = [w for g in clauses(parsed) for terms, _q in g for w in terms]
    assert "担当" in words and "".join(words[:-1]) == "抓落实"
    assert len(parsed.groups) == 2
    assert parsed.phrase == "抓落实担当"  # ranked first when present


def test_exclusion_or_and_title():
    parsed = parse_query("发展 OR 使命 -形式主义 title:落实")
    assert clauses(parsed) == [[(("发展",), False), (("使命",), False)], [(("落实",), False)]]
    assert parsed.excluded == [Term("形式主义")]
    assert parsed.groups[1][0].terms == (Term("落实", "title"),)
    assert ("落实", "title") in parsed.rank_words


def test_or_without_two_sides_is_the_plain_word():
    assert clauses(parse_query("OR 初心"))[0] == [(("or",), False)]
    assert clauses(parse_query("初心 OR"))[-1] == [(("or",), False)]


def test_syntax_characters_are_plain_text():
    parsed = parse_query("a*b?(c)")
    assert [t.text for t in parsed.highlight_terms()] and parsed.mode == "keywords"


@pytest.mark.parametrize("text, message", [
    ('"，。"', "引号里没有可以查找的文字"),
    ("，。 -", "查询里没有可以查找的文字"),
    ("字" * (MAX_QUERY_CHARS + 1), "查询太长了"),
    (" ".join(f"词{i}" for i in range(MAX_CLAUSES + 1)), "查询的条件太多了"),
    (12, "查询必须是文字"),
])
def test_queries_that_cannot_run_get_a_chinese_reason(text, message):
    with pytest.raises(QueryError, match=message):
        parse_query(text)


def test_control_characters_are_spaces():
    assert clauses(parse_query("初心\x00使命")) == clauses(parse_query("初心 使命"))
