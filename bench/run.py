"""`make bench`: measure the archive end to end and write docs/BENCHMARKS.md.

    python -m bench.run [--sizes 2000,20000] [--runs 3] [--large-runs 1] [--quick] [--out docs/BENCHMARKS.md]

1. import + index of generated corpora through `manage.py import_essays`, and
   `manage.py rebuild_index` alone, each in a fresh data dir, against jieba
   alone segmenting the same text in the same run;
2. search latency (p50/p95) in-process and over HTTP (JSON API and HTML page,
   gunicorn with the production settings) per query class, with every count
   checked against a brute-force scan of the generated text;
3. throughput over HTTP from a separate load process, worker memory, and the
   time from spawning gunicorn to the first answered search;
4. an essay uploaded through the admin: time until a search finds it.

Every figure is the median of several runs measured in this one invocation.
Everything runs below a temporary directory (bench/out/, git-ignored) that
is removed at the end (--keep keeps it); servers bind 127.0.0.1 only and are
stopped, with every subprocess bounded by a timeout.
"""
import argparse
import json
import sys
from pathlib import Path

from .common import LARGE, ROOT, log
from .phases import Bench
from .report import report

DEFAULT_OUT = ROOT / "docs" / "BENCHMARKS.md"


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default=None, help="comma-separated corpus sizes (default 2000,20000; --quick 200)")
    ap.add_argument("--runs", type=int, default=None, help="runs per measurement (default 3; --quick 1)")
    ap.add_argument("--large-runs", type=int, default=1,
                    help=f"import/rebuild runs for sizes ≥ {LARGE:,} (default 1: one 20k import takes ~12 min)")
    ap.add_argument("--reps", type=int, default=None, help="timed repetitions per query (default 5; --quick 2)")
    ap.add_argument("--duration", type=float, default=None, help="seconds per load phase (default 20; --quick 3)")
    ap.add_argument("--concurrency", type=int, default=0, help="load threads (default 2 × workers)")
    ap.add_argument("--max-requests", type=int, default=100_000, help="cap on requests per load phase")
    ap.add_argument("--uploads", type=int, default=None, help="admin uploads (default 5; --quick 2)")
    ap.add_argument("--profile-import", type=int, default=500, help="essays in the profiled import (0: none)")
    ap.add_argument("--profile-reps", type=int, default=3, help="repetitions of each query in the query profile")
    ap.add_argument("--skip-profiles", action="store_true", help="no cProfile runs (for the smoke test)")
    ap.add_argument("--queries-per-class", type=int, default=None, help="only the first N queries of each class "
                    "(default all; --quick 3)")
    ap.add_argument("--wide", type=int, default=None, help="distinct queries of the wide mix, each sent once, "
                    "for memory after caches fill (default 3000; --quick 60; 0: none)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="a fast smoke run (small sizes, short phases)")
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--workdir", default=None, help="parent of the temporary work dir (default bench/out/)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (corpora, data dirs, logs)")
    ap.add_argument("--from-results", default=None, help="only re-render the report from a saved results JSON")
    args = ap.parse_args(argv)
    q = args.quick
    args.sizes = sorted({int(s) for s in (args.sizes or ("200" if q else "2000,20000")).split(",") if s.strip()})
    args.runs = max(1, args.runs if args.runs is not None else (1 if q else 3))
    args.large_runs = max(1, args.large_runs)
    args.reps = max(1, args.reps if args.reps is not None else (2 if q else 5))
    args.duration = args.duration if args.duration is not None else (3.0 if q else 20.0)
    args.duration = min(max(args.duration, 0.2), 300.0)
    args.uploads = max(1, args.uploads if args.uploads is not None else (2 if q else 5))
    args.profile_reps = max(1, min(args.profile_reps, 50))
    args.wide = max(0, args.wide if args.wide is not None else (60 if q else 3000))
    if args.queries_per_class is None:
        args.queries_per_class = 3 if q else 0
    if any(s < 1 or s > 200_000 for s in args.sizes):
        ap.error("sizes must be between 1 and 200000")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.from_results:
        # Re-render the report from a saved results file (bench/out/last-results.json).
        r = json.loads(Path(args.from_results).read_text(encoding="utf-8"))
        r["import"] = {int(k): v for k, v in r.get("import", {}).items()}
        saved = argparse.Namespace(**{**vars(args), **r["args"]})
        Path(args.out).write_text(report(r, r.get("commands", []), saved), encoding="utf-8")
        log(f"wrote {args.out} from {args.from_results}")
        return 0
    Bench(args).execute()
    return 0


if __name__ == "__main__":
    sys.exit(main())
