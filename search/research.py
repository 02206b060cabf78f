"""The backend-neutral research layer over a backend's answer: metadata
filters, date sorts, facets, timelines and the concordance's essays.

A backend answers which essays match (search.backends.base: `matched_ids`,
and `search` restricted `within` a set of ids); everything here is computed
from that answer and the essays' publication metadata, so that every
backend, PostgreSQL's included, has the same filters, facets and timelines
with the same counts.

The metadata of every essay is read from the database once and kept per
process until the database says it changed (search.documents
.metadata_version: the essay count and the latest update, one indexed
aggregate); filters, date orders and period counts are derived from it and
kept with it.
"""
import threading
from collections import Counter
from dataclasses import dataclass

from . import concordance, documents, timeline
from .backends.base import Within

FACETS = ("year", "source", "column")
MAX_FACET_VALUES = 50


@dataclass(frozen=True)
class Meta:
    id: int
    number: int | None
    title: str
    start: object  # datetime.date or None
    end: object
    precision: str
    source: str
    author: str
    column: str


class MetadataTable:
    """Every essay's Meta by id, and what is derived from it, for one
    metadata version."""

    def __init__(self, version, rows):
        self.version = version
        self.by_id = {r[0]: Meta(*r) for r in rows}
        # What facets count, per essay: one lookup a matched essay.
        self.facet_keys = {m.id: (f"{m.start.year:04d}" if m.start else None, m.source or None, m.column or None)
                           for m in self.by_id.values()}
        self._within, self._periods = {}, {}
        self._lock = threading.Lock()

    def within(self, filters):
        """The Within of these filters (EssayQuerySet.with_metadata's
        arguments), or None when they filter nothing."""
        filters = {k: v for k, v in (filters or {}).items() if v}
        if not filters:
            return None
        key = repr(sorted((k, tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in filters.items()))
        got = self._within.get(key)
        if got is None:
            ids = frozenset(m.id for m in self.by_id.values() if _passes(m, filters))
            got = Within(f"{self.version}|{key}", ids)
            with self._lock:
                if len(self._within) >= 64:
                    self._within.pop(next(iter(self._within)), None)
                self._within[key] = got
        return got

    def dated_per_period(self, by, within=None):
        """Counter of dated essays per period (of those in `within`)."""
        key = (by, within.key if within else None)
        got = self._periods.get(key)
        if got is None:
            metas = self.by_id.values() if within is None else (self.by_id[i] for i in within.ids if i in self.by_id)
            got = self._periods[key] = timeline.archive_periods(((m.start, m.precision) for m in metas), by)
        return got


def _passes(meta, filters):
    start, end = filters.get("start"), filters.get("end")
    if (start or end) and meta.start is None:
        return False
    if start and meta.end < start or end and meta.start > end:
        return False
    for name in ("source", "author", "column"):
        values = filters.get(name)
        if values and getattr(meta, name) not in values:
            return False
    return True


_table = {"current": None}
_table_lock = threading.Lock()


def metadata():
    """The current MetadataTable (reloaded when the database changed)."""
    version = documents.metadata_version()
    table = _table["current"]
    if table is None or table.version != version:
        with _table_lock:
            table = _table["current"]
            if table is None or table.version != version:
                table = _table["current"] = MetadataTable(version, documents.metadata_rows())
    return table


def date_order(ids, table, newest_first=True):
    """`ids` by publication date (newest or oldest first), undated last,
    ties by number (none last) and id."""
    by_id = table.by_id

    def key(i):
        m = by_id.get(i)
        if m is None or m.start is None:
            return (1, 0, 0, i)
        day = m.start.toordinal()
        return (0, -day if newest_first else day, m.number if m.number is not None else 1 << 40, i)

    return sorted(ids, key=key)


def facets(ids, table):
    """{"year": {"2019": n, …}, "source": {…}, "column": {…}} over `ids`,
    most frequent first (years in order), undated and blank left out."""
    keys = [k for k in map(table.facet_keys.get, ids) if k is not None]
    years, sources, columns = (Counter(v for v in values if v is not None) for values in zip(*keys)) if keys \
        else (Counter(), Counter(), Counter())

    def top(counter):
        return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_FACET_VALUES])

    return {"year": dict(sorted(years.items())), "source": top(sources), "column": top(columns)}


def occurrence_terms(parsed):
    """The (folded text, scope) terms whose occurrences count (search.concordance's rule)."""
    return [(t.text, t.scope) for t in parsed.highlight_terms()]


def essay_occurrences(ids, generation, terms):
    """essay id -> (occurrences, first part holding one or None) in the
    folded text the answer was matched in."""
    out = {}
    for i, parts in generation.folded_parts(ids).items():
        n, first = 0, None
        for part, text in enumerate(parts):
            got = sum(concordance.count_in(text, t) for t, scope in terms if part == 0 or scope == "all")
            if got and first is None:
                first = part
            n += got
        out[i] = (n, first)
    return out


def build_timeline(ids, generation, parsed, table, within, by="year"):
    """(timeline.Timeline, {essay id: first part}) of the matching `ids`."""
    counts = essay_occurrences(ids, generation, occurrence_terms(parsed))
    matches = []
    for i in ids:
        m = table.by_id.get(i)
        if m is None or i not in counts:
            continue
        matches.append(timeline.Match(i, m.start, m.precision, counts[i][0],
                                      (m.number if m.number is not None else 1 << 40, i)))
    return timeline.build(matches, table.dated_per_period(by, within), by), {i: c[1] for i, c in counts.items()}
