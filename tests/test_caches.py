"""search.backends.whoosh.caches: the bounded caches of a reading view
(cachetools behind a lock) and the term-set cache's subset rule."""
import threading
from array import array

import pytest

from search.backends.whoosh.caches import ResultCache, SizedCache


@pytest.fixture(autouse=True)
def data_dir(tmp_path):
    """No Django settings needed here (overrides tests/conftest.py's fixture)."""
    return tmp_path


def pair(n):
    return array("I", range(n)), array("d", [1.0] * n)


def test_term_set_cache_semantics():
    from search.backends.whoosh.caches import TermSetCache

    cache = TermSetCache(2)
    cache.put("a", 0b0110, 0b0100)
    assert cache.get("a", 0b0010) == 0 and cache.get("a", 0b0110) == 0b0100
    assert cache.get("a", 0b1110) is None  # document 3 was never tested
    cache.put("a", 0b0010, 0b0000)  # narrower: the wider answer is kept
    assert cache.get("a", 0b0100) == 0b0100
    cache.put("b", 1, 1)
    cache.put("c", 1, 0)
    assert cache.get("a", 0b0100) is None  # least recently used went first
    assert TermSetCache(0).get("a", 1) is None


def test_sized_cache_holds_at_most_its_limit_in_values_oldest_out_first():
    cache = SizedCache(10)
    made = []

    def make(n):
        return lambda: made.append(n) or pair(n)

    a = cache.get_or_make("a", make(4))
    assert cache.get_or_make("a", make(4)) is a and made == [4]  # kept: made once
    cache.get_or_make("b", make(4))
    cache.get_or_make("c", make(4))  # 12 > 10: the oldest ("a") goes
    assert cache.get("a") is None and cache.get("b") is not None and cache.get("c") is not None
    assert len(cache.get_or_make("big", make(11))[1]) == 11  # longer than the limit: given, not kept
    assert cache.get("big") is None and cache.get("b") is not None
    dense = (None, array("d", [0.5] * 6))  # ids None: values by docnum
    cache.get_or_make("dense", lambda: dense)
    assert cache.get("dense") is dense and cache.get("b") is None  # 4 + 6 fit, 4 + 4 + 6 do not


def test_sized_cache_reads_do_not_reorder():
    cache = SizedCache(8)
    cache.get_or_make("a", lambda: pair(4))
    cache.get_or_make("b", lambda: pair(4))
    cache.get("a")  # first in, first out, however often read
    cache.get_or_make("c", lambda: pair(4))
    assert cache.get("a") is None and cache.get("b") is not None


def test_result_cache_is_an_lru_and_size_zero_keeps_nothing():
    cache = ResultCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    cache.put("a", 4)
    assert cache.get("a") == 4
    off = ResultCache(0)
    off.put("a", 1)
    assert off.get("a") is None


def test_caches_stay_within_bounds_under_many_threads():
    sized, lru = SizedCache(1000), ResultCache(50)
    errors = []

    def work(k):
        try:
            for i in range(400):
                key = (k * 7 + i) % 120
                sized.get_or_make(key, lambda: pair(key % 40 + 1))
                lru.put(key, i)
                lru.get((key + 1) % 120)
        except Exception as err:  # noqa: BLE001 (any error fails the test)
            errors.append(err)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sized._data.currsize <= 1000 and len(lru._data) <= 50
    assert sum(len(v[1]) for v in sized._data.values()) == sized._data.currsize
