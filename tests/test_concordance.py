"""The concordance's rows, counts, sorts, neighbours and display
(search.concordance), compared with a brute-force scan that folds with the
tests' own independent fold."""
import random
from collections import Counter

import jieba
import pytest

from search import analysis, concordance as c

from .support.oracle import fold
from .support.oracle import occurrences as oracle_occurrences

ESSAYS = [
    (1, "哈哈哈的标题：抓落实", ["哈哈哈，抓落实。", "要抓落实、抓落实，不能空谈。", "没有那个词。"]),
    (2, "另一篇", ["传播社会正能量，弘扬正能量！", "正能量正能量"]),
    (3, "１２３ ABC 抓落实", ["ABCabc，抓 落 实", "“抓落实”的“哈哈”"]),
]


def parts_of(title, paragraphs):
    return [title] + list(paragraphs)


def folded_essays():
    return [(pk, [analysis.fold(p) for p in parts_of(t, ps)]) for pk, t, ps in ESSAYS]


def brute(terms):
    """(essay, part, folded start, term) of every occurrence, by scanning."""
    out = []
    for pk, title, paragraphs in ESSAYS:
        for part, text in enumerate(parts_of(title, paragraphs)):
            admitted = [term for term, scope in terms if scope == "all" or not part]
            out += [(pk, part, i, term) for i, term in oracle_occurrences(fold(text), admitted)]
    return out


TERM_SETS = [[("抓落实", "all")], [("哈哈", "all")], [("正能量", "all"), ("能量", "all")],
             [("abc", "all")], [("抓落实", "title")], [("的", "all"), ("哈", "title")]]


@pytest.mark.parametrize("terms", TERM_SETS)
def test_rows_and_counts_equal_a_brute_force_scan(terms):
    rows = c.occurrences(folded_essays(), terms)
    assert [(o.essay, o.part, o.start, o.term) for o in rows] == brute(terms)
    per_essay = Counter(o.essay for o in rows)
    for pk, parts in folded_essays():
        assert c.essay_count(parts, terms) == per_essay.get(pk, 0)


def test_overlaps_count():
    assert c.count_in("哈哈哈", "哈哈") == 2 and c.positions("哈哈哈哈", "哈哈") == [0, 1, 2]
    assert c.count_in("同心同心同", "同心同") == 2
    assert not c.borderless("哈哈") and not c.borderless("同心同") and c.borderless("抓落实")


def test_random_texts_against_brute_force():
    rng = random.Random(16)
    for _ in range(300):
        text = "".join(rng.choice("甲乙甲丙") for _ in range(rng.randrange(0, 30)))
        term = "".join(rng.choice("甲乙") for _ in range(rng.randrange(1, 4)))
        expected = sum(text[i:i + len(term)] == term for i in range(len(text)))
        assert c.count_in(text, term) == expected == len(c.positions(text, term))


def test_context_sorts_compare_sort_width_characters_then_keep_the_answers_order():
    same = "同" * c.SORT_WIDTH
    essays = [(1, ["", "乙" + same + "抓落实"]), (2, ["", "甲" + same + "抓落实"])]
    rows = c.occurrences(essays, [("抓落实", "all")])
    assert [o.essay for o in c.sort_rows(rows, "left", dict(essays))] == [1, 2]  # 甲 < 乙 lies past the key


@pytest.mark.parametrize("sort", ["left", "right"])
def test_context_sorts_equal_a_sort_of_the_brute_force_rows(sort):
    terms = [("抓落实", "all"), ("正能量", "all")]
    folded = dict(folded_essays())
    rows = c.occurrences(folded_essays(), terms)
    got = [(o.essay, o.part, o.start) for o in c.sort_rows(rows, sort, folded)]
    brute_rows = brute(terms)

    def key(r):
        pk, part, i, term = r
        f = fold(parts_of(*next((t, ps) for k, t, ps in ESSAYS if k == pk))[part])
        w = c.SORT_WIDTH
        return f[max(0, i - w):i][::-1] if sort == "left" else f[i + len(term):i + len(term) + w]

    assert got == [(pk, part, i) for pk, part, i, _t in sorted(brute_rows, key=key)]
    # Rows with the same neighbouring character come out together.
    firsts = [key(r)[:1] for r in sorted(brute_rows, key=key)]
    assert all(firsts.index(ch) == i or firsts[i - 1] == ch for i, ch in enumerate(firsts))


def test_date_sort_puts_undated_last_and_keeps_the_answers_order():
    rows = c.occurrences(folded_essays(), [("抓落实", "all")])
    dates = {1: 20190701, 2: None, 3: 20180101}
    order = [o.essay for o in c.sort_rows(rows, "date", dict(folded_essays()), dates)]
    assert order == sorted(order, key=lambda e: (dates[e] is None, dates[e] or 0))
    assert order[0] == 3


def test_display_maps_the_match_back_to_the_original_text():
    originals = {pk: parts_of(t, ps) for pk, t, ps in ESSAYS}
    for o in c.occurrences(folded_essays(), [("抓落实", "all"), ("abc", "all"), ("哈哈", "all")]):
        text = originals[o.essay][o.part]
        row = c.display(o, text, width=5)
        assert fold(row.match) == o.term
        assert text[row.offset:row.offset + len(row.match)] == row.match
        assert text.endswith(row.right, 0, row.offset + len(row.match) + len(row.right))
        assert row.left == text[max(0, row.offset - 5):row.offset]
        assert row.right == text[row.offset + len(row.match):row.offset + len(row.match) + 5]
    text = "ABCabc，抓 落 实"
    spaced = c.display(c.occurrences([(3, ["", analysis.fold(text)])], [("抓落实", "all")])[0], text, 3)
    assert (spaced.left, spaced.match, spaced.right) == ("bc，", "抓 落 实", "")


def test_neighbours_equal_jieba_over_the_brute_force_contexts():
    terms = [("抓落实", "all"), ("正能量", "all")]
    folded = dict(folded_essays())
    rows = c.occurrences(folded_essays(), terms)
    tok = jieba.Tokenizer()
    got, counted = c.neighbours(rows, folded, words=lambda s: list(tok.cut(s)))
    left, right = Counter(), Counter()
    for pk, part, i, term in brute(terms):
        f = fold(parts_of(*next((t, ps) for k, t, ps in ESSAYS if k == pk))[part])
        before, after = f[max(0, i - c.NEIGHBOUR_WINDOW):i], f[i + len(term):i + len(term) + c.NEIGHBOUR_WINDOW]
        if before:
            left[list(tok.cut(before))[-1]] += 1
        if after:
            right[list(tok.cut(after))[0]] += 1
    assert counted == len(rows)
    assert got["left"] == [[w, n] for w, n in sorted(left.items(), key=lambda kv: (-kv[1], kv[0]))][:20]
    assert got["right"] == [[w, n] for w, n in sorted(right.items(), key=lambda kv: (-kv[1], kv[0]))][:20]
