"""The search layer's face for the rest of the site: index essays, remove
them, run a query. Views, commands and signal handlers call only this
module, so another backend (e.g. PostgreSQL) can stand beside Whoosh."""
import threading
from pathlib import Path

from django.conf import settings

from . import query as q
from . import queue
from .index import EssayDoc, IndexUnavailable, WhooshIndex  # noqa: F401  (re-exported)
from .snippets import occurrences, opening_snippet
from .syntax import QueryError, affordable_per_page, parse_query  # noqa: F401  (re-exported)

_indexes = {}
_lock = threading.Lock()


def get_index():
    """The process's index object for the configured directory."""
    path = Path(settings.SEARCH_INDEX_DIR)
    with _lock:
        ix = _indexes.get(path)
        if ix is None:
            ix = _indexes[path] = WhooshIndex(path)
        return ix


def essay_doc(essay):
    """The backend-neutral document of an Essay row."""
    return EssayDoc(
        id=essay.pk,
        number=essay.number,
        created=essay.created.timestamp() if essay.created else 0.0,
        title=essay.title,
        paragraphs=tuple(essay.paragraphs or ()),
        digest=essay.search_digest(),
    )


def index_essays(essays, progress=None):
    """Add or replace these essays in the index."""
    get_index().write(add=(essay_doc(e) for e in essays), progress=progress)


def remove_essays(ids):
    """Remove these essay ids from the index."""
    get_index().write(remove=list(ids))


def index_writable():
    """Whether the index can take writes now (checked before an upload, so
    that an upload that could not become searchable saves nothing)."""
    return get_index().writable()


def pending_essays(ids=None):
    """Of these essay ids (None: any), those whose change the index has
    not taken yet (search.queue): the background catch-up will."""
    return queue.pending_essays(ids)


def indexed_digests():
    """essay id -> digest of the indexed copy."""
    return _view().digest_map()


def _view():
    """The reading view; an archive with no essays yet gets an empty index
    instead of an error, while a missing index beside existing essays is
    reported (IndexUnavailable) rather than silently answering nothing."""
    from essays.models import Essay

    index = get_index()
    if not index.exists() and not Essay.objects.exists():
        index.open(create=True)
    return index.view()


def search(text, sort="relevance", page=1, per_page=20):
    """Parse and run a query; fill the page's hits with titles, links,
    occurrence counts and snippets from the database. Raises QueryError
    (a message for the user) or IndexUnavailable."""
    from essays.models import Essay

    parsed = parse_query(text)
    per_page, notice = affordable_per_page(parsed, per_page)
    view = _view()
    result = q.run_query(view, parsed, sort=sort, page=page, per_page=per_page)
    result.notice = notice
    terms = tuple(t.text for t in parsed.highlight_terms() if t.scope == "all")
    title_terms = tuple(t.text for t in parsed.highlight_terms() if t.scope == "title")
    # What a hit shows (title, link, occurrences, snippets) depends only on
    # the essay and the terms: kept per view, like the ranking, so a query
    # repeated or paged through needs no database row and no snippet work.
    keys = {hit.id: (hit.id, terms, title_terms) for hit in result.hits}
    shown = {hit.id: view.hits.get(keys[hit.id]) for hit in result.hits}
    missing = [i for i, got in shown.items() if got is None]
    # Plain rows, not models (Essay.objects.hit_rows).
    rows = Essay.objects.hit_rows(missing)
    url_of = _essay_urls()
    kept = []
    for hit in result.hits:
        got = shown[hit.id]
        if got is None:
            row = rows.get(hit.id)
            if row is None:  # deleted since the index was read
                continue
            number, title, paragraphs, digest = row
            folded = _folded(view, hit.id, digest, paragraphs)
            found = occurrences(title, paragraphs, terms, title_terms, folded=folded)
            if not terms and not title_terms and paragraphs:
                # A query of exclusions only has nothing to show in context:
                # the essay's opening stands in as its preview.
                found = (0, [opening_snippet(paragraphs[0])], True)
            got = (title, url_of(hit.id), *found)
            view.hits.put(keys[hit.id], got)
        hit.title, hit.url, hit.occurrences, hit.snippets, hit.occurrences_exact = got
        hit.more = max(0, hit.occurrences - len(hit.snippets))
        kept.append(hit)
    result.hits = kept
    return result


def _essay_urls():
    """pk -> Essay.get_absolute_url() for that pk, from one reverse() (each
    costs some 60 µs, and a page has up to a hundred hits)."""
    from django.urls import reverse

    probe = "2147483647"
    head, _probe, tail = reverse("essays:detail", args=[int(probe)]).rpartition(probe)
    return lambda pk: f"{head}{int(pk)}{tail}"


def _folded(view, pk, digest, paragraphs):
    """The index's folded title and paragraphs of this essay, if the index
    holds this very version of it, the one with this search digest (else
    None: snippets fold afresh)."""
    d = view.docnum_of.get(pk)
    if d is None or view.digests[d] != digest:
        return None
    parts = view.texts[d].split("\n")
    return parts if len(parts) == len(paragraphs or ()) + 1 else None


def preload():
    """Load jieba's compact table and the index's texts before a server
    forks (config/wsgi.py); a missing or damaged index is left for the
    requests to report."""
    import logging

    from . import analysis

    analysis.load(compact=True)
    index = get_index()
    if index.exists():
        try:
            index.preload()
        except Exception:
            logging.getLogger(__name__).warning("search index not preloaded", exc_info=True)


def warm_up():
    """Open the index and load its reading view (a server worker calls this
    before its first request)."""
    from . import analysis

    from django.db import connection

    analysis.load()
    try:
        view = _view()
        view.warm()
        q.warm(view)
    finally:
        # Not inside a request: nothing else would close this connection.
        connection.close()
