"""search.snippets: occurrences and snippets in the original text, found on
the folded text (pure: no index, no database)."""
from search.snippets import CONTEXT_CHARS, find_spans, occurrences


def test_spans_cover_the_original_characters_punctuation_inside_included():
    text = "他说：天下大事，必作于细。"
    [(s, e)] = find_spans(text, ["天下大事必作于细"])
    assert text[s:e] == "天下大事，必作于细"


def test_different_terms_touching_merge_the_same_term_touching_does_not():
    assert find_spans("狠抓落实", ["抓", "落实"]) == [(1, 4)]
    assert find_spans("落实落实", ["落实"]) == [(0, 2), (2, 4)]
    assert find_spans("无关", ["落实"]) == []


def test_width_and_case_fold_but_offsets_stay_in_the_original():
    text = "ＡＢＣ与abc"
    assert find_spans(text, ["abc"]) == [(0, 3), (4, 7)]


def test_occurrences_count_every_paragraph_and_the_title_and_snippet_the_first():
    paragraphs = ["落实一。", "无关。", "落实二，再落实。", "落实三。", "落实四。"]
    count, snippets, exact = occurrences("抓落实", paragraphs, ["落实"], limit=3)
    assert (count, exact) == (6, True)
    assert [s.paragraph for s in snippets] == [0, 1, 3]
    title = snippets[0]
    assert [title.text[a:b] for a, b in title.highlights] == ["落实"]


def test_title_terms_count_in_the_title_only():
    count, snippets, _exact = occurrences("落实", ["落实。"], [], title_terms=["落实"])
    assert count == 1 and [s.paragraph for s in snippets] == [0]


def test_a_long_paragraph_is_cut_around_the_match():
    text = "甲" * 100 + "落实" + "乙" * 100
    [snippet] = occurrences("", [text], ["落实"])[1]
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert len(snippet.text) == 2 * CONTEXT_CHARS + 2 + 2
    [(a, b)] = snippet.highlights
    assert snippet.text[a:b] == "落实"


def test_past_the_budget_the_count_is_a_lower_bound():
    paragraphs = ["的是" * 50] * 20
    count, snippets, exact = occurrences("", paragraphs, ["的", "是"], budget=300)
    assert not exact and len(snippets) == 3 and count < 2000
    full, _s, exact_full = occurrences("", paragraphs, ["的", "是"])
    assert exact_full and full == 1000 and count < full  # 的是 pairs merge: 50 a paragraph
