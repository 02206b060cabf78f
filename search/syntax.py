"""Parse a user's query string into clauses. Pure functions, no Django.

Grammar (the documented contract):
- "…", “…”, 「…」, 『…』: an exact quotation (an unclosed quote runs to the end).
- an unquoted chunk (text between spaces): split by jieba into words, each
  of which the essay must contain literally.
- -X: essays containing X (a quote or the chunk as written) are excluded.
- title:X: X must occur in the title.
- A OR B: either clause; OR binds tighter than the implicit AND.
Every other character, Whoosh syntax included, is plain text.
"""
from dataclasses import dataclass, field

from . import analysis

QUOTES = {'"': '"', "“": "”", "「": "」", "『": "』", "＂": "＂"}
MAX_QUERY_CHARS = 500
MAX_CLAUSES = 32
# A results page costs about (hits shown) × (distinct terms to find in each):
# every term is looked for in every paragraph of every hit shown. A query of
# up to 8 terms may show 100 hits a page, one of 40 the default 20; beyond
# that fewer hits a page are shown (never fewer than 10), and the answer says so.
TERM_PAGE_BUDGET = 800
MIN_COSTLY_PER_PAGE = 10


class QueryError(ValueError):
    """A query that cannot run; the message is meant for the user."""


@dataclass(frozen=True)
class Term:
    """One literal requirement: `text` (folded) must occur in the title, or
    (scope 'all') in the title or one paragraph."""

    text: str
    scope: str = "all"  # "all" or "title"


@dataclass(frozen=True)
class Clause:
    """A conjunction of terms (one quote, or the words of one chunk)."""

    terms: tuple
    quoted: bool
    raw: str


@dataclass
class ParsedQuery:
    """Required groups (each an OR of clauses), excluded terms, and the
    words used for ranking."""

    raw: str
    groups: list = field(default_factory=list)  # list[list[Clause]]
    excluded: list = field(default_factory=list)  # list[Term]
    rank_words: list = field(default_factory=list)  # list[(word, scope)]
    phrase: str = ""  # the folded unquoted query, ranked first when present

    @property
    def mode(self):
        clauses = [c for g in self.groups for c in g]
        return "quote" if clauses and all(c.quoted for c in clauses) else "keywords"

    @property
    def empty(self):
        return not self.groups and not self.excluded

    def highlight_terms(self):
        """The positive terms, for counting occurrences and snippets."""
        seen, out = set(), []
        for group in self.groups:
            for clause in group:
                for term in clause.terms:
                    if term not in seen:
                        seen.add(term)
                        out.append(term)
        return out


def affordable_per_page(parsed, per_page):
    """(per_page, notice): `per_page` lowered for a query of many terms so
    that hits × terms stays within TERM_PAGE_BUDGET, with a message for the
    reader saying what changed ("" when nothing did). A `per_page` that is
    not a whole number is left for run_query to refuse."""
    if type(per_page) is not int:
        return per_page, ""
    terms = len(parsed.highlight_terms())
    allowed = max(MIN_COSTLY_PER_PAGE, TERM_PAGE_BUDGET // max(1, terms))
    if per_page <= allowed:
        return per_page, ""
    return allowed, (f"这个查询含 {terms} 个要查找的词，为控制耗时，每页改为显示 {allowed} 篇"
                     f"（请求的是 {per_page} 篇）。")


def _lex(text):
    """Yield (kind, value, negated, title) tokens: kind 'quote', 'word' or 'or'."""
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = title = False
        j = i
        if text[j] == "-" and j + 1 < n and not text[j + 1].isspace():
            negated, j = True, j + 1
        if text[j:j + 6].lower() == "title:" and j + 6 < n and not text[j + 6].isspace():
            title, j = True, j + 6
        if text[j] in QUOTES:
            close = QUOTES[text[j]]
            end = text.find(close, j + 1)
            end = n if end == -1 else end
            yield "quote", text[j + 1:end], negated, title
            i = end + 1
            continue
        end = j
        while end < n and not text[end].isspace() and text[end] not in QUOTES:
            end += 1
        chunk = text[j:end]
        if chunk == "OR" and not negated and not title:
            yield "or", chunk, False, False
        else:
            yield "word", chunk, negated, title
        i = end


def parse_query(text):
    """Parse a query string; raises QueryError with a message for the user."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise QueryError("查询必须是文字。")
    text = "".join(ch if ch.isprintable() or ch.isspace() else " " for ch in text)
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"查询太长了：最多 {MAX_QUERY_CHARS} 个字符。")
    query = ParsedQuery(raw=text.strip())
    state = {"pending_or": False}
    phrase_parts = []

    def add(kind, value, negated, title):
        scope = "title" if title else "all"
        folded = analysis.fold(value)
        if kind == "quote":
            if not folded:
                raise QueryError("引号里没有可以查找的文字（标点和空格会被忽略）。")
            terms = (Term(folded, scope),)
        else:
            if not folded:
                # Only punctuation: nothing to require. It does not break an
                # OR either ("初心 OR ， 使命" is still 初心 OR 使命).
                return
            if negated:
                terms = (Term(folded, scope),)
            else:
                terms = tuple(dict.fromkeys(Term(w, scope) for w in analysis.words(value)))
                phrase_parts.append(folded)
        if negated:
            query.excluded.extend(terms)
            state["pending_or"] = False
            return
        clause = Clause(terms, kind == "quote", value)
        if state["pending_or"]:
            query.groups[-1].append(clause)
        else:
            query.groups.append([clause])
        state["pending_or"] = False
        for term in terms:
            for w in analysis.words(term.text) if kind == "quote" else [term.text]:
                query.rank_words.append((w, scope))

    for kind, value, negated, title in _lex(text):
        if kind == "or":
            if query.groups and not state["pending_or"]:
                state["pending_or"] = True
                continue
            # OR with no clause before it ("OR", "OR 初心", "初心 OR OR"):
            # not an operator but the plain word, as the contract says.
            kind = "word"
        add(kind, value, negated, title)
    if state["pending_or"]:
        # A trailing OR has no right-hand side: it is the plain word too.
        state["pending_or"] = False
        add("word", "OR", False, False)
    if query.empty:
        # Only punctuation, spaces or a lone "-": running it would answer
        # "nothing found", which wrongly suggests the archive lacks the text.
        raise QueryError("查询里没有可以查找的文字（标点和空格会被忽略）。")
    if sum(len(g) for g in query.groups) + len(query.excluded) > MAX_CLAUSES:
        raise QueryError(f"查询的条件太多了：最多 {MAX_CLAUSES} 个。")
    if len(phrase_parts) > 0 and sum(len(c.terms) for g in query.groups for c in g) > 1:
        query.phrase = "".join(phrase_parts)
    return query
