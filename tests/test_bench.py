"""Smoke test of the benchmark (bench.run, its phases and helpers) at a toy size,
so that `make bench` cannot silently rot: every step runs for real (import,
rebuild, jieba alone, in-process search, gunicorn on a free 127.0.0.1 port,
the load generator, an admin upload) on 40 generated essays (seq 37 holds a quote_seqs quotation), and the report
must hold exact counts for every query."""
import json
import re

import pytest

from bench import common, phases, queries, run, targets
from bench import generate as gen


@pytest.fixture(autouse=True)
def data_dir(tmp_path):
    """Override tests/conftest.py's Django-settings fixture: the benchmark runs
    everything in subprocesses with their own data dirs."""
    return tmp_path


def test_percentile_and_median():
    assert common.median([3, 1, 2]) == 2
    assert common.median([4, 1, 2, 3]) == 2.5
    assert common.percentile([1, 2, 3, 4, 5], 50) == 3
    assert common.percentile([0, 10], 95) == pytest.approx(9.5)
    assert targets.verdict(40.0, 50.0)[0] == "met"
    assert targets.verdict(200.0, 150.0, higher_is_better=True)[0] == "met"
    assert targets.verdict(60.0, 50.0)[0] == "**missed**"


def test_corpus_files_are_those_of_bench_generate(tmp_path):
    """bench.run writes the corpus in one pass; the files must be generate()'s."""
    phases.write_corpus(tmp_path / "a", 6, 1, tmp_path / "texts.jsonl")
    gen.generate(tmp_path / "b", 6, seed=1)
    names = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "a").iterdir())
    assert all((tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes() for n in names)
    lines = (tmp_path / "texts.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x) for x in lines] == [[t, *p] for _s, t, p in gen.corpus_texts(6, 1)]


def test_bench_end_to_end_at_toy_size(tmp_path):
    out = tmp_path / "BENCH.md"
    args = ["--quick", "--sizes", "40", "--runs", "1", "--reps", "1", "--duration", "0.2", "--uploads", "1",
            "--skip-profiles", "--out", str(out), "--workdir", str(tmp_path)]
    result = phases.Bench(run.parse_args(args)).execute()

    # 1. import and rebuild ran on every essay, with a jieba baseline.
    row = result["import"][40]["runs"][0]
    assert row["import_s"] > 0 and row["rebuild_s"] > 0 and row["jieba"]["chars"] == result["import"][40]["chars"]
    assert row["index_bytes"] > 0 and row["db_bytes"] > 0
    # 2. every query class answered with the brute-force count, everywhere.
    assert {q["cls"] for q in result["queries"]} == set(queries.CLASSES)
    assert targets.exact_counts(result) == (5 * len(result["queries"]),) * 2  # in-process + 2 servers × 2 endpoints
    quote_seqs = [q for q in result["queries"] if q.get("quote_seqs")]
    assert quote_seqs and all(q["expected"] == q["brute"] for q in quote_seqs)
    # 3. load without errors, memory and start-up measured.
    for key in ("throughput", "throughput_nocache"):  # result cache on, then off
        assert all(x["errors"] == 0 and x["ok"] > 0 for phase in result[key].values() for x in phase)
        assert result["memory_by"][key]["workers"]
    # The wide mix: every one of its distinct queries answered once, memory after it.
    wide = result["wide"]
    assert wide["queries"] == 60 and wide["ok"] == 60 and wide["errors"] == 0
    assert result["memory_by"]["wide"]["workers"]
    assert result["startup_s"]
    assert all("first_s" in row for row in result["http_latency_nocache"]["api"])
    # Filters, facets and timelines: every class measured, and in the targets.
    kinds = {(row["cls"], row["kind"]) for row in result["research_nocache"]}
    assert {(cls, kind) for cls in queries.CLASSES for kind in ("filtered", "facets", "no_facets")} <= kinds
    assert ("quote", "timeline") in kinds and ("word", "timeline_half") in kinds and result["half_word"]
    # The concordance (result cache off): its cases answered, the export read back.
    conc = result["concordance"]
    assert [row["cls"] for row in conc["rows"]] == ["word", "word_left", "quote"]
    assert conc["rows"][0]["total"] == conc["rows"][1]["total"] > 0 and conc["export"]["lines"] > 7
    # 4. the uploaded essay was found.
    assert result["upload"][0]["saved_to_found_s"] >= 0

    text = out.read_text(encoding="utf-8")
    assert "## Targets" in text and "| target | measured |" in text
    assert re.search(r"exact counts .*\| (\d+)/\1 \| met", text)
    assert "**NO**" not in text
    assert "a quotation's concordance, p95 ≤ 50 ms" in text and "CSV export of 100,000 rows" in text
    assert "after the wide mix (60 distinct queries)" in text
    assert "filtered search p95 ≤ 50 ms" in text and "facets add ≤ 10 ms" in text
    assert "timeline of a word in half the essays p95 ≤ 100 ms" in text
    # The work dir (corpus, data dirs, server log) is gone.
    assert not list(tmp_path.glob("run-*"))
    json.dumps(result, default=str)


def test_load_once_sends_every_path_exactly_once():
    """The wide mix relies on it: with once=True the threads share the list
    out, each path once, however unevenly they run."""
    import http.server
    import random
    import threading
    import time
    from collections import Counter

    from bench.load import run_load

    seen = Counter()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            seen[self.path] += 1
            time.sleep(random.random() / 500)  # threads fall out of step
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        paths = [f"/q{i}" for i in range(97)]
        res = run_load(server.server_address[1], paths, 30.0, 4, once=True)
    finally:
        server.shutdown()
        server.server_close()
    assert res["ok"] == 97 and res["errors"] == 0
    assert seen == Counter(paths)
