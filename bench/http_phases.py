"""The HTTP phases of `make bench`: search latency over HTTP per query class,
throughput from a separate load process, worker memory after a wide mix,
an admin upload until it is found, and the worst query's profile. A mixin
of bench.phases.Bench."""
import json
import random
import re
import sqlite3
import subprocess
import time

from . import generate as gen
from .common import PY, ROOT, BenchError, cpu_seconds, django_env, last_json, log, memory_mb, run
from .load import Client, csrf_token, search_path
from .server import Server
from .targets import class_p95

PAGE_COUNT = re.compile(r"共 <strong>(\d+)</strong> 篇文章")
# The concordance (issue 16): a very frequent word (at 20,000 essays it
# occurs far more than 100,000 times), the same sorted by left context, a
# quotation the generator inserts, and an export cut at EXPORT_ROWS rows.
CONCORDANCE = (("word", "的", {}), ("word_left", "的", {"sort": "left"}), ("quote", f'"{next(iter(gen.QUOTES))}"', {}))
EXPORT_ROWS = 100_000


class HttpPhases:
    """Steps 2–4 over HTTP (see bench.run)."""

    def server_setup_start(self):
        """collectstatic and createsuperuser for the search data dir: set-up,
        not measured, so they run while the orchestrator builds the queries."""
        d = self.search_dir
        self.admin_password = "bench-" + __import__("secrets").token_urlsafe(16)
        jobs = [(["collectstatic", "--noinput", "-v0"], django_env(d, production=True)),
                (["createsuperuser", "--noinput"], django_env(
                    d, production=True, DJANGO_SUPERUSER_USERNAME="bench",
                    DJANGO_SUPERUSER_PASSWORD=self.admin_password, DJANGO_SUPERUSER_EMAIL="bench@example.org"))]
        self.setup_jobs = [(args, subprocess.Popen([PY, "manage.py", *args], cwd=ROOT, env=env, text=True,
                                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE))
                           for args, env in jobs]

    def server_setup_wait(self):
        for args, proc in self.setup_jobs:
            try:
                out, err = proc.communicate(timeout=600)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                raise BenchError(f"manage.py {' '.join(args)} timed out")
            if proc.returncode != 0:
                raise BenchError(f"manage.py {' '.join(args)} exited {proc.returncode}:\n{out[-2000:]}\n{err[-2000:]}")
        self.setup_jobs = []

    def http_steps(self):
        self.mark("HTTP: start-up, latency, throughput, admin upload")
        d = self.search_dir
        self.note_cmd("DJANGO_SETTINGS_MODULE=config.production DJANGO_SECRET_KEY=<random 64> DJANGO_HTTPS=0 "
                      "manage.py collectstatic --noinput; manage.py createsuperuser --noinput")
        self.note_cmd("GUNICORN_BIND=127.0.0.1:<free port> gunicorn -c config/gunicorn.py config.wsgi   "
                      "# config.production, DJANGO_HTTPS=0, workers = cpu count")
        log_path = self.work / "gunicorn.log"
        starts = []
        for r in range(max(self.args.runs - 1, 0)):
            srv = Server(d, log_path).start()
            try:
                starts.append(srv.first_search())
            finally:
                srv.stop()
            log(f"  start to first search: {starts[-1]:.2f} s")
        srv = Server(d, log_path).start()
        try:
            starts.append(srv.first_search())
            log(f"  start to first search: {starts[-1]:.2f} s (server kept for the HTTP steps)")
            self.r["startup_s"] = starts
            time.sleep(0.2 if self.args.quick else 1.0)  # let the second worker finish its warm-up too
            self.r["workers"] = len(srv.workers())
            self.http_latency(srv, "http_latency")
            self.throughput(srv, "throughput", essays=True)
            self.wide_mix(srv)
        finally:
            srv.stop()
        # The same again with the per-process result cache off: every
        # request is ranked and given its hits afresh (the term cache stays).
        self.mark("HTTP without the result cache (ARCHIVE_SEARCH_CACHE=0)")
        srv = Server(d, log_path, ARCHIVE_SEARCH_CACHE=0, ARCHIVE_EXPORT_MAX_ROWS=EXPORT_ROWS).start()
        try:
            srv.first_search()
            time.sleep(0.2 if self.args.quick else 1.0)
            self.http_latency(srv, "http_latency_nocache")
            self.research_latency(srv, "research_nocache")
            self.concordance(srv)
            self.throughput(srv, "throughput_nocache", essays=False)
            # The upload changes the archive, so it comes last: anything still
            # reading it (the in-process step of a --quick run) must be done.
            self.collect_deferred()
            self.admin_upload(srv)
        finally:
            srv.stop()

    def research_latency(self, srv, key):
        """Filters, facets and timelines over HTTP (issue targets): per
        class, the API with a date range and a source filter; the API with
        facets and without (facets=0); the timeline of every quote, and of
        the word in about half the essays (queries.half_word)."""
        client = Client(srv.port)
        filters = {"from": "2010", "to": "2019", "source": "人民日报"}
        cases = []
        for item in self.queries:
            cases.append((item["cls"], "filtered", search_path("/api/search", item["q"], **filters)))
            cases.append((item["cls"], "facets", search_path("/api/search", item["q"])))
            cases.append((item["cls"], "no_facets", search_path("/api/search", item["q"], facets=0)))
            if item["cls"] == "quote":
                cases.append(("quote", "timeline", search_path("/api/timeline", item["q"])))
        half = self.half_word
        if half:
            cases.append(("word", "timeline_half", search_path("/api/timeline", half)))
        rows = []
        for cls, kind, path in cases:
            status, _h, _body = client.get(path)
            if status != 200:
                raise BenchError(f"{kind} {path}: HTTP {status}")
            times = []
            for _ in range(self.args.reps):
                t = time.perf_counter()
                status, _h, _body = client.get(path)
                times.append(time.perf_counter() - t)
            rows.append({"cls": cls, "kind": kind, "path": path, "times_s": times})
        client.close()
        self.r[key] = rows
        log(f"filters, facets and timelines done ({key})")

    def http_latency(self, srv, key):
        client = Client(srv.port)
        out = {}
        for endpoint, base in (("api", "/api/search"), ("page", "/search/")):
            rows = []
            for item in self.queries:
                path = search_path(base, item["q"])
                t = time.perf_counter()
                status, _h, body = client.get(path)  # warm-up, and the count
                first = time.perf_counter() - t
                if status != 200:
                    raise BenchError(f"{endpoint} {item['q']!r}: HTTP {status}")
                if endpoint == "api":
                    got = json.loads(body)["count"]
                else:
                    m = PAGE_COUNT.search(body.decode("utf-8"))
                    got = int(m.group(1)) if m else None
                times = []
                for _ in range(self.args.reps):
                    t = time.perf_counter()
                    status, _h, body = client.get(path)
                    times.append(time.perf_counter() - t)
                    if status != 200:
                        raise BenchError(f"{endpoint} {item['q']!r}: HTTP {status}")
                rows.append({"q": item["q"], "cls": item["cls"], "count": got, "times_s": times, "first_s": first,
                             "bytes": len(body)})
            out[endpoint] = rows
        client.close()
        self.r[key] = out
        log(f"HTTP latency done ({key})")

    def concordance(self, srv):
        """The concordance over HTTP with the result cache off: the first
        page of each CONCORDANCE case (API), timed `reps` times after one
        untimed request (its `first_s`), then a CSV export of up to
        EXPORT_ROWS rows, its time and the growth of the workers' memory."""
        client = Client(srv.port)
        rows = []
        for cls, q, params in CONCORDANCE:
            path = search_path("/api/concordance", q, **params)
            t = time.perf_counter()
            status, _h, body = client.get(path)
            first = time.perf_counter() - t
            if status != 200:
                raise BenchError(f"concordance {q!r} {params}: HTTP {status}")
            total = json.loads(body)["total"]
            times = []
            for _ in range(self.args.reps):
                t = time.perf_counter()
                status, _h, _body = client.get(path)
                times.append(time.perf_counter() - t)
            rows.append({"cls": cls, "q": q, "params": params, "total": total, "first_s": first, "times_s": times})
            log(f"  concordance {q} {params}: {total:,} rows, first {first * 1000:.0f} ms, "
                f"best {min(times) * 1000:.0f} ms")
        before = {p: memory_mb(p) for p in srv.workers()}
        t = time.perf_counter()
        status, _h, body = client.get(search_path("/search/concordance/", "的", format="csv"))
        seconds = time.perf_counter() - t
        if status != 200:
            raise BenchError(f"concordance export: HTTP {status}")
        after = {p: memory_mb(p) for p in srv.workers()}
        lines = body.decode("utf-8-sig").count("\n")
        growth = max(((after[p] or {}).get("rss", 0) - (before[p] or {}).get("rss", 0) for p in before), default=0)
        client.close()
        self.r["concordance"] = {"rows": rows, "export": {"seconds": seconds, "lines": lines, "bytes": len(body),
                                                          "rss_growth_mb": growth, "cap": EXPORT_ROWS}}
        log(f"  concordance export: {lines:,} lines, {len(body) / 1e6:.1f} MB in {seconds:.2f} s, "
            f"worker RSS +{growth:.1f} MB")

    def throughput(self, srv, key, essays=True):
        qs = [item["q"] for item in self.queries]
        rng = random.Random(1)
        api = [search_path("/api/search", q) for q in qs]
        page = [search_path("/search/", q) for q in qs]
        rng.shuffle(api)
        rng.shuffle(page)
        phases = {"search_api": api, "search_page": page}
        if essays:
            with sqlite3.connect(f"file:{self.search_dir / 'db.sqlite3'}?mode=ro", uri=True) as db:
                ids = [row[0] for row in db.execute("SELECT id FROM essays_essay")]
            phases["essay_page"] = [f"/essays/{i}/" for i in rng.sample(ids, min(500, len(ids)))]
        files = {}
        for name, paths in phases.items():
            files[name] = self.work / f"paths-{name}.json"
            files[name].write_text(json.dumps(paths), encoding="utf-8")
        results = {name: [] for name in phases}
        conc = self.args.concurrency or 2 * max(len(srv.workers()), 1)
        for r in range(self.args.runs):
            for name in phases:
                res = self.load(srv, files[name], conc, self.args.duration,
                                ["--max-requests", str(self.args.max_requests)])
                results[name].append(res)
                log(f"  load {key} {name} run {r + 1}: {res['rps']:.1f}/s, {res['errors']} errors, "
                    f"p95 {res['latency_ms'].get('p95', 0):.0f} ms, server CPU {res['server_cpu_ms_per_req']:.1f} ms/req")
        self.r[key] = results
        self.r["concurrency"] = conc
        self.record_memory(srv, key)
        if key == "throughput":
            self.r["memory"] = self.r["memory_by"][key]
        self.note_cmd(f"python -m bench.load --port PORT --paths PATHS.json --duration {self.args.duration} "
                      f"--concurrency {conc}   # separate process, threads + http.client")

    def load(self, srv, path_file, conc, duration, extra):
        """One run of the load generator (a separate process) against `srv`:
        its summary, with the server's CPU time per answered request."""
        pids = srv.workers()
        cpu0 = {p: cpu_seconds(p) for p in pids}
        _s, out = run([PY, "-m", "bench.load", "--port", str(srv.port), "--paths", str(path_file),
                       "--duration", str(duration), "--concurrency", str(conc), *extra],
                      django_env(self.work), duration + 120, "load generator")
        res = last_json(out)
        cpu1 = {p: cpu_seconds(p) for p in pids}
        res["server_cpu_s"] = sum((cpu1[p] or 0) - (cpu0[p] or 0) for p in pids)
        res["server_cpu_ms_per_req"] = 1000 * res["server_cpu_s"] / max(res["ok"], 1)
        return res

    def record_memory(self, srv, key):
        """Memory of the master and each worker now, kept as memory_by[key]."""
        mem = {"master": memory_mb(srv.proc.pid), "workers": {str(p): memory_mb(p) for p in srv.workers()}}
        self.r.setdefault("memory_by", {})[key] = mem
        return mem

    def wide_mix(self, srv):
        """Many distinct queries, each sent once (API and page in turn): what
        the caches of a long-running worker grow to, and what searches the
        server has not seen before cost under load."""
        if not self.wide:
            return
        paths = [search_path("/api/search" if i % 2 else "/search/", q) for i, q in enumerate(self.wide)]
        path_file = self.work / "paths-wide.json"
        path_file.write_text(json.dumps(paths), encoding="utf-8")
        conc = self.args.concurrency or 2 * max(len(srv.workers()), 1)
        res = self.load(srv, path_file, conc, 600, ["--once"])
        res["queries"] = len(paths)
        self.r["wide"] = res
        worst = max((m["rss"] for m in self.record_memory(srv, "wide")["workers"].values() if m), default=0)
        log(f"  wide mix: {len(paths)} distinct queries, {res['rps']:.1f}/s, {res['errors']} errors, "
            f"worst worker RSS {worst:.1f} MB")
        self.note_cmd(f"python -m bench.load --port PORT --paths WIDE.json --duration 600 --concurrency {conc} "
                      "--once   # the wide mix: each distinct query once")

    def admin_upload(self, srv):
        client = Client(srv.port)
        status, _h, body = client.get("/admin/login/?next=/admin/")
        if status != 200:
            raise BenchError(f"admin login page: HTTP {status}")
        status, _h, body = client.post_form("/admin/login/?next=/admin/", {
            "csrfmiddlewaretoken": csrf_token(body), "username": "bench", "password": self.admin_password,
            "next": "/admin/"}, referer="/admin/login/")
        if status != 302:
            raise BenchError(f"admin login failed: HTTP {status}")
        rows = []
        search_client = Client(srv.port)
        for i in range(self.args.uploads):
            token = f"{random.Random(f'{time.time_ns()}-{i}').randrange(10**11, 10**12)}"
            sentence = f"基准上传第{token}号独特句子"
            title = f"基准上传文章{i + 1}"
            paragraphs = ["各级党员干部要把抓落实作为履职尽责的基本要求。", f"这是一个{sentence}，用来测量上传到可检索的时间。"]
            data = gen.render(900000 + i, title, paragraphs).encode("utf-8")
            status, _h, body = client.get("/admin/essays/essay/upload/")
            if status != 200:
                raise BenchError(f"upload page: HTTP {status}")
            t_post = time.perf_counter()
            status, _h, body = client.post_multipart(
                "/admin/essays/essay/upload/", {"csrfmiddlewaretoken": csrf_token(body)},
                [("files", f"bench-upload-{token}.txt", data)], referer="/admin/essays/essay/upload/")
            t_saved = time.perf_counter()
            if status != 200 or b"outcome-created" not in body:
                raise BenchError(f"upload failed: HTTP {status}: {body.decode('utf-8', 'replace')[-6000:]}")
            path = search_path("/api/search", f'"{sentence}"')
            polls = 0
            found = None
            while time.perf_counter() - t_saved < 60:
                polls += 1
                st, _h, b = search_client.get(path)
                if st == 200 and json.loads(b)["count"] == 1:
                    found = time.perf_counter()
                    break
                time.sleep(0.002)
            if found is None:
                raise BenchError(f"uploaded sentence not found within 60 s: {sentence}")
            # Both workers: the next 6 searches (sequential, so they spread over workers) must find it too.
            later = []
            for _ in range(6):
                st, _h, b = search_client.get(path)
                later.append(st == 200 and json.loads(b)["count"] == 1)
            rows.append({"post_s": t_saved - t_post, "saved_to_found_s": found - t_saved,
                         "post_start_to_found_s": found - t_post, "polls": polls, "later_all_found": all(later)})
            log(f"  upload {i + 1}: POST {rows[-1]['post_s']:.2f} s, then found after "
                f"{rows[-1]['saved_to_found_s'] * 1000:.0f} ms ({polls} polls)")
        client.close()
        search_client.close()
        self.r["upload"] = rows

    # ---------------------------------------------------------------- profiles
    def profile_worst_query(self):
        self.mark("query profiles")
        p95 = class_p95(self.r.get("http_latency_nocache") or self.r["http_latency"])
        (cls, endpoint), worst = max(p95.items(), key=lambda kv: kv[1])
        self.r["worst"] = {"cls": cls, "endpoint": endpoint, "p95_ms": worst}
        _s, out = run([PY, "-m", "bench.inproc", "profile-query", str(self.queries_path), "--cls", cls,
                       "--endpoint", endpoint, "--reps", str(self.args.profile_reps)],
                      django_env(self.search_dir, production=True, ARCHIVE_SEARCH_CACHE=0), 3600, "query profile")
        self.r["profile_query"] = last_json(out)
        # The in-process service alone for the same class, for comparison.
        _s, out = run([PY, "-m", "bench.inproc", "profile-query", str(self.queries_path), "--cls", cls,
                       "--endpoint", "service", "--reps", str(self.args.profile_reps)],
                      django_env(self.search_dir, production=True, ARCHIVE_SEARCH_CACHE=0), 3600,
                      "query profile (service)")
        self.r["profile_query_service"] = last_json(out)
        log(f"profiled worst class {cls} via {endpoint}")

    # ---------------------------------------------------------------- main
