"""Occurrences and keyword-in-context snippets, in the original text.

Matching happens on folded text; a reader wants to see the original. Each
occurrence found in the folded paragraph is mapped back through
analysis.fold_offsets, so highlights cover exactly the characters that
matched (punctuation inside a quote included).
"""
from dataclasses import dataclass

from .analysis import fold, fold_offsets

CONTEXT_CHARS = 32
MAX_SNIPPETS = 3
# Occurrences one hit may map and merge (find_spans, some 2.5 µs each):
# an essay of 5,000 characters holds a few hundred of even 的 and 是 together,
# but a crafted OR of a hundred common characters matches half of every
# text. Past this many a hit's count is a lower bound ("至少"), so a page of
# a hundred hits costs at most some 0.5 s whatever the query.
HIT_SPAN_BUDGET = 2000


@dataclass(frozen=True)
class Snippet:
    paragraph: int  # 0 = the title, 1.. = paragraph number
    text: str
    highlights: tuple  # ((start, end), ...) offsets into text


def find_spans(text, terms, folded=None):
    """Merged (start, end) spans of `text` where any of the folded `terms`
    occurs, in original-text offsets. `folded`, if given, is fold(text)."""
    # Most paragraphs of a hit do not contain the terms: a plain fold (C
    # speed, or the index's copy) rules them out before the costlier
    # character map is built.
    plain = fold(text) if folded is None else folded
    if not any(term in plain for term in terms):
        return []
    folded, start, end = fold_offsets(text, plain)
    spans = []
    for n, term in enumerate(terms):
        i = folded.find(term)
        while i != -1:
            spans.append((start(i), end(i + len(term) - 1), n))
            i = folded.find(term, i + len(term))
    spans.sort()
    # Overlapping spans merge. Touching spans merge only when they are
    # different terms (抓 + 落实 in 抓落实 is one occurrence of the query);
    # two touching occurrences of the same term ("落实落实") stay two, so a
    # quote's occurrence count is its count in the folded text.
    merged, members = [], []
    for s, e, n in spans:
        if merged and (s < merged[-1][1] or (s == merged[-1][1] and n not in members[-1])):
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            members[-1].add(n)
        else:
            merged.append((s, e))
            members.append({n})
    return merged


def _snippet(paragraph, text, spans, span):
    start = max(0, span[0] - CONTEXT_CHARS)
    end = min(len(text), span[1] + CONTEXT_CHARS)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    highlights = tuple(
        (max(s, start) + shift, min(e, end) + shift) for s, e in spans if s < end and e > start
    )
    return Snippet(paragraph, prefix + text[start:end] + suffix, highlights)


def opening_snippet(text):
    """The first paragraph's opening, unhighlighted: the preview of a hit
    that has nothing to highlight (a query of exclusions only)."""
    end = min(len(text), 2 * CONTEXT_CHARS)
    return Snippet(1, text[:end] + ("…" if end < len(text) else ""), ())


def occurrences(title, paragraphs, terms, title_terms=(), limit=MAX_SNIPPETS, folded=None,
                budget=None):
    """Count occurrences and build the first `limit` snippets.

    `terms` may occur anywhere; `title_terms` only count in the title.
    `folded`, if given, is [fold(title), fold(p) for each paragraph] (the
    search index holds it). Returns (count, snippets, exact): `exact` is
    False when more than `budget` (HIT_SPAN_BUDGET) occurrences would have
    to be mapped and merged, and the count is then a lower bound (the
    paragraphs counted so far; the snippets are the first ones all the
    same). Paragraphs holding one term only are counted with str.count at
    C speed and never use up the budget.

    Spans in the original text (fold_offsets, the costly part) are found
    only where a snippet needs them or where two terms meet in one
    paragraph and may merge. A paragraph holding one term just counts it:
    occurrences of one term never overlap or merge (find_spans), so their
    number is str.count of the folded text. (Mapping every paragraph of
    every hit was most of a page's time: docs/SEARCH.md, "Figures behind
    the code".)"""
    budget = HIT_SPAN_BUDGET if budget is None else budget
    count, snippets, mapped = 0, [], 0
    sources = [(0, title, list(terms) + list(title_terms))]
    sources += [(i, p, list(terms)) for i, p in enumerate(paragraphs, start=1)]
    for number, text, wanted in sources:
        if not wanted:
            continue
        plain = fold(text) if folded is None else folded[number]
        present = [term for term in wanted if term in plain]
        if not present:
            continue
        if len(present) == 1 and len(snippets) >= limit:
            count += plain.count(present[0])
            continue
        if len(snippets) >= limit:
            # Only counting is left: check the cost before paying it (the
            # raw occurrences bound the merged ones from above).
            mapped += sum(plain.count(term) for term in present)
            if mapped > budget:
                return count, snippets, False
        spans = find_spans(text, present, plain)
        if len(snippets) < limit:
            mapped += len(spans)
        count += len(spans)
        for span in spans:
            if len(snippets) >= limit:
                break
            snippets.append(_snippet(number, text, spans, span))
    return count, snippets, True
