"""Bitsets as Python integers (search.backends.whoosh.bitsets) against
pyroaring's BitMap, on the operations one search makes, for the documents
the bench mix's queries touch. In-process and small: not part of `make bench`.

    pip install --target /tmp/pyroaring-lib pyroaring==1.2.0   # not a dependency of the project
    PYTHONPATH=/tmp/pyroaring-lib .venv/bin/python -m bench.roaring [--count 20000]

For each query of the mix (bench.queries: words, several words, quotations,
very common terms), the sets of its characters are built from a generated
corpus (bench.generate, the contract's fold) and the matching path is
timed with both representations: AND of the character sets, the candidate
list for the substring test, the set rebuilt from the survivors, the count,
and the list of matches for ranking. Prints one JSON object (µs, median of
--reps per query, summed over the mix).
"""
import argparse
import json
import statistics
import time

from pyroaring import BitMap

from search.backends.whoosh import bitsets

from . import generate as gen
from .common import contract_fold
from .queries import COMMON, MULTI, WORDS


def _time(fn, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=20_000)
    ap.add_argument("--reps", type=int, default=21)
    args = ap.parse_args(argv)
    texts = [contract_fold(t) + "\n" + "\n".join(contract_fold(p) for p in ps)
             for _s, t, ps in gen.corpus_texts(args.count, 1)]
    n = len(texts)
    quotes = [contract_fold(q) for q in list(gen.QUOTES)[:8]]
    mix = [contract_fold(w) for w in WORDS + COMMON] + ["".join(contract_fold(q).split()) for q in MULTI] + quotes
    chars = sorted({c for q in mix for c in q})
    docs = {c: [d for d, t in enumerate(texts) if c in t] for c in chars}
    ints = {c: bitsets.from_iter(ds, n) for c, ds in docs.items()}
    maps = {c: BitMap(ds) for c, ds in docs.items()}
    totals = {}

    def add(op, kind, us):
        totals.setdefault(op, {"int": 0.0, "roaring": 0.0})[kind] += us

    for q in mix:
        cs = sorted(set(q), key=lambda c: len(docs[c]))

        def and_int():
            b = ints[cs[0]]
            for c in cs[1:]:
                b &= ints[c]
            return b

        def and_roaring():
            b = maps[cs[0]]
            for c in cs[1:]:
                b = b & maps[c]
            return b

        bi, br = and_int(), and_roaring()
        assert bitsets.to_list(bi) == list(br)
        survivors = [d for d in bitsets.to_list(bi) if q in texts[d]]
        add("and", "int", _time(and_int, args.reps))
        add("and", "roaring", _time(and_roaring, args.reps))
        add("to_list", "int", _time(lambda: bitsets.to_list(bi), args.reps))
        add("to_list", "roaring", _time(lambda: list(br), args.reps))
        add("from_list", "int", _time(lambda: bitsets.from_iter(survivors, n), args.reps))
        add("from_list", "roaring", _time(lambda: BitMap(survivors), args.reps))
        add("count", "int", _time(lambda: bitsets.count(bi), args.reps))
        add("count", "roaring", _time(lambda: len(br), args.reps))
        # One bit test per entry of a word's impact order (search.backends.whoosh.query._rank_by_impact).
        probe = list(range(0, n, max(1, n // 200)))
        add("200 bit tests", "int", _time(lambda: [bi >> d & 1 for d in probe], args.reps))
        add("200 bit tests", "roaring", _time(lambda: [d in br for d in probe], args.reps))
    out = {"documents": n, "queries": len(mix), "characters": len(chars),
           "density_median": statistics.median(len(ds) / n for ds in docs.values()),
           "us_summed_over_the_mix": {op: {k: round(v, 1) for k, v in t.items()} for op, t in totals.items()}}
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
