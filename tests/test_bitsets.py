"""search.backends.whoosh.bitsets: sets of document numbers as Python
integers, checked against plain sets and a byte-by-byte packing."""
import random

import pytest

from search.backends.whoosh import bitsets


@pytest.fixture(autouse=True)
def data_dir(tmp_path):
    """No Django settings needed here (overrides tests/conftest.py's fixture)."""
    return tmp_path


@pytest.mark.parametrize("density", [0.001, 0.05, 0.5, 1.0])
def test_bitsets_round_trip(density):
    """Sparse and dense sets (to_list takes a different path for each)."""
    rnd = random.Random(3)
    for size in (1, 7, 8, 9, 500, 20_000):
        docs = sorted(rnd.sample(range(size), max(1, int(size * density))))
        bits = bitsets.from_iter(docs, size)
        packed = bytearray((size + 7) // 8)
        for d in docs:
            packed[d >> 3] |= 1 << (d & 7)
        assert bits == int.from_bytes(packed, "little")
        assert bitsets.to_list(bits) == docs
        assert bitsets.count(bits) == len(docs)
        wanted = set(docs)
        flags = [d in wanted for d in range(size)]
        assert bitsets.from_flags(flags) == bits
    assert bitsets.to_list(0) == [] and bitsets.from_flags([]) == 0


def test_containing_tests_only_the_candidates():
    texts = ["发展观", "落实", "高质量发展", "发展", ""]
    asked = []

    class Texts(list):
        def __getitem__(self, d):
            asked.append(d)
            return super().__getitem__(d)

    candidates = bitsets.from_iter([0, 1, 3, 4], len(texts))
    assert bitsets.to_list(bitsets.containing(candidates, Texts(texts), "发展")) == [0, 3]
    assert sorted(asked) == [0, 1, 3, 4]  # 2 holds it but was not a candidate
    assert bitsets.containing(0, texts, "发展") == 0


def test_sets_combine_as_sets_do():
    rnd = random.Random(5)
    size = 3000
    a, b = set(rnd.sample(range(size), 900)), set(rnd.sample(range(size), 1500))
    x, y = bitsets.from_iter(sorted(a), size), bitsets.from_iter(sorted(b), size)
    assert bitsets.to_list(x & y) == sorted(a & b)
    assert bitsets.to_list(x | y) == sorted(a | b)
    assert bitsets.to_list(x & ~y) == sorted(a - b)
    assert bitsets.count(x ^ y) == len(a ^ b)
