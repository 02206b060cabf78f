"""What the report judges: per-class latency figures, the targets met or
missed, and the exact counts checked against the brute-force scan."""
from .common import median, percentile
from .server import LATENCY_RUNS, THROUGHPUT_RUNS
from .queries import CLASSES


def class_p95(http):
    """{(cls, endpoint): p95 ms} over all requests of the class."""
    out = {}
    for endpoint, rows in http.items():
        by = {}
        for row in rows:
            by.setdefault(row["cls"], []).extend(row["times_s"])
        for cls, ts in by.items():
            out[(cls, endpoint)] = percentile(ts, 95) * 1000
    return out


def class_stats(rows):
    by = {}
    for row in rows:
        by.setdefault(row["cls"], []).extend(row["times_s"])
    return {cls: (percentile(ts, 50) * 1000, percentile(ts, 95) * 1000, len(ts)) for cls, ts in by.items()}


def verdict(measured, target, higher_is_better=False, unit=""):
    """('met'|'missed', 'by how much')."""
    if measured is None:
        return "–", "not measured"
    ok = measured >= target if higher_is_better else measured <= target
    if higher_is_better:
        ratio = measured / target if target else float("inf")
        how = f"{ratio:.2f}× the target" if ok else f"short by {target - measured:,.1f}{unit} ({ratio:.2f}× the target)"
    else:
        ratio = measured / target if target else float("inf")
        how = (f"{target - measured:,.2f}{unit} under ({ratio:.2f}× the limit)" if ok
               else f"over by {measured - target:,.2f}{unit} ({ratio:.2f}× the limit)")
    return ("met" if ok else "**missed**"), how


def targets(r):
    rows = []
    big = max(r["import"]) if r.get("import") else None
    for size in sorted(r.get("import", {})):
        runs = r["import"][size]["runs"]
        ratio = median([x["import_s"] / x["jieba"]["seconds"] for x in runs])
        m, how = verdict(ratio, 3.0, unit="×")
        cpu_ratio = median([x["import_cpu_s"] / x["jieba"]["cpu_s"] for x in runs])
        rows.append((f"import + index of {size:,} essays ≤ 3× jieba alone (wall)",
                     f"{ratio:.2f}× (median of {len(runs)}; CPU time: {cpu_ratio:.2f}×)", m, how))
        rratio = median([x["rebuild_s"] / x["jieba"]["seconds"] for x in runs])
        m, how = verdict(rratio, 3.0, unit="×")
        rows.append((f"(rebuild_index of {size:,} essays ≤ 3× jieba alone, for reference)",
                     f"{rratio:.2f}×", m, how))
    queries = r.get("queries", [])
    for key, how_served in LATENCY_RUNS:
        http = r.get(key)
        if not http:
            continue
        p95 = class_p95(http)
        for cls in CLASSES:
            for endpoint in ("api", "page"):
                v = p95.get((cls, endpoint))
                m, how = verdict(v, 50.0, unit=" ms")
                rows.append((f"search p95 ≤ 50 ms over HTTP, {CLASSES[cls]}, {endpoint} ({how_served})",
                             f"{v:,.1f} ms", m, how))
    rows += research_targets(r.get("research_nocache"))
    rows += concordance_targets(r.get("concordance"))
    if queries:
        exact, total = exact_counts(r)
        m = "met" if exact == total else "**missed**"
        rows.append(("exact counts (in-process, API, page; both servers) = brute-force scan", f"{exact}/{total}", m,
                     "all exact" if exact == total else f"{total - exact} wrong"))
    errors = 0
    for key, how_served in THROUGHPUT_RUNS:
        tp = r.get(key)
        if not tp:
            continue
        errors += sum(x["errors"] for phase in tp.values() for x in phase)
        for phase, label in (("search_api", "JSON API"), ("search_page", "HTML page")):
            v = median([x["rps"] for x in tp[phase]])
            m, how = verdict(v, 150.0, higher_is_better=True, unit="/s")
            rows.append((f"≥ 150 searches/s over HTTP ({label}, query mix, {how_served})", f"{v:,.1f}/s", m, how))
    if r.get("wide"):
        errors += r["wide"]["errors"]
    if r.get("throughput"):
        rows.append(("0 errors under load (all phases, all runs, the wide mix)", str(errors), "met" if errors == 0 else "**missed**",
                     "none" if errors == 0 else f"{errors} errors"))
    mems = [(v, key) for key, mem in r.get("memory_by", {}).items() for v in mem["workers"].values() if v]
    if mems:
        worst, _key = max(mems, key=lambda x: x[0]["rss"])
        m, how = verdict(worst["rss"], 150.0, unit=" MB")
        after = f", and after the wide mix of {r['wide']['queries']:,} distinct queries" if r.get("wide") else ""
        rows.append((f"≤ 150 MB RSS per worker (worst worker of both servers, after the load phases{after})",
                     f"{worst['rss']:,.1f} MB (PSS {worst['pss']:,.1f} MB, private {worst['uss']:,.1f} MB)", m, how))
    if r.get("startup_s"):
        v = median(r["startup_s"])
        m, how = verdict(v, 1.5, unit=" s")
        rows.append(("first search answered ≤ 1.5 s after start", f"{v:.2f} s (median of {len(r['startup_s'])})", m, how))
    if r.get("upload"):
        v = median([x["saved_to_found_s"] for x in r["upload"]])
        m, how = verdict(v, 1.0, unit=" s")
        rows.append(("admin upload searchable ≤ 1 s after save (POST returned → found)",
                     f"{v * 1000:,.0f} ms (median of {len(r['upload'])})", m, how))
        v2 = median([x["post_start_to_found_s"] for x in r["upload"]])
        m, how = verdict(v2, 1.0, unit=" s")
        rows.append(("(same, counted from the upload POST being sent)", f"{v2 * 1000:,.0f} ms", m, how))
    return rows, big


def exact_counts(r):
    """(exact, total) over the in-process counts and every HTTP latency run."""
    n = total = 0
    expected = {q["q"]: q["expected"] for q in r.get("queries", [])}
    for row in r.get("inproc", {}).get("queries", []):
        n += row["count"] == expected[row["q"]]
        total += 1
    for key, _how in LATENCY_RUNS:
        for endpoint in ("api", "page"):
            for row in r.get(key, {}).get(endpoint, []):
                n += row["count"] == expected[row["q"]]
                total += 1
    return n, total


def research_targets(rows):
    """Filters, facets and timelines over HTTP with the result cache off:
    filtered search p95 ≤ 50 ms per class, facets adding ≤ 10 ms to a
    search's p95, the timeline of a quote ≤ 50 ms and of a word in half
    the essays ≤ 100 ms."""
    if not rows:
        return []
    out = []

    def p95(cls=None, kind=None):
        ts = [t for row in rows if (cls is None or row["cls"] == cls) and row["kind"] == kind for t in row["times_s"]]
        return percentile(ts, 95) * 1000 if ts else None

    for cls in CLASSES:
        v = p95(cls, "filtered")
        if v is not None:
            m, how = verdict(v, 50.0, unit=" ms")
            out.append((f"filtered search p95 ≤ 50 ms over HTTP, {CLASSES[cls]} (API, date range and source, "
                        "result cache off)", f"{v:,.1f} ms", m, how))
        with_f, without = p95(cls, "facets"), p95(cls, "no_facets")
        if with_f is not None and without is not None:
            m, how = verdict(with_f - without, 10.0, unit=" ms")
            out.append((f"facets add ≤ 10 ms to search p95, {CLASSES[cls]} (API, result cache off)",
                        f"{with_f - without:+,.1f} ms ({without:,.1f} → {with_f:,.1f})", m, how))
    for kind, label, target in (("timeline", "timeline of a quote", 50.0),
                                ("timeline_half", "timeline of a word in half the essays", 100.0)):
        v = p95(kind=kind)
        if v is not None:
            m, how = verdict(v, target, unit=" ms")
            out.append((f"{label} p95 ≤ {target:g} ms over HTTP (API, result cache off)", f"{v:,.1f} ms", m, how))
    return out
CONCORDANCE_LIMITS = {"word": ("first page of the concordance of a word of ≥ 100,000 occurrences, p95", 150.0),
                      "word_left": ("the same sorted by left context, p95", 500.0),
                      "quote": ("a quotation's concordance, p95", 50.0)}


def concordance_targets(c):
    """Issue 16's targets (bench.http_phases.concordance, result cache off)."""
    if not c:
        return []
    rows = []
    for row in c["rows"]:
        label, limit = CONCORDANCE_LIMITS[row["cls"]]
        v = percentile(row["times_s"], 95) * 1000
        m, how = verdict(v, limit, unit=" ms")
        if row["cls"] == "word" and row["total"] < 100_000:
            m, how = "–", f"only {row['total']:,} occurrences at this size"
        rows.append((f"{label} ≤ {limit:.0f} ms over HTTP (result cache off)",
                     f"{v:,.1f} ms ({row['total']:,} rows)", m, how))
    e = c["export"]
    lines = e["lines"] - 8  # the header lines and the columns
    m, how = verdict(e["seconds"], 5.0, unit=" s")
    if lines < e["cap"]:
        m, how = "–", f"only {lines:,} rows at this size"
    rows.append((f"CSV export of {e['cap']:,} rows ≤ 5 s", f"{e['seconds']:.2f} s ({lines:,} rows)", m, how))
    m, how = verdict(e["rss_growth_mb"], 20.0, unit=" MB")
    rows.append(("worker memory growth during that export ≤ 20 MB", f"{e['rss_growth_mb']:+.1f} MB", m, how))
    return rows
