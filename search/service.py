"""The search layer's face for the rest of the site: index essays, remove
them, rebuild, check, run a query and show its hits. Views, commands, the
admin, config and bench call only this module (essays imports nothing else
of search), so another backend (e.g. PostgreSQL) can stand beside Whoosh:
the backend answers with essay ids in order and an exact count
(search.backends.base), and this module adds what is backend-neutral, the
query's parse, the hits' rows from the database, their snippets and links."""
import logging

from django.conf import settings
from django.db import connection
from django.urls import reverse

from . import analysis, documents, research
from . import parallels as parallel_passages
from .documents import PartialDate
from .backends.base import MAX_PER_PAGE, EssayDoc, Hit, IndexUnavailable, SearchResult  # noqa: F401
from .backends.base import SORTS as BACKEND_SORTS
from .documents import essay_doc  # noqa: F401  (re-exported)
from .highlight import highlighted_paragraphs, occurrence_marks  # noqa: F401  (re-exported for essays.views)
from .kwic import ConcordanceError, Neighbour, concordance_page, concordance_rows  # noqa: F401  (re-exported)
from .indexing import (create_index, ensure_index, get_backend, index_essays, index_exists,  # noqa: F401
                       index_stats, index_writable, indexed_digests, pending_essays, rebuild, remove_essays,
                       reset_index)
from .snippets import occurrences, opening_snippet
from .syntax import QueryError, affordable_per_page, parse_query  # noqa: F401  (re-exported)
from .sync import Repair, batched_indexing, drift, reconcile, start_catching_up  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)


DATE_SORTS = ("date", "date_asc")  # ordered here, by publication date, over the backend's matched set
SORTS = BACKEND_SORTS + DATE_SORTS


def search(text, sort="relevance", page=1, per_page=20, filters=None, with_facets=False):
    """Parse and run a query (restricted by `filters`, the metadata filters
    of essays.forms.MetadataFilterForm, if given); fill the page's hits with
    titles, links, occurrence counts, snippets, dates and sources. With
    `with_facets`, result.facets counts the whole answer by year, source
    and column. Raises QueryError (a message for the user) or
    IndexUnavailable."""
    parsed = parse_query(text)
    per_page, notice = affordable_per_page(parsed, per_page)
    table = research.metadata()
    within = table.within(filters)
    backend = ensure_index()
    matched = None
    if sort in DATE_SORTS:
        _check_page(page, per_page)
        matched, generation = backend.matched_ids(parsed, within)
        ordered = research.date_order(matched, table, newest_first=sort == "date")
        start = (page - 1) * per_page
        hits = [Hit(id=i, number=table.by_id[i].number if i in table.by_id else None, score=0.0)
                for i in ordered[start:start + per_page]]
        result = SearchResult(parsed, sort, page, per_page, len(matched), hits)
    else:
        result, generation = backend.search(parsed, sort=sort, page=page, per_page=per_page, within=within)
    result.notice = notice
    if with_facets:
        # Kept with the index state, like the hits shown: a query paged
        # through, or asked again, counts its facets once.
        cache = generation.shown
        key = ("facets", parsed.raw, within.key if within else None, table.version)
        result.facets = cache.get(key) if cache is not None else None
        if result.facets is None:
            if matched is None:
                matched, _generation = backend.matched_ids(parsed, within)
            result.facets = research.facets(matched, table)
            if cache is not None:
                cache.put(key, result.facets)
    for hit in result.hits:
        meta = table.by_id.get(hit.id)
        hit.date = PartialDate.from_stored(meta.start, meta.precision) if meta else None
        hit.source = meta.source if meta else ""
    terms = tuple(t.text for t in parsed.highlight_terms() if t.scope == "all")
    title_terms = tuple(t.text for t in parsed.highlight_terms() if t.scope == "title")
    # What a hit shows (title, link, occurrences, snippets) depends only on
    # the essay and the terms: kept per index generation, like the ranking,
    # so a query repeated or paged through needs no database row and no
    # snippet work.
    cache = generation.shown
    keys = {hit.id: (hit.id, terms, title_terms) for hit in result.hits}
    shown = {hit.id: cache.get(keys[hit.id]) if cache is not None else None for hit in result.hits}
    missing = [i for i, got in shown.items() if got is None]
    # Plain rows, not models (documents.hit_rows).
    rows = documents.hit_rows(missing)
    url_of = _essay_urls()
    kept = []
    for hit in result.hits:
        got = shown[hit.id]
        if got is None:
            row = rows.get(hit.id)
            if row is None:  # deleted since the index was read
                continue
            number, title, paragraphs, digest = row
            folded = _folded(generation, hit.id, digest, paragraphs)
            found = occurrences(title, paragraphs, terms, title_terms, folded=folded)
            if not terms and not title_terms and paragraphs:
                # A query of exclusions only has nothing to show in context:
                # the essay's opening stands in as its preview.
                found = (0, [opening_snippet(paragraphs[0])], True)
            got = (title, url_of(hit.id), *found)
            if cache is not None:
                cache.put(keys[hit.id], got)
        hit.title, hit.url, hit.occurrences, hit.snippets, hit.occurrences_exact = got
        hit.more = max(0, hit.occurrences - len(hit.snippets))
        kept.append(hit)
    result.hits = kept
    return result


def concordance(text, filters=None, sort="essay", page=1, per_page=50, width=20, neighbour=None, essay=None):
    """One page of the concordance of a query (search.kwic.concordance_page)."""
    return concordance_page(text, filters, sort, page, per_page, width, neighbour, essay)


def _check_page(page, per_page):
    if type(page) is not int or page < 1:
        raise QueryError("页码必须是正整数。")
    if type(per_page) is not int or not 1 <= per_page <= MAX_PER_PAGE:
        raise QueryError(f"每页条数必须在 1 到 {MAX_PER_PAGE} 之间。")


def timeline(text, by="year", filters=None):
    """The timeline of a query (search.timeline) as plain data for the page
    and the API: buckets, undated (and by month, year-only) counts, and the
    first and last appearance with its paragraph and link."""
    if by not in research.timeline.BYS:
        raise QueryError("时间粒度只能是 year（按年）或 month（按月）。")
    parsed = parse_query(text)
    table = research.metadata()
    within = table.within(filters)
    ids, generation = ensure_index().matched_ids(parsed, within)
    tl, first_parts = research.build_timeline(ids, generation, parsed, table, within, by)
    url_of = _essay_urls()

    def appearance(match):
        if match is None:
            return None
        meta = table.by_id[match.essay]
        part = first_parts.get(match.essay) or 0
        url = url_of(match.essay)
        date = PartialDate.from_stored(meta.start, meta.precision)
        return {"id": match.essay, "number": meta.number, "title": meta.title, "date": date.iso() if date else None,
                "paragraph": part, "url": documents.paragraph_url(url, part) if part else url}

    return {"query": text, "by": by, "count": len(ids),
            "buckets": [{"period": b.period, "essays": b.essays, "occurrences": b.occurrences,
                         "essays_in_period": b.essays_in_period} for b in tl.buckets],
            "undated": tl.undated, "year_only": tl.year_only,
            "first": appearance(tl.first), "last": appearance(tl.last)}


def _essay_urls():
    """pk -> Essay.get_absolute_url() for that pk, from one reverse() per
    search instead of one per hit (a page has up to a hundred; what a
    reverse() costs is in docs/SEARCH.md, "Figures behind the code")."""
    probe = "2147483647"
    head, _probe, tail = reverse("essays:detail", args=[int(probe)]).rpartition(probe)
    return lambda pk: f"{head}{int(pk)}{tail}"


def _folded(generation, pk, digest, paragraphs):
    """The index's folded title and paragraphs of this essay, if the index
    holds this very version of it, the one with this search digest (else
    None: snippets fold afresh)."""
    parts = generation.folded(pk, digest)
    return parts if parts is not None and len(parts) == len(paragraphs or ()) + 1 else None


def preload():
    """Load jieba's compact table and the index's texts before a server
    forks (config/wsgi.py); a missing or damaged index is left for the
    requests to report."""
    analysis.load(compact=True)
    try:
        get_backend().preload()
    except Exception:
        log.warning("search index not preloaded", exc_info=True)


def warm_up():
    """Open the index and load its reading view (a server worker calls this
    before its first request)."""
    analysis.load()
    try:
        ensure_index().warm_up()
    finally:
        # Not inside a request: nothing else would close this connection.
        connection.close()


def parallels(essay_id, min_chars=None, cached_only=False):
    """The parallel passages of an essay (search.parallels) as plain data:
    [{"paragraph": n, "passages": [{"text", "start", "end", "common",
    "essays": [{id, number, title, date, paragraph, url}, …]}]}], each
    passage's essays in date order (undated last), so the earliest is the
    first appearance. With cached_only, None unless already computed for
    the current index state (finding them costs a quote query per 8
    characters of the essay: see docs/SEARCH.md)."""
    min_chars = min_chars or settings.PARALLEL_MIN_CHARS
    backend = ensure_index()
    generation = backend.generation()
    table = research.metadata()

    def compute():
        return parallel_passages.find(essay_id, lambda parsed: backend.matched_ids(parsed)[0],
                                      generation.folded_parts, min_chars, archive_size=len(table.by_id))

    found = parallel_passages.cached(generation, essay_id, min_chars, None if cached_only else compute)
    if found is None:
        return None
    rows = documents.hit_rows([essay_id])
    if essay_id not in rows:
        return []
    paragraphs = rows[essay_id][2]
    url_of = _essay_urls()
    out = {}
    for passage in found:
        ids = research.date_order({i for i, _q in passage.essays}, table, newest_first=False)
        theirs = dict(passage.essays)
        essays = []
        for i in ids:
            meta = table.by_id.get(i)
            if meta is None:
                continue
            date = PartialDate.from_stored(meta.start, meta.precision)
            essays.append({"id": i, "number": meta.number, "title": meta.title,
                           "date": date.iso() if date else None, "paragraph": theirs[i],
                           "url": documents.paragraph_url(url_of(i), theirs[i])})
        text = parallel_passages.original_span(paragraphs[passage.paragraph - 1], passage.start, passage.end)
        out.setdefault(passage.paragraph, []).append({"text": text, "start": passage.start, "end": passage.end,
                                                      "common": passage.common, "essays": essays})
    return [{"paragraph": p, "passages": v} for p, v in sorted(out.items())]
