"""The concordance: every occurrence of a query's terms on its own row,
with its left and right context, sortable by what comes before or after.

The occurrence rule (shared by the concordance, the timeline and the
counts shown for a hit): an occurrence is a start position of a positive
term of the query (a quote, or each word of a keyword chunk; title:
terms in titles only) in the folded title or in one folded paragraph of a
matching essay. Overlapping occurrences all count (哈哈 in 哈哈哈 is 2); two
different terms starting at the same place are two occurrences.

Everything here works on folded text (search.analysis.fold: what the
index matches), essay by essay, and is pure: the caller (search.service)
supplies the folded parts of the matching essays, in the answer's order,
and for the rows it shows, the original text, into which `display` maps a
row back through analysis.fold_offsets. Sorting and neighbour counts use
the folded contexts, so punctuation never decides an order.
"""
from collections import Counter
from dataclasses import dataclass

from . import analysis

DEFAULT_WIDTH = 20
MIN_WIDTH, MAX_WIDTH = 5, 100
SORTS = ("essay", "left", "right", "date")
# Folded characters that sort=left / right compare; rows alike over all of
# them keep the answer's order. 32 tell a fixed phrase from loose use, and a
# key of 100 would hold some 50 MB for 200,000 rows.
SORT_WIDTH = 32
NEIGHBOUR_WINDOW = 8  # folded characters segmented for a neighbour word
NEIGHBOUR_ROWS = 50_000  # rows whose neighbours are counted; beyond, an even sample
TOP_NEIGHBOURS = 20


@dataclass(frozen=True)
class Occurrence:
    essay: int  # essay id
    part: int  # 0 = the title, n = paragraph n
    start: int  # position in the folded part
    length: int  # folded length of the term
    term: str


def borderless(term):
    """Whether `term` cannot overlap itself (no proper prefix equals a
    suffix), so that str.count, which counts without overlaps, counts
    every start position."""
    return not any(term[:k] == term[-k:] for k in range(1, len(term)))


def positions(text, term):
    """Every start position of `term` in `text`, overlapping ones included."""
    if not term:
        return []
    out, find, i = [], text.find, text.find(term)
    while i >= 0:
        out.append(i)
        i = find(term, i + 1)
    return out


def count_in(text, term):
    """len(positions(text, term)), at C speed when the term is borderless."""
    if not term:
        return 0
    return text.count(term) if borderless(term) else len(positions(text, term))


def _terms_of_part(terms, part):
    return [t for t, scope in terms if part == 0 or scope == "all"]


def essay_count(parts, terms):
    """Occurrences of `terms` ((folded text, scope) pairs) in one essay's
    folded parts (title first)."""
    return sum(count_in(text, t) for part, text in enumerate(parts) for t in _terms_of_part(terms, part))


def occurrences(essays, terms):
    """Every Occurrence, essay by essay in the order given ((essay id,
    folded parts) pairs), then by part, position and term order."""
    out = []
    for essay, parts in essays:
        for part, text in enumerate(parts):
            found = [(p, i, t) for i, t in enumerate(_terms_of_part(terms, part)) for p in positions(text, t)]
            found.sort()
            out.extend(Occurrence(essay, part, p, len(t), t) for p, _i, t in found)
    return out


def left_key(parts, occ, width=DEFAULT_WIDTH):
    """The folded characters before the match, nearest first."""
    text = parts[occ.part]
    return text[max(0, occ.start - width):occ.start][::-1]


def right_key(parts, occ, width=DEFAULT_WIDTH):
    text = parts[occ.part]
    end = occ.start + occ.length
    return text[end:end + width]


def sort_rows(rows, sort, folded, dates=None):
    """`rows` (Occurrences in the answer's order) in the order `sort`
    asks: 'essay' keeps it; 'left' and 'right' sort by the SORT_WIDTH
    folded characters just before or after the match (nearest character
    first, so rows with the same neighbour come together), ties in the
    answer's order; 'date'
    by the essay's publication date (`dates`: essay id -> sortable day or
    None; undated last), ties in the answer's order. `folded`: essay id ->
    folded parts."""
    if sort == "essay":
        return list(rows)
    if sort == "left":
        return sorted(rows, key=lambda o: left_key(folded[o.essay], o, SORT_WIDTH))
    if sort == "right":
        return sorted(rows, key=lambda o: right_key(folded[o.essay], o, SORT_WIDTH))
    if sort == "date":
        dates = dates or {}
        return sorted(rows, key=lambda o: (dates.get(o.essay) is None, dates.get(o.essay) or 0))
    raise ValueError(f"unknown sort {sort!r}")


def neighbour_words(parts, occ, words=None):
    """(word before, word after) the match: the last jieba word of the
    NEIGHBOUR_WINDOW folded characters before it, and the first of those
    after it (None at a part's edge)."""
    words = words or analysis.words
    left = left_key(parts, occ, NEIGHBOUR_WINDOW)[::-1]
    right = right_key(parts, occ, NEIGHBOUR_WINDOW)
    before = words(left) if left else []
    after = words(right) if right else []
    return (before[-1] if before else None), (after[0] if after else None)


def neighbours(rows, folded, words=None, limit=NEIGHBOUR_ROWS):
    """({"left": [[word, n], ...], "right": [...]}, rows counted): the
    TOP_NEIGHBOURS most frequent words just before and just after the
    matches, over every row, or over an even sample of `limit` rows when
    there are more (the caller says so)."""
    sample = rows if len(rows) <= limit else [rows[i * len(rows) // limit] for i in range(limit)]
    left, right = Counter(), Counter()
    for occ in sample:
        before, after = neighbour_words(folded[occ.essay], occ, words)
        if before:
            left[before] += 1
        if after:
            right[after] += 1

    def top(counter):
        return [[w, n] for w, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_NEIGHBOURS]]

    return {"left": top(left), "right": top(right)}, len(sample)


def has_neighbour(parts, occ, side, word, words=None):
    """Whether the row's neighbour on `side` ('left'/'right') is `word`."""
    before, after = neighbour_words(parts, occ, words)
    return (before if side == "left" else after) == word


@dataclass(frozen=True)
class Row:
    """A row as shown: the original text around the match."""

    essay: int
    part: int
    offset: int  # where the match starts in the original part
    left: str
    match: str
    right: str


def display(occ, original, width=DEFAULT_WIDTH, offsets=None):
    """The Row of `occ` in `original`, the part's text as stored: the
    match mapped back from folded to original positions, and `width`
    original characters each side, cut at the part's edges. `offsets`:
    analysis.fold_offsets(original), if the caller already has it (rows of
    the same part share it)."""
    folded, start, end = offsets or analysis.fold_offsets(original)
    s, e = start(occ.start), end(occ.start + occ.length - 1)
    return Row(occ.essay, occ.part, s, original[max(0, s - width):s], original[s:e], original[e:e + width])
