"""Run a parsed query against the index and return plain result objects.

Matching is literal: a term matches an essay when its folded text occurs in
the folded title or in one folded paragraph. Candidates are scanned in
memory (see search.index), so the answer is exactly what a brute-force scan
gives. Ranking is Whoosh's BM25F over jieba words, title weighted; essays
that contain the whole unquoted query as one phrase come first.
"""
from dataclasses import dataclass, field

from whoosh import query as wq

from .syntax import ParsedQuery, QueryError, parse_query  # noqa: F401  (re-exported)

TITLE_BOOST = 3.0
SORTS = ("relevance", "number", "newest")
MAX_PER_PAGE = 100


@dataclass
class Hit:
    """One matching essay: ids and ranking data; snippets are added by
    search.snippets for the page being shown."""

    id: int
    number: int | None
    score: float
    phrase: bool = False
    title: str = ""
    url: str = ""
    occurrences: int = 0
    snippets: list = field(default_factory=list)
    more: int = 0


@dataclass
class SearchResult:
    query: ParsedQuery
    sort: str
    page: int
    per_page: int
    count: int
    hits: list  # the hits of this page only

    @property
    def mode(self):
        return self.query.mode

    @property
    def num_pages(self):
        return max(1, -(-self.count // self.per_page))


def _scan(view, term, candidates):
    """Docnums among `candidates` whose folded text contains the term."""
    t = term.text
    texts = view.titles if term.scope == "title" else view.texts
    return [d for d in candidates if t in texts[d]]


def matching_docnums(view, parsed):
    """The exact set of live docnums that satisfy the query."""
    candidates = view.live
    # Most selective first would need statistics; longer terms are usually
    # rarer, and every step scans only the survivors of the previous one.
    groups = sorted(parsed.groups, key=lambda g: -min(len(t.text) for c in g for t in c.terms))
    for group in groups:
        if len(group) == 1:
            for term in sorted(group[0].terms, key=lambda t: -len(t.text)):
                candidates = _scan(view, term, candidates)
        else:
            union = set()
            for clause in group:
                got = candidates
                for term in clause.terms:
                    got = _scan(view, term, got)
                union.update(got)
            candidates = [d for d in candidates if d in union]
    for term in parsed.excluded:
        drop = set(_scan(view, term, candidates))
        candidates = [d for d in candidates if d not in drop]
    return candidates


def _scores(view, parsed, docnums):
    """BM25F scores of the given docnums (absent: no ranking word occurs)."""
    subqueries = []
    for word, scope in dict.fromkeys(parsed.rank_words):
        subqueries.append(wq.Term("title", word, boost=TITLE_BOOST))
        if scope == "all":
            subqueries.append(wq.Term("body", word))
    if not subqueries or not docnums:
        return {}
    results = view.searcher.search(wq.Or(subqueries), filter=set(docnums), limit=None)
    return {hit.docnum: hit.score for hit in results}


def run_query(view, parsed, sort="relevance", page=1, per_page=20):
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
    docnums = matching_docnums(view, parsed) if not parsed.empty else []
    scores = _scores(view, parsed, docnums) if sort == "relevance" else {}
    phrase = parsed.phrase
    texts, numbers = view.texts, view.numbers
    if sort == "relevance":
        def key(d):
            return (not (phrase and phrase in texts[d]), -scores.get(d, 0.0), _num_key(numbers[d]), view.ids[d])
    elif sort == "number":
        def key(d):
            return (_num_key(numbers[d]), view.ids[d])
    else:
        def key(d):
            return (-view.created[d], -view.ids[d])
    start = (page - 1) * per_page
    ordered = sorted(docnums, key=key)[start:start + per_page]
    hits = [
        Hit(id=view.ids[d], number=numbers[d], score=round(scores.get(d, 0.0), 4),
            phrase=bool(phrase and phrase in texts[d]))
        for d in ordered
    ]
    return SearchResult(parsed, sort, page, per_page, len(docnums), hits)


def _num_key(number):
    return (number is None, number or 0)
