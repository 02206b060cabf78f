"""The search layer's face for the rest of the site: index essays, remove
them, rebuild, check, run a query and show its hits. Views, commands, the
admin, config and bench call only this module (essays imports nothing else
of search), so another backend (e.g. PostgreSQL) can stand beside Whoosh:
the backend answers with essay ids in order and an exact count
(search.backends.base), and this module adds what is backend-neutral, the
query's parse, the hits' rows from the database, their snippets and links."""
import logging

from django.db import connection
from django.urls import reverse

from . import analysis, documents
from .backends.base import EssayDoc, IndexUnavailable  # noqa: F401  (re-exported)
from .documents import essay_doc  # noqa: F401  (re-exported)
from .highlight import highlighted_paragraphs  # noqa: F401  (re-exported for essays.views)
from .indexing import (create_index, ensure_index, get_backend, index_essays, index_exists,  # noqa: F401
                       index_stats, index_writable, indexed_digests, pending_essays, rebuild, remove_essays,
                       reset_index)
from .snippets import occurrences, opening_snippet
from .syntax import QueryError, affordable_per_page, parse_query  # noqa: F401  (re-exported)
from .sync import Repair, batched_indexing, drift, reconcile, start_catching_up  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)


def search(text, sort="relevance", page=1, per_page=20):
    """Parse and run a query; fill the page's hits with titles, links,
    occurrence counts and snippets from the database. Raises QueryError
    (a message for the user) or IndexUnavailable."""
    parsed = parse_query(text)
    per_page, notice = affordable_per_page(parsed, per_page)
    result, generation = ensure_index().search(parsed, sort=sort, page=page, per_page=per_page)
    result.notice = notice
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
