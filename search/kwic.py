"""The concordance as the site shows it (re-exported by search.service):
one page of rows, the exact total and the neighbour words of a query's
whole answer, or every row in turn for an export.

search.concordance is the pure core (the occurrence rule, sorts,
neighbours, display); this module runs a query for it. The essay order is
the search's own (backend.ranked_ids: relevance, ties as the search breaks
them); the folded text is the index's (Generation.folded_parts), so the
rows are exactly the occurrences the answer was matched on.

The work stays bounded for a huge answer: the total is a sum of per-essay
counts (str.count where it can); the default sort pages through those
counts and lists the occurrences of the page's essays only (sort=date
reorders the essays and does the same); the full row list is built only
when sort=left / right or a neighbour filter needs it, up to
MAX_SORTED_ROWS. Per-essay counts and neighbour words (jieba over
NEIGHBOUR_SAMPLE rows at most) are kept per index state, query and filter
(KEPT). Only the rows shown (or exported) are read from the database and
mapped back to their original text.
"""
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from itertools import islice
from urllib.parse import quote

from django.urls import reverse

from . import analysis, concordance, documents, research
from .backends.base import Within
from .documents import PartialDate
from .indexing import ensure_index
from .syntax import QueryError, parse_query

MAX_PER_PAGE = 200
# Rows whose neighbour words a page counts: all of them up to this, an even
# sample beyond (the page and the API say so). jieba costs about 0.1 ms a
# row (2,000 generated essays, 39,000 rows of 的: 4.5 s for every row), so
# a first page of a frequent word stays under a second.
NEIGHBOUR_SAMPLE = 5_000
CHUNK = 500  # essays whose folded text is read at a time
# Most rows sort=left / right will sort (the list and its keys are held in
# memory: some 20 MB at the cap); beyond, a message asks for a narrower query.
MAX_SORTED_ROWS = 200_000
DEFAULT_PER_PAGE = 50
SORT_LABELS = {"essay": "按文章（搜索顺序）", "left": "按左侧语境", "right": "按右侧语境", "date": "按发表日期（旧→新）"}


class Kept:
    """What a concordance computed over a whole answer (per-essay counts,
    neighbour words), kept for the index state it came from: the last
    `size` answers, least recently used out. Apart from the ranked-answer
    cache (ARCHIVE_SEARCH_CACHE) on purpose, as the term cache is: these
    are the expensive part of a large answer (jieba, a count per essay),
    small (a count per essay, 40 words), and paging through one answer or
    exporting it after viewing it reuses them. The state is held weakly: a
    replaced index state is not kept alive by an entry."""

    def __init__(self, size=32):
        self.size = size
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, generation, key):
        with self._lock:
            got = self._entries.get((id(generation), key))
            if got is None or got[0]() is not generation:
                return None
            self._entries.move_to_end((id(generation), key))
            return got[1]

    def put(self, generation, key, value):
        with self._lock:
            self._entries[(id(generation), key)] = (weakref.ref(generation), value)
            self._entries.move_to_end((id(generation), key))
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


KEPT = Kept()


class ConcordanceError(QueryError):
    """A request the concordance cannot answer: the message for the user
    and a stable English `code` for the API."""

    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


NO_POSITIVE_TERMS = ("这个查询只有排除词（-…），没有要查找的词，所以没有可以逐条列出的出现位置。"
                     "请至少写一个要查找的词或一段原文。")


@dataclass(frozen=True)
class Neighbour:
    side: str  # 'left' or 'right'
    word: str


def check(sort, page, per_page, width):
    """Raise ConcordanceError unless the arguments are in range."""
    if sort not in concordance.SORTS:
        raise ConcordanceError("排序方式只能是 essay（按文章）、left（按左侧语境）、right（按右侧语境）或 date（按发表日期）。",
                               "invalid_sort")
    if type(page) is not int or not 1 <= page <= 100_000:
        raise ConcordanceError("页码须是 1 到 100000 的整数。", "invalid_page")
    if type(per_page) is not int or not 1 <= per_page <= MAX_PER_PAGE:
        raise ConcordanceError(f"每页条数须是 1 到 {MAX_PER_PAGE} 的整数。", "invalid_per_page")
    if type(width) is not int or not concordance.MIN_WIDTH <= width <= concordance.MAX_WIDTH:
        raise ConcordanceError(f"语境宽度须是 {concordance.MIN_WIDTH} 到 {concordance.MAX_WIDTH} 个字符。",
                               "invalid_width")


class Answer:
    """A query's occurrences over its whole answer, in the order of one
    sort, with what it takes to show any of them."""

    def __init__(self, text, filters=None, sort="essay", neighbour=None, essay=None):
        self.text = text
        self.parsed = parse_query(text)
        self.terms = research.occurrence_terms(self.parsed)
        if not self.terms:
            raise ConcordanceError(NO_POSITIVE_TERMS, "no_positive_terms")
        self.sort, self.neighbour = sort, neighbour
        self.table = research.metadata()
        within = self.table.within(filters)
        if essay is not None:
            ids = frozenset({essay}) & (within.ids if within is not None else frozenset({essay}))
            within = Within(f"{within.key if within else self.table.version}|essay={essay}", ids)
        self.within = within
        ids, self.generation = ensure_index().ranked_ids(self.parsed, "relevance", within)
        self.counts = self._counts(ids)
        self.ids = [i for i in ids if i in self.counts]
        if sort == "date":
            # Rows by their essay's date, ties in the answer's order, are the
            # essays in that order, each with its rows in place: paged through
            # the counts like sort=essay, with no list of rows.
            by_id = self.table.by_id
            self.ids.sort(key=lambda i: (0, by_id[i].start.toordinal()) if i in by_id and by_id[i].start else (1, 0))
        self._rows = None
        if sort in ("left", "right") or neighbour is not None:
            listed = sum(self.counts.values())
            if sort in ("left", "right") and listed > MAX_SORTED_ROWS:
                raise ConcordanceError(
                    f"这个查询共有 {listed} 处出现，超过按语境排序的上限 {MAX_SORTED_ROWS} 处。"
                    "请加上筛选条件（日期、来源等）或换一个更具体的词，或按文章、按日期排序。", "too_many_rows")
            self._rows = self._listed()
        self.total = len(self._rows) if self._rows is not None else sum(self.counts.values())

    def _chunks(self, ids):
        """(essay id, folded parts) of `ids` in order, read CHUNK essays at
        a time: the folded text of a whole large answer is never held at
        once (at 20,000 essays it is some 60 MB of strings)."""
        for k in range(0, len(ids), CHUNK):
            part = ids[k:k + CHUNK]
            folded = self.generation.folded_parts(part)
            yield from ((i, folded[i]) for i in part if i in folded)

    def _counts(self, ids):
        """essay id -> its occurrences (ids the index no longer holds left
        out), kept per index state (KEPT) for this query and filter: a page
        of a large answer then costs no count. Borderless terms (most) are
        counted by str.count at C speed."""
        key = ("counts", tuple(self.terms), self.within.key if self.within else None)
        got = KEPT.get(self.generation, key)
        if got is not None:
            return got
        fast = [(t, scope, concordance.borderless(t)) for t, scope in self.terms]
        counts = {}
        for i, parts in self._chunks(ids):
            n = 0
            for t, scope, borderless in fast:
                if scope == "title":
                    n += concordance.count_in(parts[0], t)
                elif borderless:
                    n += sum(p.count(t) for p in parts)
                else:
                    n += sum(len(concordance.positions(p, t)) for p in parts)
            counts[i] = n
        KEPT.put(self.generation, key, counts)
        return counts

    def _listed(self):
        """Every row (of the neighbour, if one is asked for) in the sort's
        order, the sort keys made chunk by chunk as concordance.sort_rows
        makes them (the same order)."""
        keyed, side = [], self.neighbour.side if self.neighbour else None
        word = self.neighbour.word if self.neighbour else None
        words = _memo(analysis.words)
        for i, parts in self._chunks([i for i in self.ids if self.counts[i]]):
            for occ in concordance.occurrences([(i, parts)], self.terms):
                if word is not None:
                    near = (concordance.left_key(parts, occ, len(word))[::-1] if side == "left"
                            else concordance.right_key(parts, occ, len(word)))
                    # A neighbour word is a whole jieba word next to the
                    # match, so the context must start (end) with it: the
                    # cheap test first, jieba only for the rows that pass.
                    if near != word or not concordance.has_neighbour(parts, occ, side, word, words):
                        continue
                if self.sort == "left":
                    key = concordance.left_key(parts, occ, concordance.SORT_WIDTH)
                elif self.sort == "right":
                    key = concordance.right_key(parts, occ, concordance.SORT_WIDTH)
                else:  # essay or date: the order of self.ids
                    key = 0
                keyed.append((key, occ))
        if self.sort in ("left", "right"):
            keyed.sort(key=lambda pair: pair[0])  # stable: ties keep the essay order
        return [occ for _key, occ in keyed]

    def slice(self, start, stop):
        """The Occurrences at positions start…stop-1 of the order."""
        if self._rows is not None:
            return self._rows[start:stop]
        return list(islice(self.occurrences(start), stop - start))

    def occurrences(self, start=0):
        """The Occurrences in order from position `start` on (an export
        walks the essays once)."""
        if self._rows is not None:
            yield from self._rows[start:]
            return
        seen, wanted = 0, []
        for i in self.ids:
            n = self.counts[i]
            if n and seen + n > start:
                wanted.append(i)
            elif n:
                seen += n
        skip = start - seen
        for i, parts in self._chunks(wanted):
            got = concordance.occurrences([(i, parts)], self.terms)
            yield from got[skip:] if skip else got
            skip = 0

    def neighbours(self):
        """({"left": [[word, n], …], "right": […]}, rows counted), kept
        per index state (KEPT) for this query and filter: over every row up
        to NEIGHBOUR_SAMPLE, over an even sample of them beyond."""
        # The sort is part of the key: a sample is taken in the sort's order.
        key = ("neighbours", tuple(self.terms), self.within.key if self.within else None, self.neighbour, self.sort)
        got = KEPT.get(self.generation, key)
        if got is None:
            total = self.total
            if total <= NEIGHBOUR_SAMPLE:
                sample = list(self.occurrences())
            else:
                picks = [k * total // NEIGHBOUR_SAMPLE for k in range(NEIGHBOUR_SAMPLE)]
                if self._rows is not None:
                    sample = [self._rows[k] for k in picks]
                else:
                    sample = self._picked(picks)
            folded = self.generation.folded_parts(list(dict.fromkeys(o.essay for o in sample)))
            counted, _n = concordance.neighbours(sample, folded, _memo(analysis.words), len(sample) or 1)
            got = (counted, len(sample))
            KEPT.put(self.generation, key, got)
        return got

    def _picked(self, picks):
        """The Occurrences at these ascending positions of the essay-paged
        order, found through the counts: only the essays holding a pick
        are read and scanned."""
        local, seen, k = {}, 0, 0
        for i in self.ids:
            n = self.counts[i]
            while k < len(picks) and picks[k] < seen + n:
                local.setdefault(i, []).append(picks[k] - seen)
                k += 1
            seen += n
        out = []
        for i, parts in self._chunks(list(local)):
            got = concordance.occurrences([(i, parts)], self.terms)
            out.extend(got[j] for j in local[i])
        return out

    def shown(self, occs, width):
        """The dicts of these Occurrences as shown: essay metadata, the
        original text around the match, the link to the paragraph."""
        originals = documents.hit_rows({o.essay for o in occs})
        index_text = self.generation.folded_parts(list({o.essay for o in occs}))
        essay_url = _essay_urls()
        q_param = quote(self.text, safe="/")
        out, offsets = [], {}
        for occ in occs:
            got = originals.get(occ.essay)
            if got is None:  # deleted since the index was read
                continue
            number, title, paragraphs, _digest = got
            original = title if occ.part == 0 else (paragraphs[occ.part - 1] if occ.part <= len(paragraphs) else "")
            where = (occ.essay, occ.part)
            if where not in offsets:
                offsets.clear()  # rows come part by part in the essay order; one part's map is enough
                offsets[where] = analysis.fold_offsets(original)
            folded = index_text.get(occ.essay, ())
            folded = folded[occ.part] if occ.part < len(folded) else ""
            if offsets[where][0] == folded:
                row = concordance.display(occ, original, width, offsets[where])
            else:  # edited since the index was read: show the text the index matched
                end = occ.start + occ.length
                row = concordance.Row(occ.essay, occ.part, occ.start, folded[max(0, occ.start - width):occ.start],
                                      folded[occ.start:end], folded[end:end + width])
            meta = self.table.by_id.get(occ.essay)
            date = PartialDate.from_stored(meta.start, meta.precision) if meta else None
            url = essay_url(occ.essay)
            out.append({
                "essay_id": occ.essay, "number": number, "title": title,
                "date": date.iso() if date else None, "date_text": date.chinese() if date else "",
                "source": meta.source if meta else "", "author": meta.author if meta else "",
                "paragraph": occ.part, "offset": row.offset,
                "left": row.left, "match": row.match, "right": row.right,
                "url": documents.paragraph_url(url, occ.part, q_param) if occ.part else f"{url}?q={q_param}#main",
            })
        return out


def concordance_page(text, filters=None, sort="essay", page=1, per_page=DEFAULT_PER_PAGE,
                     width=concordance.DEFAULT_WIDTH, neighbour=None, essay=None, with_neighbours=True):
    """One page of a query's concordance: {"query", "total", "page",
    "per_page", "sort", "width", "rows", "neighbours", "neighbours_sampled"}
    ("neighbours" None without `with_neighbours`). Raises ConcordanceError
    or QueryError (a message for the user), IndexUnavailable."""
    check(sort, page, per_page, width)
    answer = Answer(text, filters, sort, neighbour, essay)
    start = (page - 1) * per_page
    rows = answer.shown(answer.slice(start, start + per_page), width)
    neighbours, counted = answer.neighbours() if with_neighbours else (None, 0)
    return {"query": text, "total": answer.total, "page": page, "per_page": per_page, "sort": sort,
            "width": width, "rows": rows, "neighbours": neighbours,
            "neighbours_sampled": counted < answer.total if with_neighbours else False}


def concordance_rows(text, filters=None, sort="essay", width=concordance.DEFAULT_WIDTH, neighbour=None,
                     essay=None, limit=None, batch=500):
    """(total, an iterator of row dicts in order, at most `limit`), read
    `batch` rows at a time, for an export."""
    check(sort, 1, 1, width)
    answer = Answer(text, filters, sort, neighbour, essay)
    stop = answer.total if limit is None else min(limit, answer.total)

    def rows():
        occs = islice(answer.occurrences(), stop)
        while True:
            got = list(islice(occs, batch))
            if not got:
                return
            yield from answer.shown(got, width)

    return answer.total, rows()


def _memo(words):
    """`words` remembering its answers for one count: contexts repeat
    (formulae, quotations), and each repeat then costs a dict lookup."""
    seen = {}

    def cached(text):
        got = seen.get(text)
        if got is None:
            got = seen[text] = words(text)
        return got
    return cached


def _essay_urls():
    probe = "2147483647"
    head, _probe, tail = reverse("essays:detail", args=[int(probe)]).rpartition(probe)
    return lambda pk: f"{head}{int(pk)}{tail}"
