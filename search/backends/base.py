"""What every search backend implements, and the plain data it takes and gives.

The rest of the site reaches a backend only through search.service, which
picks it by the `SEARCH` setting (`ARCHIVE_SEARCH_BACKEND`, default
`whoosh`) and keeps one instance per configuration and process. A backend
holds the index of one archive and knows nothing of Django models: it is
given `EssayDoc`s (built by search.documents) and answers with essay ids.
The query language, hit rows, snippets and links are backend-neutral and
stay in search.service and the modules it uses.

Every method may raise IndexUnavailable (the index is missing, damaged or
unreadable): the site answers 503 with a message naming `rebuild_index`.

The contract of `search` is docs/SEARCH.md's: the essays that match, exactly,
ordered by the sort, counted exactly. Two capabilities serve the
backend-neutral research features (search.research):

- metadata filters: `search(..., within=Within(...))`, the query restricted
  to a set of essay ids the database chose (publication date, source, …);
  counts and pages stay exact, and a cached answer is keyed by `within.key`;
- facets, timelines and the concordance: `matched_ids(parsed, within)`,
  the whole matched set (in no particular order) and the Generation it was
  read from, whose `folded_parts` gives the folded text matching ran on;
  `ranked_ids(parsed, sort, within)`, the same set in the search's order.
"""
from dataclasses import dataclass, field

from ..syntax import ParsedQuery

SORTS = ("relevance", "number", "newest")
MAX_PER_PAGE = 100


class IndexUnavailable(Exception):
    """The index is missing or cannot be read; `rebuild_index` restores it."""


@dataclass(frozen=True)
class EssayDoc:
    """What the search layer needs of an essay: backend-neutral plain data."""

    id: int
    number: int | None
    created: float  # POSIX timestamp
    title: str
    paragraphs: tuple
    digest: str


@dataclass
class Hit:
    """One matching essay: id and ranking data from the backend; what it
    shows (title, link, occurrences, snippets) is added by search.service
    for the page being shown."""

    id: int
    number: int | None
    score: float
    phrase: bool = False
    title: str = ""
    url: str = ""
    occurrences: int = 0
    occurrences_exact: bool = True  # False: `occurrences` is a lower bound (snippets.HIT_SPAN_BUDGET)
    snippets: list = field(default_factory=list)
    more: int = 0
    date: object = None  # essays.dates.PartialDate, filled in by search.service
    source: str = ""


@dataclass
class SearchResult:
    """One page of a query's answer: `count` matching essays in all, `hits`
    the page's in order."""

    query: ParsedQuery
    sort: str
    page: int
    per_page: int
    count: int
    hits: list  # the hits of this page only
    notice: str = ""  # what was cut to keep the query's cost bounded (syntax.affordable_per_page)
    facets: dict | None = None  # by year, source and column over the whole answer (search.research)

    @property
    def mode(self):
        return self.query.mode

    @property
    def num_pages(self):
        return max(1, -(-self.count // self.per_page))


@dataclass(frozen=True)
class Within:
    """A set of essay ids a query is restricted to; `key` identifies it
    (the same key always names the same set within one Generation)."""

    key: str
    ids: frozenset


class Generation:
    """What one answer was read from: one consistent state of the index.
    search.service asks it what snippets need, and keeps what a hit shows
    in its `shown` cache, which lives exactly as long as this state (any
    write makes a new one)."""

    def folded(self, essay_id, digest):
        """The folded title and paragraphs the index holds for this essay
        (search.analysis.fold of each, title first), if it holds the
        version with this digest; else None (snippets fold afresh)."""
        return None

    def folded_parts(self, ids):
        """essay id -> its folded title and paragraphs as this state holds
        them (absent ids left out), whatever their digest: the text the
        answer was matched in."""
        return {}

    @property
    def shown(self):
        """A cache with get(key) and put(key, value), or None."""
        return None


class SearchBackend:
    """The interface. `config` is the `SEARCH` setting (a dict: BACKEND,
    PATH, RESULT_CACHE, ...); a backend reads what it needs of it."""

    def __init__(self, config):
        self.config = config

    # -- writing ---------------------------------------------------------
    def add(self, docs, progress=None):
        """Add or replace these EssayDocs (an iterable, read lazily);
        `progress.advance()` once per document if given."""
        raise NotImplementedError

    def delete(self, ids):
        """Remove these essay ids (absent ones are ignored)."""
        raise NotImplementedError

    def rebuild(self, docs, progress=None, on_damage=None):
        """Replace the whole index with these EssayDocs in one step: readers
        see the old content until the new one is complete. A damaged index
        is removed and built afresh, `on_damage(message)` told first."""
        raise NotImplementedError

    def writable(self):
        """Whether the index can take writes now (a real probe)."""
        raise NotImplementedError

    def exists(self):
        """Whether an index is there at all, readable or not."""
        raise NotImplementedError

    def create(self):
        """Create an empty index if there is none (a new archive)."""
        raise NotImplementedError

    def reset(self):
        """Forget what this process holds open (the index was replaced or
        lost on disk)."""
        raise NotImplementedError

    # -- reading ---------------------------------------------------------
    def indexed_digests(self):
        """essay id -> digest of the indexed copy (for drift checks)."""
        raise NotImplementedError

    def search(self, parsed, sort="relevance", page=1, per_page=20, within=None):
        """(SearchResult, Generation) of `parsed` (a search.syntax
        .ParsedQuery): the page's hits (ids, numbers, scores, phrase flags)
        in order, the exact count. Raises search.syntax.QueryError for a
        bad sort or page."""
        raise NotImplementedError

    def matched_ids(self, parsed, within=None):
        """(ids, Generation): every essay id matching the parsed query (and
        in `within`, a Within, if given), in no particular order, and the
        state they were read from."""
        raise NotImplementedError

    def generation(self):
        """The current Generation (what the next answer would be read from)."""
        raise NotImplementedError

    def ranked_ids(self, parsed, sort="relevance", within=None):
        """(ids, Generation): every essay id matching the parsed query (and
        in `within`), in the order `search` pages through for this sort
        (ties broken as it breaks them): what the concordance's essay
        order needs over the whole answer. Raises QueryError for a bad sort."""
        raise NotImplementedError

    def stats(self):
        """What the index holds, for bench.inproc's report: a dict of
        figures (the Whoosh backend: live_docs, segments, folded_chars)."""
        return {}

    # -- a server process ---------------------------------------------------
    def preload(self):
        """Before a server forks: load what workers can share."""

    def warm_up(self):
        """In a worker before its first request: compute what every search
        needs, so that the first one does not."""
