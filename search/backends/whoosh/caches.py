"""The bounded caches of a reading view: cachetools caches behind a lock
(the threads of a process share one view), and the term-set cache, whose
subset rule is the search engine's own.

Every bound is set by memory (docs/SEARCH.md, "Memory and start-up", has
the figures): a server worker must stay within its budget however many
distinct queries it sees.
"""
import threading

from cachetools import FIFOCache, LRUCache


def _values_len(pair):
    return len(pair[1])


class SizedCache:
    """(ids, values) array pairs by key, holding at most `limit` values in
    all (ids may be None: values by docnum), oldest out first; a pair
    longer than that is not kept."""

    def __init__(self, limit):
        self.limit = limit
        self._data = FIFOCache(maxsize=limit, getsizeof=_values_len)
        self._lock = threading.Lock()

    def get(self, key):
        # No lock: a first-in-first-out cache does not change on a read
        # (what changes it takes the lock). A miss is asked, not caught:
        # cachetools' KeyError path costs microseconds.
        data = self._data
        if key not in data:
            return None
        try:
            return data[key]
        except KeyError:  # evicted by another thread meanwhile
            return None

    def get_or_make(self, key, make):
        got = self.get(key)
        if got is None:
            got = make()
            with self._lock:
                if key not in self._data and len(got[1]) <= self.limit:
                    self._data[key] = got
        return got


class ResultCache:
    """An LRU of `size` entries, safe to share between threads; size 0
    keeps nothing. A view keeps its ranked answers (search.backends.whoosh
    .query) and what search.service shows of a hit in two of these: a query
    repeated, or paged through, is not matched and ranked again until the
    index changes (a new view starts empty)."""

    def __init__(self, size):
        self.size = size
        self._data = LRUCache(maxsize=max(size, 1))
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:  # a read moves the key to the end
            data = self._data
            return data[key] if key in data else None

    def put(self, key, value):
        if self.size <= 0:
            return
        with self._lock:
            self._data[key] = value


class TermSetCache:
    """Exact document sets of terms that took a substring test (search.backends
    .whoosh.query._term_bits), as a search engine's filter cache keeps a
    clause's documents: a term that comes back, in the same query or another
    one, skips the test. Each set was found within a set of candidates (the
    documents the earlier terms left), and answers only for queries whose
    candidates lie within that set. At most `size` terms, least recently
    used out first (a ResultCache of (candidates, set) pairs); two bitsets
    each."""

    def __init__(self, size):
        self._lru = ResultCache(size)

    def get(self, key, within):
        """The documents of `within` holding the term, or None if unknown."""
        got = self._lru.get(key)
        if got is None or within & ~got[0]:
            return None
        return got[1] & within

    def put(self, key, within, bits):
        """Remember that, of the documents `within`, exactly `bits` hold the term."""
        old = self._lru.get(key)
        if old is not None and within & ~old[0] == 0:
            return  # what is kept already answers for more documents
        self._lru.put(key, (within, bits))
