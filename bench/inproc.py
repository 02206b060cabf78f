"""Measurements inside one Django-configured process (run by bench.run as a
subprocess with ARCHIVE_DATA_DIR and DJANGO_SETTINGS_MODULE set):

    python -m bench.inproc latency QUERIES.json --reps 5
    python -m bench.inproc profile-query QUERIES.json --cls quote --endpoint page --reps 3
    python -m bench.inproc profile-import DIR

QUERIES.json is a list of {"cls", "q", "expected"}. Each prints one JSON object.
"""
import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import sysconfig
import time

from .common import ROOT

# Functions whose cumulative time explains an import or a search; shown as
# a "where the time goes" table above the raw cProfile listing.
KEY_FUNCTIONS = [
    ("essays/management/commands/import_essays.py", "handle", "import_essays command (everything)"),
    ("essays/importing.py", "import_essay_file", "read + parse + store one file (DB)"),
    ("essays/parsing.py", "parse_essay_bytes", "  parse (BeautifulSoup/lxml)"),
    ("essays/importing.py", "_store", "  store in SQLite"),
    ("search/sync.py", "reconcile", "index: reconcile (drift check + writes)"),
    ("search/sync.py", "drift", "  drift check (digests)"),
    ("search/documents.py", "search_digest", "  documents.search_digest"),
    ("search/backends/whoosh/store.py", "write", "  WhooshIndex.write"),
    ("search/backends/whoosh/schema.py", "whoosh_fields", "    whoosh_fields (segment + fold)"),
    ("search/backends/whoosh/schema.py", "ranking_words", "      ranking_words"),
    ("search/analysis.py", "words", "        analysis.words (jieba + fold)"),
    ("jieba/__init__.py", "cut", "          jieba Tokenizer.cut"),
    ("search/analysis.py", "fold", "      analysis.fold"),
    ("whoosh/writing.py", "update_document", "    whoosh update_document"),
    ("whoosh/writing.py", "add_document", "    whoosh add_document"),
    ("whoosh/writing.py", "commit", "    whoosh commit (incl. merges)"),
    ("search/backends/whoosh/pool.py", "add", "      TermPool.add (postings into the pool)"),
    ("search/backends/whoosh/internals.py", "write_postings", "      write_postings (pool to Whoosh's codec)"),
    ("search/service.py", "search", "service.search (everything)"),
    ("search/indexing.py", "ensure_index", "  ensure_index (index existence check)"),
    ("search/backends/whoosh/store.py", "view", "  WhooshIndex.view (index freshness check / reload)"),
    ("search/syntax.py", "parse_query", "  parse_query"),
    ("search/backends/whoosh/query.py", "run_query", "  run_query"),
    ("search/backends/whoosh/query.py", "_rank", "    _rank (match, rank, order: result-cache misses)"),
    ("search/backends/whoosh/query.py", "matching_bits", "      matching_bits (n-gram sets + substring tests)"),
    ("search/backends/whoosh/query.py", "_term_bits", "        _term_bits (one term)"),
    ("search/backends/whoosh/query.py", "_scores", "      _scores (BM25F, search.ranking)"),
    ("search/backends/whoosh/ranking.py", "term_weights", "        term_weights (postings to weights, once per view)"),
    ("search/backends/whoosh/query.py", "_order", "      _order (the first pages)"),
    ("search/snippets.py", "occurrences", "  snippets.occurrences (page hits)"),
    ("search/analysis.py", "fold_with_map", "    fold_with_map"),
    ("django/db/models/query.py", "in_bulk", "  Essay.objects.in_bulk"),
    ("django/template/response.py", "render", "template render"),
    ("django/shortcuts.py", "render", "template render (shortcut)"),
    ("django/http/response.py", "__init__", "response objects"),
    ("json/__init__.py", "dumps", "json.dumps"),
]

_PREFIXES = sorted({p for p in (str(ROOT) + "/", sysconfig.get_paths()["purelib"] + "/",
                                sysconfig.get_paths()["stdlib"] + "/") if p}, key=len, reverse=True)


def _short(filename):
    for prefix in _PREFIXES:
        if filename.startswith(prefix):
            return filename[len(prefix):]
    return filename


def profile_text(profile, total_label, top=30):
    """(markdown 'where the time goes' table, cProfile top-N listing text)."""
    stats = pstats.Stats(profile)
    total = stats.total_tt
    rows = []
    for (filename, line, func), (cc, nc, tt, ct, _callers) in stats.stats.items():
        rows.append((ct, tt, nc, cc, _short(filename), line, func))
    rows.sort(key=lambda r: -r[0])
    out = io.StringIO()
    out.write(f"{total_label}: {total:.2f} s of profiled time (cProfile adds overhead to Python-heavy code)\n\n")
    out.write(f"{'ncalls':>12} {'tottime':>8} {'cumtime':>8} {'cum%':>6}  function\n")
    shown = 0
    for ct, tt, nc, cc, fname, line, func in rows:
        if fname == "~" or func.startswith("<") and func not in ("<listcomp>", "<genexpr>"):
            continue  # built-ins are shown by their callers; skip <module> and friends
        calls = f"{nc}/{cc}" if nc != cc else str(nc)
        out.write(f"{calls:>12} {tt:8.3f} {ct:8.3f} {100 * ct / total:5.1f}%  {fname}:{line}({func})\n")
        shown += 1
        if shown >= top:
            break
    # Where the time goes: cumulative time of chosen functions (summed over
    # same-named functions of that file).
    table = []
    for file_part, func, label in KEY_FUNCTIONS:
        ct_sum = calls = 0
        for (filename, _line, f), (cc, nc, tt, ct, _c) in stats.stats.items():
            if f == func and filename.endswith(file_part):
                ct_sum += ct
                calls += nc
        if calls:
            table.append({"label": label, "function": f"{file_part}:{func}", "calls": calls,
                          "cum_s": ct_sum, "share": ct_sum / total if total else 0})
    # Built-in hot spots (C functions), by own time.
    builtins = sorted(((tt, nc, func) for (filename, _l, func), (cc, nc, tt, ct, _c) in stats.stats.items()
                       if filename == "~"), reverse=True)[:8]
    out.write("\nbuilt-in functions by own time:\n")
    for tt, nc, func in builtins:
        out.write(f"{nc:>12} {tt:8.3f}  {func}\n")
    return total, table, out.getvalue()


def _setup():
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


def _rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def latency(queries, reps):
    rss_start = _rss_mb()
    t0 = time.perf_counter()
    _setup()
    t_setup = time.perf_counter()
    from search import analysis, service

    analysis.load()
    t_jieba = time.perf_counter()
    rss_jieba = _rss_mb()
    service.warm_up()
    t_view = time.perf_counter()
    rss_view = _rss_mb()
    stats = service.index_stats()
    out = []
    for item in queries:
        first_t = time.perf_counter()
        result = service.search(item["q"])  # warm-up (and the count)
        first = time.perf_counter() - first_t
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            service.search(item["q"])
            times.append(time.perf_counter() - start)
        out.append({**item, "count": result.count, "mode": result.mode, "first_s": first, "times_s": times})
    return {
        "django_setup_s": t_setup - t0,
        "jieba_load_s": t_jieba - t_setup,
        "view_load_s": t_view - t_jieba,
        "rss_start_mb": rss_start, "rss_after_jieba_mb": rss_jieba, "rss_after_view_mb": rss_view,
        **stats,
        "queries": out,
    }


def profile_query(queries, cls, endpoint, reps):
    _setup()
    from django.test import Client

    from search import service

    from .load import search_path

    service.warm_up()
    chosen = [q for q in queries if q["cls"] == cls]
    client = Client(HTTP_HOST="127.0.0.1")
    base = {"api": "/api/search", "page": "/search/"}.get(endpoint)

    def one(q):
        if base is None:
            service.search(q)
        else:
            resp = client.get(search_path(base, q))
            assert resp.status_code == 200, (q, resp.status_code)

    for item in chosen:  # warm-up: templates, URL resolver, caches
        one(item["q"])
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    for _ in range(reps):
        for item in chosen:
            one(item["q"])
    prof.disable()
    wall = time.perf_counter() - start
    calls = reps * len(chosen)
    total, table, text = profile_text(prof, f"{calls} requests of class {cls!r} via {endpoint}")
    return {"cls": cls, "endpoint": endpoint, "calls": calls, "wall_s": wall, "profiled_s": total,
            "per_call_ms": 1000 * wall / max(calls, 1), "table": table, "text": text}


def profile_import(directory):
    _setup()
    from django.core.management import call_command

    sink = io.StringIO()
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    call_command("import_essays", str(directory), stdout=sink, stderr=sink)
    prof.disable()
    wall = time.perf_counter() - start
    files = len([n for n in os.listdir(directory) if n.endswith(".txt")])
    total, table, text = profile_text(prof, f"manage.py import_essays of {files} essays")
    return {"files": files, "wall_s": wall, "profiled_s": total, "table": table, "text": text,
            "output": sink.getvalue()[-500:]}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.inproc")
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("latency")
    a.add_argument("queries")
    a.add_argument("--reps", type=int, default=5)
    b = sub.add_parser("profile-query")
    b.add_argument("queries")
    b.add_argument("--cls", required=True)
    b.add_argument("--endpoint", choices=("service", "api", "page"), default="service")
    b.add_argument("--reps", type=int, default=3)
    c = sub.add_parser("profile-import")
    c.add_argument("directory")
    args = ap.parse_args(argv)
    if args.cmd == "profile-import":
        result = profile_import(args.directory)
    else:
        with open(args.queries, encoding="utf-8") as fh:
            queries = json.load(fh)
        if args.cmd == "latency":
            result = latency(queries, max(1, min(args.reps, 100)))
        else:
            result = profile_query(queries, args.cls, args.endpoint, max(1, min(args.reps, 50)))
    sys.stdout.write("\n" + json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
