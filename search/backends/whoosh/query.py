"""Run a parsed query against the index and return plain result objects.

Matching is literal: a term matches an essay when its folded text occurs in
the folded title or in one folded paragraph. Per-character document sets
narrow the candidates and a substring test decides, so the answer is
exactly what a brute-force scan gives; a tested term's set is kept for the
queries that follow (caches.TermSetCache). Ranking is BM25F over
jieba words, title weighted, as Whoosh scores it (ranking); essays
that contain the whole unquoted query as one phrase come first.
"""
import heapq
from array import array
from itertools import islice, repeat
from dataclasses import dataclass

from ...syntax import QueryError, Term
from ..base import MAX_PER_PAGE, SORTS, Hit, SearchResult
from . import bitsets, ranking

TITLE_BOOST = 3.0
RANK_AHEAD = 100  # how deep a new query is ordered (five pages of twenty)
# A query ranked by one word walks that word's impact order when at least
# 1/IMPACT_WALK of the word's essays match (the walk is then short).
IMPACT_WALK = 4


# Per query, how many character sets may be built by a scan (see _term_bits).
BUILD_CHARS = 3


def _term_bits(view, term, within, budget=None):
    """The documents of `within` (a bitset) whose folded text, or title,
    contains the term: the term's own set if every segment's file holds it
    (its most frequent words, see charfile) or the view's term cache
    (caches.TermSetCache) knows it for these documents; else the sets
    of its characters narrow the candidates and a substring test on each
    survivor decides, and the answer goes into the term cache.

    Character sets are read from each segment's file of them (see
    charfile) at no real cost. A set without a file (title scope, or
    an index from before the files) costs a scan of every document on first
    use and is kept, so a query builds a few (`budget`), and only while more
    than an eighth of the documents remain. Sets of character pairs are not
    built: testing the candidates of one term costs less than scanning every
    document for a pair, and the term cache keeps the tested term's set
    anyway (docs/SEARCH.md, "Matching", has the figures)."""
    text, scope = term.text, term.scope
    if len(text) > 1 and view.has_gram_bits(text, scope):  # a frequent word with its set on file
        return within & view.gram_bits(text, scope)
    known = view.term_sets.get((text, scope), within)
    if known is not None:
        return known
    budget = budget if budget is not None else _budget()
    bits = within
    exact = False
    chars = set(text)
    for ch in chars:
        if view.has_gram_bits(ch, scope):
            bits &= view.gram_bits(ch, scope)
            exact = ch == text
    for ch in chars:
        if exact or not bits or budget["chars"] <= 0 or bitsets.count(bits) * 8 < view.size:
            break
        if not view.has_gram_bits(ch, scope):
            budget["chars"] -= 1
            bits &= view.gram_bits(ch, scope)
            exact = ch == text
    if exact or not bits:
        return bits  # a term of one character is decided by its set
    texts = view.titles if scope == "title" else view.texts
    found = bitsets.containing(bits, texts, text)
    view.term_sets.put((text, scope), within, found)
    return found


def _budget():
    return {"chars": BUILD_CHARS}


def matching_bits(view, parsed, budget=None):
    """The exact set (a bitset of docnums) of live documents that satisfy
    the query."""
    bits = view.live_bits
    budget = budget if budget is not None else _budget()
    # Longest terms first: they are usually the rarest, and every step only
    # tests the survivors of the previous ones.
    groups = sorted(parsed.groups, key=lambda g: -min(len(t.text) for c in g for t in c.terms))
    for group in groups:
        if len(group) == 1:
            for term in sorted(group[0].terms, key=lambda t: -len(t.text)):
                bits = _term_bits(view, term, bits, budget)
        else:
            union = 0
            for clause in group:
                got = bits
                for term in clause.terms:
                    got = _term_bits(view, term, got, budget)
                union |= got
            bits &= union
        if not bits:
            return 0
    for term in parsed.excluded:
        bits &= ~_term_bits(view, term, bits, budget)
    return bits


def matching_docnums(view, parsed):
    """The exact set of live docnums that satisfy the query, ascending."""
    return bitsets.to_list(matching_bits(view, parsed))


def _scores(view, parsed, docnums):
    """BM25F scores indexed by docnum (see ranking.bm25f)."""
    return ranking.bm25f(view, _rank_terms(parsed.rank_words), docnums)


def _rank_terms(rank_words):
    """The (field, word, boost) terms that score these (word, scope) pairs."""
    terms = []
    for word, scope in dict.fromkeys(rank_words):
        terms.append(("title", word, TITLE_BOOST))
        if scope == "all":
            terms.append(("body", word, 1.0))
    return terms


def run_query(view, parsed, sort="relevance", page=1, per_page=20, within=None):
    """Match, order and page. Returns a SearchResult whose hits carry ids,
    numbers and scores; titles, URLs and snippets are filled in later."""
    if sort not in SORTS:
        raise QueryError("未知的排序方式。")
    # Checked here, not only in the form: a page below 1 would slice from
    # the end of the list, per_page 0 divides by zero in num_pages.
    if type(page) is not int or page < 1:
        raise QueryError("页码必须是正整数。")
    if type(per_page) is not int or not 1 <= per_page <= MAX_PER_PAGE:
        raise QueryError(f"每页条数必须在 1 到 {MAX_PER_PAGE} 之间。")
    start = (page - 1) * per_page
    key = (_query_key(parsed), sort, within.key if within is not None else None)
    ranked = view.results.get(key)
    if ranked is None or (len(ranked.order) < start + per_page and len(ranked.order) < ranked.count):
        # A first page is ranked a few pages deep, so paging on is cheap.
        ranked = _rank(view, parsed, sort, max(start + per_page, RANK_AHEAD), within)
        view.results.put(key, ranked)
    scores = ranked.scores[start:start + per_page] or repeat(0.0)
    hits = [Hit(id=view.ids[d], number=view.numbers[d], score=score, phrase=d in ranked.phrase)
            for d, score in zip(ranked.order[start:start + per_page], scores)]
    return SearchResult(parsed, sort, page, per_page, ranked.count, hits)


def ranked_ids(view, parsed, sort="relevance", within=None):
    """Every matching essay id in the order run_query pages through: the
    answer ranked as deep as it is long (kept in the view's result cache
    like any ranked answer, so the search's own pages then reuse it)."""
    if sort not in SORTS:
        raise QueryError("未知的排序方式。")
    key = (_query_key(parsed), sort, within.key if within is not None else None)
    ranked = view.results.get(key)
    if ranked is None or len(ranked.order) < ranked.count:
        ranked = _rank(view, parsed, sort, max(view.size, 1), within)
        view.results.put(key, ranked)
    ids = view.ids
    return [ids[d] for d in ranked.order]


@dataclass(frozen=True)
class _Ranked:
    """The first len(order) matches of a query in order, for a view's
    result cache (ReadView.results)."""

    count: int
    order: array  # docnums ('I'): a cached answer is 12 bytes a place, not a list and a dict of objects
    scores: array  # their rounded scores ('d'), parallel to order; empty where the sort is not by score
    phrase: frozenset  # the docnums in order holding the whole phrase


def answer_bits(view, parsed, within=None, budget=None):
    """matching_bits, restricted to the essays of `within` (base.Within) if given."""
    if parsed.empty:
        return 0
    bits = matching_bits(view, parsed, budget)
    return bits & view.within_bits(within) if within is not None and bits else bits


def _rank(view, parsed, sort, k, within=None):
    budget = _budget()
    bits = answer_bits(view, parsed, within, budget)
    if sort == "relevance" and bits and not parsed.phrase:
        ranked = _rank_by_impact(view, parsed, bits, k)
        if ranked is not None:
            return ranked
    docnums = bitsets.to_list(bits)
    phrase_docs = frozenset()
    if parsed.phrase and bits:
        phrase_docs = frozenset(bitsets.to_list(_term_bits(view, Term(parsed.phrase), bits, budget)))
    scores = _scores(view, parsed, docnums) if sort == "relevance" else None
    order = _order(view, docnums, sort, scores, phrase_docs, k)
    return _Ranked(len(docnums), array("I", order),
                   array("d", [round(scores[d], 4) for d in order] if scores is not None else ()),
                   phrase_docs.intersection(order))


def _rank_by_impact(view, parsed, bits, k):
    """The _Ranked of a query ranked by one word, read off the word's impact
    order (ranking.impact_order): its essays by score, highest
    first, ties in number order, as _order sorts them. The first k of them
    that match are the answer, found without scoring or even listing the
    matches: a word in most essays costs a walk of about k entries instead
    of a score per match (docs/SEARCH.md, "Ranking"). None when this does not apply: several ranking
    words, or too few matches among the word's essays for a short walk, or
    fewer than k matches holding the word (the rest score 0, and the
    general path orders them)."""
    words = list(dict.fromkeys(parsed.rank_words))
    if len(words) != 1:
        return None
    word, scope = words[0]
    docs, scores = view.impacts(word, scope, lambda: ranking.impact_order(
        view, _rank_terms([(word, scope)]), view.order("number", _number_key(view))))
    count = bitsets.count(bits)
    if count * IMPACT_WALK < len(docs):
        return None
    order, kept = array("I"), array("d")
    for d, score in zip(docs, scores):
        if bits >> d & 1:
            order.append(d)
            kept.append(round(score, 4))
            if len(order) == k:
                break
    if len(order) < min(k, count):
        return None
    return _Ranked(count, order, kept, frozenset())


def _query_key(parsed):
    """What identifies a parsed query's answer (its raw text does not:
    spacing and folding differ)."""
    return (tuple(tuple(tuple(c.terms) for c in g) for g in parsed.groups), tuple(parsed.excluded),
            tuple(parsed.rank_words), parsed.phrase)


def _order(view, docnums, sort, scores, phrase_docs, k):
    """The first k of `docnums` in the order of the sort:
    - relevance: essays holding the whole phrase first, then by score
      (highest first), then by number (none last), then by id;
    - number: by number (none last), then id;
    - newest: by time added (newest first), then id (highest first).
    Only the first k are ordered; ties keep this exact order at any k."""
    numbers, ids = view.numbers, view.ids
    if sort != "relevance":
        if sort == "number":
            key = _number_key(view)
        else:
            def key(d):
                return (-view.created[d], -ids[d])
        wanted = set(docnums)
        return list(islice((d for d in view.order(sort, key) if d in wanted), k))
    out = []
    for group in _phrase_first(docnums, phrase_docs):
        if len(out) >= k:
            break
        out += _top_by_score(group, k - len(out), scores, _number_key(view))
    return out


def warm(view):
    """Compute now what a first ranking by one word needs beside the norms:
    the number order its ties fall back on (a sort of every document)."""
    view.order("number", _number_key(view))


def _number_key(view):
    """The sort key of the number order: number (none last), then id."""
    numbers, ids = view.numbers, view.ids

    def key(d):
        return (_num_key(numbers[d]), ids[d])
    return key


def _phrase_first(docnums, phrase_docs):
    if not phrase_docs:
        return [docnums]
    return [[d for d in docnums if d in phrase_docs], [d for d in docnums if d not in phrase_docs]]


def _top_by_score(docs, k, scores, tiekey):
    """The k best of `docs` by (-score, tiekey). Only essays scoring at least
    the k-th best score are fully ordered: a C-level nlargest over floats
    instead of a Python key for each of 20,000 essays."""
    vals = [scores[d] for d in docs]
    if k < len(docs):
        kth = heapq.nlargest(k, vals)[-1]
        docs = [d for d, v in zip(docs, vals) if v >= kth]
    docs.sort(key=lambda d: (-scores[d], tiekey(d)))
    return docs[:k]


def _num_key(number):
    return (number is None, number or 0)
