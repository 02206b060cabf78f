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
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import generate as gen
from .common import (PY, ROOT, BenchError, Job, children, code_fingerprint, contract_fold, cpu_seconds, db_size, dir_size,
                     django_env, free_port, loadavg, machine, manage_job, median, memory_mb, percentile, run)
from .load import Client, csrf_token, search_path

DEFAULT_OUT = ROOT / "docs" / "BENCHMARKS.md"
WORK_PARENT = ROOT / "bench" / "out"
LARGE = 10_000  # sizes from here on use --large-runs import runs

CLASSES = {
    "word": "(a) single words",
    "multi": "(b) 2–3 words, unquoted",
    "quote": "(c) quotes, 2–20 chars",
    "common": "(d) very common terms",
}
WORDS = ["发展", "落实", "改革", "创新", "人民", "经济", "干部", "群众", "建设", "治理"]
MULTI = ["抓落实 担当", "乡村振兴 共同富裕", "科技创新 营商环境", "全面从严治党 作风建设",
         "高质量发展 新发展理念", "党员干部 担当作为 初心使命", "改革 创新 发展", "生态文明 基层治理 民生福祉"]
COMMON = ["的", "发展", "我们", "是", "在"]
QUOTE_LENGTHS = [2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20]

# The two servers of the HTTP steps: (result key, how requests are served).
LATENCY_RUNS = (("http_latency_nocache", "result cache off: every request ranked and given snippets afresh"),
                ("http_latency", "result cache on, the default"))
THROUGHPUT_RUNS = (("throughput_nocache", "result cache off"), ("throughput", "result cache on"))

# Targets: (key, description). Evaluated in `targets()`.
PAGE_COUNT = re.compile(r"共 <strong>(\d+)</strong> 篇文章")

_T0 = time.perf_counter()


def log(msg):
    print(f"[bench {time.perf_counter() - _T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def last_json(stdout):
    """The JSON object a bench subprocess printed last (Django may log to stdout before it)."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise BenchError(f"no JSON result in output: {stdout[-2000:]}")


def wide_queries(raw, rng, n, avoid=()):
    """n distinct queries drawn from the corpus's paragraphs, of every kind
    a reader types: a word (35%), a quotation of 2–12 characters (25%), two
    or three words (20%), title:word (10%), a word without another (10%)."""
    from search import analysis

    out, seen = [], set(avoid)
    for _ in range(50 * n):
        if len(out) >= n:
            break
        paragraphs = raw[rng.randrange(len(raw))]
        if not paragraphs:
            continue
        p = paragraphs[rng.randrange(len(paragraphs))]
        kind = rng.random()
        if 0.35 <= kind < 0.6:
            length = rng.randint(2, 12)
            start = rng.randrange(max(1, len(p) - length))
            cut = p[start:start + length].replace('"', "")
            q = f'"{cut}"' if len(contract_fold(cut)) >= 2 else None
        else:
            ws = [w for w in analysis.words(p) if len(w) >= 2]
            if not ws:
                continue
            if kind < 0.35:
                q = rng.choice(ws)
            elif kind < 0.8:
                q = " ".join(rng.sample(ws, min(len(ws), rng.randint(2, 3)))) if len(ws) >= 2 else None
            elif kind < 0.9:
                q = "title:" + rng.choice(ws)
            else:
                q = f"{ws[0]} -{ws[-1]}" if ws[0] != ws[-1] else None
        if q and q not in seen:
            seen.add(q)
            out.append(q)
    return out


# ====================================================================== server
class Server:
    """gunicorn with the production settings and config/gunicorn.py, on a
    free 127.0.0.1 port, in its own process group (stopped in `stop`)."""

    def __init__(self, data_dir, log_path, **env):
        self.data_dir = data_dir
        self.log_path = log_path
        self.env = env  # extra environment, e.g. ARCHIVE_SEARCH_CACHE=0
        self.proc = None
        self.port = None
        self.started = None

    def start(self):
        self.port = free_port()
        # The load generator sends hundreds of searches a second from
        # 127.0.0.1: the per-client search rate limit is off for it.
        env = django_env(self.data_dir, production=True, GUNICORN_BIND=f"127.0.0.1:{self.port}",
                         GUNICORN_LOGLEVEL="warning", **{"ARCHIVE_SEARCH_RATE": 0, **self.env})
        gunicorn = Path(PY).parent / "gunicorn"
        cmd = [str(gunicorn)] if gunicorn.exists() else [PY, "-m", "gunicorn"]
        self._log = open(self.log_path, "ab")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(cmd + ["-c", "config/gunicorn.py", "config.wsgi"], cwd=ROOT, env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def first_search(self, q="落实", timeout=120.0):
        """Seconds from spawning gunicorn to the first 200 from /api/search."""
        path = search_path("/api/search", q)
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn exited {self.proc.returncode}; see {self.log_path}:\n{self.tail()}")
            client = Client(self.port, timeout=max(1.0, deadline - time.perf_counter()))
            try:
                status, _h, _b = client.get(path)
                if status == 200:
                    return time.perf_counter() - self.started
            except (ConnectionRefusedError, ConnectionResetError, OSError):
                pass
            finally:
                client.close()
            time.sleep(0.005)
        raise BenchError(f"no search answered within {timeout} s:\n{self.tail()}")

    def workers(self):
        return children(self.proc.pid) if self.proc else []

    def tail(self):
        try:
            return Path(self.log_path).read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                import os

                os.killpg(self.proc.pid, signal.SIGKILL)  # the group this run created
                self.proc.wait(10)
        self._log.close()
        self.proc = None


# ====================================================================== the run
class Bench:
    def __init__(self, args):
        self.args = args
        WORK_PARENT.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(prefix="run-", dir=args.workdir or WORK_PARENT))
        self.r = {"machine": machine(), "args": vars(args).copy(), "import": {}, "started": time.strftime(
            "%Y-%m-%d %H:%M:%S %z")}
        self.search_size = max(args.sizes)
        self.search_dir = None
        self.corpus = None  # folded texts etc. of the search size
        self.commands = []

    # ---------------------------------------------------------------- helpers
    def mark(self, step):
        """Log a step and record when it started, the load average and the
        code fingerprint (other people may be editing the code meanwhile)."""
        log(step)
        self.r.setdefault("steps", []).append({"step": step, "t": time.perf_counter() - _T0,
                                               "loadavg": loadavg(), "code": code_fingerprint()})

    def note_cmd(self, text):
        if text not in self.commands:
            self.commands.append(text)

    def fresh_dir(self, name, db_from=None):
        """A new data dir holding a migrated empty database (or a copy of `db_from`'s)."""
        d = self.work / name
        if d.exists():
            shutil.rmtree(d)
        d.mkdir()
        src = db_from or self.template
        for f in Path(src).glob("db.sqlite3*"):
            shutil.copy2(f, d / f.name)
        return d

    # ---------------------------------------------------------------- step 0
    def prepare(self):
        log(f"work dir {self.work}")
        # jieba's dictionary cache (jieba.cache in the temp dir) is written once here.
        if not (Path(tempfile.gettempdir()) / "jieba.cache").exists():
            run([PY, "-c", "import jieba, logging; jieba.setLogLevel(logging.WARNING); jieba.initialize()"],
                django_env(self.work), 300, "jieba cache warm-up")
        self.template = self.work / "template"
        self.template.mkdir()
        # With --quick, steps that do not depend on each other overlap (the
        # figures of a smoke run are not for quoting); otherwise every
        # measured command runs alone.
        self.overlap = self.args.quick
        self.migrate_job = manage_job(["migrate", "--noinput", "-v0"], django_env(self.template))
        self.deferred = []  # (job, callback) collected before the HTTP steps
        if not self.overlap:
            self.template_ready()
        self.note_cmd("manage.py migrate --noinput   # once; each data dir starts from a copy of this empty database")

    def stop_background(self):
        """After a failure: stop the subprocesses still running in the background (our own children)."""
        jobs = [job for job, _done in getattr(self, "deferred", [])]
        if getattr(self, "migrate_job", None) is not None:
            jobs.append(self.migrate_job)
        for job in jobs:
            if job.ended is None:
                job.proc.kill()
        for _args, proc in getattr(self, "setup_jobs", []):
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

    def template_ready(self):
        if self.migrate_job is not None:
            self.migrate_job.wait()
            self.migrate_job = None

    def collect_deferred(self):
        for job, done in self.deferred:
            done(*job.wait())
        self.deferred = []

    # ---------------------------------------------------------------- step 1
    def corpus_for(self, size):
        """Generate the corpus files and the JSONL of its texts (and, for the
        search size, keep folded texts for the brute-force counts)."""
        cdir = self.work / f"corpus-{size}"
        texts_path = self.work / f"texts-{size}.jsonl"
        keep = size == self.search_size
        t = time.perf_counter()
        chars, corpus = write_corpus(cdir, size, self.args.seed, texts_path, keep)
        gen_s = time.perf_counter() - t
        info = {"files": len(list(cdir.glob("*.txt")))}
        if info["files"] != size:
            raise BenchError(f"expected {size} corpus files, found {info['files']}")
        if keep:
            self.corpus = corpus
        self.note_cmd(f"python -m bench.generate DIR --count {size} --seed {self.args.seed}   "
                      "# the same files, written from bench.generate.corpus_texts + render in one pass")
        log(f"corpus {size}: {info['files']} files, {chars:,} chars (titles+paragraphs), generated in {gen_s:.1f} s")
        return cdir, texts_path, chars

    def import_runs(self, size):
        cdir, texts_path, chars = self.corpus_for(size)
        runs = self.args.large_runs if size >= LARGE else self.args.runs
        rows = []
        for r in range(runs):
            row = {"run": r + 1}
            # jieba alone on the same text, fresh process, cached dictionary.
            row["loadavg"] = loadavg()
            self.mark(f"{size} run {r + 1}: jieba alone, import_essays, rebuild_index")
            jieba = Job([PY, "-m", "bench.jieba_alone", str(texts_path)], django_env(self.work), 7200, "jieba alone")

            def jieba_done(_s, cpu, out, row=row, r=r):
                row["jieba"] = last_json(out)
                row["jieba_process_cpu_s"] = cpu
                log(f"  {size} run {r + 1}: jieba alone {row['jieba']['seconds']:.1f} s "
                    f"(dict load {row['jieba']['dict_load_s']:.2f} s)")

            if not self.overlap:
                jieba_done(*jieba.wait())
            self.template_ready()
            # The real import path.
            d = self.fresh_dir(f"import-{size}-{r + 1}")
            secs, cpu, out = manage_job(["import_essays", str(cdir)], django_env(d), timeout=7200).wait()
            if self.overlap:
                jieba_done(*jieba.wait())
            if f"created {size}," not in out:
                raise BenchError(f"import of {size} essays did not create them all: {out}")
            row["import_s"] = secs
            row["import_cpu_s"] = cpu
            row["index_bytes"] = dir_size(d / "index")
            row["db_bytes"] = db_size(d)
            row["index_files"] = len(list((d / "index").glob("*")))
            log(f"  {size} run {r + 1}: import_essays {secs:.1f} s, index {row['index_bytes'] / 1e6:.1f} MB, "
                f"db {row['db_bytes'] / 1e6:.1f} MB")
            # rebuild_index alone, in a fresh dir holding a copy of that database.
            d2 = self.fresh_dir(f"rebuild-{size}-{r + 1}", db_from=d)
            rebuild = manage_job(["rebuild_index"], django_env(d2), timeout=7200)

            def rebuild_done(secs, cpu, _out, row=row, r=r, d2=d2):
                row["rebuild_s"] = secs
                row["rebuild_cpu_s"] = cpu
                row["rebuild_index_bytes"] = dir_size(d2 / "index")
                log(f"  {size} run {r + 1}: rebuild_index {secs:.1f} s")
                shutil.rmtree(d2)

            if self.overlap:
                self.deferred.append((rebuild, rebuild_done))
            else:
                rebuild_done(*rebuild.wait())
            if size == self.search_size and r == runs - 1:
                self.search_dir = d
            else:
                shutil.rmtree(d)
            rows.append(row)
        if size == min(self.args.sizes) and self.args.profile_import and not self.args.skip_profiles:
            self.profile_import(cdir, size)
        shutil.rmtree(cdir)
        texts_path.unlink()
        self.note_cmd("manage.py import_essays CORPUS_DIR   # fresh data dir (ARCHIVE_DATA_DIR), config.settings")
        self.note_cmd("manage.py rebuild_index              # fresh data dir holding a copy of that import's database")
        self.note_cmd("python -m bench.jieba_alone TEXTS.jsonl   # jieba.lcut(HMM=True) over the same titles+paragraphs")
        self.r["import"][size] = {"essays": size, "chars": chars, "runs": rows}

    def profile_import(self, cdir, size):
        self.mark("import profile")
        n = min(self.args.profile_import, size)
        pdir = self.work / "profile-corpus"
        pdir.mkdir()
        for f in sorted(cdir.glob("*.txt"))[:n]:
            shutil.copy2(f, pdir / f.name)
        d = self.fresh_dir("profile-import")
        _s, out = run([PY, "-m", "bench.inproc", "profile-import", str(pdir)], django_env(d), 3600,
                      "import profile")
        self.r["profile_import"] = last_json(out)
        log(f"  import profile ({n} essays): {self.r['profile_import']['wall_s']:.1f} s under cProfile")
        shutil.rmtree(pdir)
        shutil.rmtree(d)

    # ---------------------------------------------------------------- step 2
    def build_queries(self):
        """The query set with expected counts from a brute-force scan of the
        generated text under the search contract (fold; jieba words)."""
        from search import analysis

        analysis.load()
        folded, raw = self.corpus["folded"], self.corpus["raw"]
        size = self.search_size
        rng = random.Random(f"bench.run:{self.args.seed}")

        def count(terms):
            return sum(1 for t in folded if all(w in t for w in terms))

        def words_of(q):
            return [w for chunk in q.split() for w in analysis.words(chunk)]

        queries = []
        for w in WORDS:
            queries.append({"cls": "word", "q": w, "expected": count(words_of(w))})
        for q in MULTI:
            queries.append({"cls": "multi", "q": q, "expected": count(words_of(q))})
        for length in QUOTE_LENGTHS:
            for _ in range(200):
                paragraphs = raw[rng.randrange(len(raw))]
                p = paragraphs[rng.randrange(len(paragraphs))]
                if len(p) <= length:
                    continue
                start = rng.randrange(len(p) - length)
                cut = p[start:start + length]
                f = contract_fold(cut)
                if len(f) >= 2 and '"' not in cut:
                    queries.append({"cls": "quote", "q": f'"{cut}"', "expected": count([f]), "cut": True})
                    break
        for quote, seqs in gen.quote_seqs(size).items():
            brute = count([contract_fold(quote)])
            queries.append({"cls": "quote", "q": f'"{quote}"', "expected": len(seqs), "brute": brute,
                            "quote_seqs": True})
        for w in COMMON:
            queries.append({"cls": "common", "q": w, "expected": count(words_of(w))})
        if self.args.queries_per_class:
            # Smoke runs: the first N of each class (the quote_seqs quotations are last in theirs,
            # so keep one of them).
            keep = []
            for cls in CLASSES:
                mine = [q for q in queries if q["cls"] == cls]
                chosen = mine[:self.args.queries_per_class]
                if cls == "quote":
                    chosen = chosen[:-1] + [next(q for q in mine if q.get("quote_seqs"))]
                keep += chosen
            queries = keep
        self.wide = wide_queries(raw, random.Random(f"bench.run:wide:{self.args.seed}"), self.args.wide,
                                 {q["q"] for q in queries}) if self.args.wide else []
        self.queries = queries
        self.queries_path = self.work / "queries.json"
        self.queries_path.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
        self.corpus = None  # free the memory before the servers start
        self.r["queries"] = queries
        log(f"{len(queries)} queries with brute-force expected counts")

    def inprocess_latency(self):
        self.mark("in-process latency")
        job = Job([PY, "-m", "bench.inproc", "latency", str(self.queries_path), "--reps", str(self.args.reps)],
                  django_env(self.search_dir, ARCHIVE_SEARCH_CACHE=0), 3600, "in-process latency")

        def done(_s, _cpu, out):
            res = last_json(out)
            self.r["inproc"] = res
            log(f"in-process latency done (view load {res['view_load_s']:.2f} s)")

        self.note_cmd(f"python -m bench.inproc latency QUERIES.json --reps {self.args.reps}   "
                      "# service.search in one Django process (config.settings, ARCHIVE_SEARCH_CACHE=0), "
                      "1 warm-up per query")
        if self.overlap:  # runs beside the HTTP steps (smoke runs only)
            self.deferred.append((job, done))
        else:
            done(*job.wait())

    # ---------------------------------------------------------------- steps 2-4 over HTTP
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
        srv = Server(d, log_path, ARCHIVE_SEARCH_CACHE=0).start()
        try:
            srv.first_search()
            time.sleep(0.2 if self.args.quick else 1.0)
            self.http_latency(srv, "http_latency_nocache")
            self.throughput(srv, "throughput_nocache", essays=False)
            # The upload changes the archive, so it comes last: anything still
            # reading it (the in-process step of a --quick run) must be done.
            self.collect_deferred()
            self.admin_upload(srv)
        finally:
            srv.stop()

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
    def execute(self):
        try:
            self.prepare()
            for size in sorted(self.args.sizes):
                log(f"import + index of {size} essays")
                self.import_runs(size)
            self.server_setup_start()
            try:
                self.build_queries()
            finally:
                self.server_setup_wait()
            self.inprocess_latency()
            self.http_steps()
            self.collect_deferred()
            if not self.args.skip_profiles:
                self.profile_worst_query()
        finally:
            self.stop_background()
            self.r["loadavg_end"] = loadavg()
            self.r["total_s"] = time.perf_counter() - _T0
            self.r["commands"] = self.commands
            raw = WORK_PARENT / "last-results.json"
            raw.write_text(json.dumps(self.r, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
            if not self.args.keep:
                shutil.rmtree(self.work, ignore_errors=True)
        text = report(self.r, self.commands, self.args)
        out = Path(self.args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        log(f"wrote {out} (raw results: {raw})")
        return self.r


# ====================================================================== corpus
def write_corpus(cdir, size, seed, texts_path, keep=False):
    """Write the essay files exactly as bench.generate.generate(cdir, size, seed)
    does, in one pass over bench.generate.corpus_texts that also writes the
    texts for jieba alone (JSONL: [title, paragraph, ...] per essay). Returns
    (characters of titles + paragraphs, corpus) where corpus, with `keep`,
    holds the folded texts (title + paragraphs joined by newlines, as the
    index does) and raw paragraphs of every essay for the brute-force counts."""
    cdir = Path(cdir)
    cdir.mkdir(parents=True, exist_ok=True)
    chars = 0
    folded, raw = [], []
    with open(texts_path, "w", encoding="utf-8") as fh:
        for seq, title, paragraphs in gen.corpus_texts(size, seed):
            (cdir / f"{seq:06d}.txt").write_bytes(gen.render(seq, title, paragraphs).encode("utf-8"))
            fh.write(json.dumps([title, *paragraphs], ensure_ascii=False) + "\n")
            chars += len(title) + sum(map(len, paragraphs))
            if keep:
                folded.append(contract_fold(title) + "\n" + "\n".join(contract_fold(p) for p in paragraphs))
                raw.append(paragraphs)
    gen.write_manifest(cdir, size, seed)
    return chars, ({"folded": folded, "raw": raw} if keep else None)


# ====================================================================== analysis
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


def fmt(x, digits=1):
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return f"{x:,}"


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


def report(r, commands, args):
    L = []
    w = L.append
    mc = r["machine"]
    w("# Benchmarks")
    w("")
    w(f"Generated by `make bench` (`python -m bench.run`) on {r['started']}; total run time "
      f"{r['total_s'] / 60:.1f} min. **Do not edit by hand**: re-run the benchmark.")
    w("")
    w("Every figure is the **median** of the runs made in this one invocation, and every ratio compares "
      "numbers measured in the same invocation (the machine is shared and noisy: load average "
      f"{mc['loadavg_start']} at the start, {r.get('loadavg_end', '?')} at the end).")
    w("")
    codes = sorted({st["code"] for st in r.get("steps", [])} | {mc.get("code")})
    if len(codes) > 1:
        w(f"**Warning: the measured code changed during this run** (fingerprints {', '.join(codes)}; see the run log "
          "at the end): figures of different steps may belong to different versions.")
        w("")
    w("## Machine and software")
    w("")
    w(f"- CPU: {mc['cpus']} × {mc['cpu_model']} ({mc['cpus_usable']} usable); memory {mc['memory_gb']} GB; "
      f"Linux {mc['kernel']}")
    w(f"- Python {mc['python']} ({mc['implementation']}); " + ", ".join(f"{k} {v}" for k, v in mc["packages"].items()))
    w(f"- Code measured: sha256 `{mc.get('code', '?')}` of search/, essays/, config/, templates/ "
      "(`bench.common.code_fingerprint`; other work may have changed these files since)")
    w(f"- Options: sizes {','.join(map(str, args.sizes))}; runs {args.runs} (import runs for sizes ≥ {LARGE:,}: "
      f"{args.large_runs}); {args.reps} timed repetitions per query after one warm-up; load phases of "
      f"{args.duration:g} s × {args.runs}; {args.uploads} uploads; seed {args.seed}"
      + ("; **--quick (smoke run, not for quoting)**" if args.quick else ""))
    w("")
    w("## Commands")
    w("")
    w("```sh")
    w(f"python -m bench.run --sizes {','.join(map(str, args.sizes))} --runs {args.runs} --large-runs {args.large_runs}"
      + (" --quick" if args.quick else ""))
    w("# which runs, each Django command as a subprocess with ARCHIVE_DATA_DIR=<fresh temp data dir>:")
    for c in commands:
        w(c)
    w("```")
    w("")

    trows, _big = targets(r)
    w("## Targets")
    w("")
    w("| target | measured | | by how much |")
    w("|---|---|---|---|")
    for t, meas, m, how in trows:
        w(f"| {t} | {meas} | {m} | {how} |")
    w("")

    # ---- 1. import
    w("## 1. Import and indexing")
    w("")
    w("Wall time of `manage.py import_essays DIR` (parse every file, store it, index it; a fresh data dir) and of "
      "`manage.py rebuild_index` (a fresh data dir with a copy of that database), both including process start-up, "
      "against jieba alone (`jieba.lcut(text, HMM=True)` over every title and paragraph of the same corpus, in a "
      "fresh process, dictionary loaded from jieba's cache and timed separately). Characters are those of titles and "
      "paragraphs.")
    w("")
    w("| essays | characters | jieba alone | import_essays | essays/s | chars/s | × jieba | rebuild_index | essays/s | × jieba |"
      " index on disk (after import) | per 1,000 essays | after rebuild_index | per 1,000 | database | runs |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for size in sorted(r["import"]):
        x = r["import"][size]
        runs = x["runs"]
        j = median([y["jieba"]["seconds"] for y in runs])
        imp = median([y["import_s"] for y in runs])
        reb = median([y["rebuild_s"] for y in runs])
        ix = median([y["index_bytes"] for y in runs])
        rix = median([y["rebuild_index_bytes"] for y in runs])
        dbb = median([y["db_bytes"] for y in runs])
        ri = median([y["import_s"] / y["jieba"]["seconds"] for y in runs])
        rr = median([y["rebuild_s"] / y["jieba"]["seconds"] for y in runs])
        w(f"| {size:,} | {x['chars']:,} | {j:.1f} s | {imp:.1f} s | {size / imp:,.0f} | {x['chars'] / imp:,.0f} | "
          f"**{ri:.2f}×** | {reb:.1f} s | {size / reb:,.0f} | **{rr:.2f}×** | {ix / 1e6:.1f} MB | "
          f"{ix / 1e6 / size * 1000:.2f} MB | {rix / 1e6:.1f} MB | {rix / 1e6 / size * 1000:.2f} MB | "
          f"{dbb / 1e6:.1f} MB | {len(runs)} |")
    w("")
    w("Per run, wall seconds and, as a check against the noise of a shared machine, CPU seconds (user + system: "
      "of the whole command process for import/rebuild, of the segmentation loop for jieba):")
    w("")
    w("| essays | run | load avg before | jieba alone | jieba chars/s | import_essays | rebuild_index | import/jieba | "
      "rebuild/jieba | jieba CPU | import CPU | rebuild CPU | import/jieba CPU | rebuild/jieba CPU |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for size in sorted(r["import"]):
        for y in r["import"][size]["runs"]:
            j = y["jieba"]
            w(f"| {size:,} | {y['run']} | {y.get('loadavg', '?')} | {j['seconds']:.1f} | {j['chars_per_s']:,.0f} | "
              f"{y['import_s']:.1f} | {y['rebuild_s']:.1f} | {y['import_s'] / j['seconds']:.2f} | "
              f"{y['rebuild_s'] / j['seconds']:.2f} | {j['cpu_s']:.1f} | {y['import_cpu_s']:.1f} | "
              f"{y['rebuild_cpu_s']:.1f} | {y['import_cpu_s'] / j['cpu_s']:.2f} | {y['rebuild_cpu_s'] / j['cpu_s']:.2f} |")
    w("")
    all_runs = [y for x in r["import"].values() for y in x["runs"]]
    project = r.get("inproc", {}).get("jieba_load_s")
    w(f"jieba dictionary load (from its cache, `jieba.initialize()`, median of the jieba-alone runs): "
      f"{median([y['jieba']['dict_load_s'] for y in all_runs]):.2f} s; the project's `search.analysis.load()` "
      f"(cache + user dictionary `search/dict/policy_terms.txt`, measured in the in-process step): "
      f"{fmt(project, 2)} s. Neither is included in the jieba-alone times above; both are included in the "
      "command times (every command is a fresh process that loads Django and jieba).")
    w("")

    # ---- 2. latency
    size = max(r["import"])
    if "inproc" in r:
        ip = r["inproc"]
        w(f"## 2. Search latency at {size:,} essays")
        w("")
        w(f"The index built by `import_essays` ({ip['segments']} Whoosh segment(s), {ip['live_docs']:,} live documents, "
          f"{ip['folded_chars']:,} folded characters held in memory). Each query runs once to warm up, then "
          f"{args.reps} timed times; p50/p95 are over all timed requests of the class. In-process = "
          "`search.service.search(q)` in one Django process; HTTP = sequential requests from the benchmark process to "
          f"gunicorn ({r.get('workers', '?')} workers, production settings) on 127.0.0.1, full response read.")
        w("")
        w("Two servers answered: first one with the default per-process result cache (a query repeated, or "
          "paged through, is served from it until the index changes), then one started with "
          "`ARCHIVE_SEARCH_CACHE=0`, where no ranked answer and no hit is kept: every request is ranked, "
          "ordered and given its snippets and database rows afresh. What a running server keeps between requests "
          "stays: the term cache (the exact document sets of terms already tested, so a term seen before is not "
          "tested again), character sets scanned for title searches, decoded postings and BM25 weights. The "
          "in-process step runs with the result cache off. *First request* is each query's warm-up request on the "
          "cache-off server: the first time a worker sees the query (and often its terms).")
        w("")
        w("| class | queries | in-process p50 | p95 | first in-process p95 | API p50 (cache off) | p95 | "
          "page p50 (cache off) | p95 | first request, API p95 | API p50 (cache on) | p95 | page p50 (cache on) | p95 |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        ips = class_stats(ip["queries"])
        ipf = class_stats([{**q, "times_s": [q["first_s"]]} for q in ip["queries"]])
        on = {e: class_stats(rows) for e, rows in r.get("http_latency", {}).items()}
        off = {e: class_stats(rows) for e, rows in r.get("http_latency_nocache", {}).items()}
        first = class_stats([{**q, "times_s": [q["first_s"]]} for q in r.get("http_latency_nocache", {}).get("api", [])
                             if "first_s" in q])
        for cls, label in CLASSES.items():
            n = sum(1 for q in r["queries"] if q["cls"] == cls)
            a = ips.get(cls, (None, None, 0))
            af = ipf.get(cls, (None, None, 0))
            b = off.get("api", {}).get(cls, (None, None, 0))
            c = off.get("page", {}).get(cls, (None, None, 0))
            f = first.get(cls, (None, None, 0))
            d = on.get("api", {}).get(cls, (None, None, 0))
            e = on.get("page", {}).get(cls, (None, None, 0))
            w(f"| {label} | {n} | {fmt(a[0])} ms | {fmt(a[1])} ms | {fmt(af[1])} ms | {fmt(b[0])} ms | "
              f"**{fmt(b[1])} ms** | {fmt(c[0])} ms | **{fmt(c[1])} ms** | {fmt(f[1])} ms | {fmt(d[0])} ms | "
              f"**{fmt(d[1])} ms** | {fmt(e[0])} ms | **{fmt(e[1])} ms** |")
        w("")
        w("Every query, its count and whether the count is exact (expected = brute-force scan of the generated text "
          "under the contract, folded by `bench.common.contract_fold`, written apart from the project's fold; jieba "
          "words for unquoted chunks; for the `bench.generate.quote_seqs` quotations the expected number is the "
          "number of essays it was inserted into, and the brute-force count is shown beside it). Counts from "
          "both servers:")
        w("")
        w("| class | query | expected | in-process | API (cache off) | page (cache off) | exact (all six) | "
          "in-process p50 | API p50 (cache off) | "
          "page p50 (cache off) | first request (API) |")
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        rows_of = {(key, e): {x["q"]: x for x in r.get(key, {}).get(e, [])}
                   for key, _how in LATENCY_RUNS for e in ("api", "page")}
        for q in ip["queries"]:
            a = rows_of[("http_latency_nocache", "api")].get(q["q"])
            p = rows_of[("http_latency_nocache", "page")].get(q["q"])
            counts = [q["count"]] + [rows.get(q["q"], {}).get("count") for rows in rows_of.values()]
            ok = all(c == q["expected"] for c in counts)
            exp = f"{q['expected']:,}" + (f" (brute force {q['brute']:,})" if "brute" in q else "")
            shown = q["q"].replace("|", "\\|")
            w(f"| {q['cls']} | `{shown}` | {exp} | {fmt(q['count'])} | {fmt(a and a['count'])} | "
              f"{fmt(p and p['count'])} | {'yes' if ok else '**NO**'} | {median(q['times_s']) * 1000:.1f} ms | "
              f"{fmt(a and median(a['times_s']) * 1000)} ms | {fmt(p and median(p['times_s']) * 1000)} ms | "
              f"{fmt(a and a.get('first_s', 0) * 1000)} ms |")
        w("")

    # ---- 3. throughput, memory, start-up
    if r.get("throughput"):
        w("## 3. Throughput, memory and start-up")
        w("")
        w(f"gunicorn with `config/gunicorn.py` ({r.get('workers')} sync workers = cores, preload, production settings, "
          f"access log on), loaded from a separate process (`python -m bench.load`: {r['concurrency']} threads, "
          f"http.client, no think time) for {args.duration:g} s per phase, {args.runs} runs; first with the result "
          "cache on (the default), then on a server started with `ARCHIVE_SEARCH_CACHE=0`. The load generator runs on "
          "the same 2 cores as the server; its own CPU time is shown.")
        w("")
        w("| server | phase | requests/s (median) | runs | errors | latency p50 | p95 | p99 | server CPU per request | "
          "load generator CPU |")
        w("|---|---|---|---|---|---|---|---|---|---|")
        labels = {"search_api": "searches, JSON API (all query classes, mixed)",
                  "search_page": "searches, HTML page (same mix)", "essay_page": "essay pages `/essays/<id>/`"}
        for key, how_served in THROUGHPUT_RUNS[::-1]:
            for name, runs in r.get(key, {}).items():
                w(f"| {how_served} | {labels[name]} | **{median([x['rps'] for x in runs]):,.1f}** | "
                  f"{', '.join(format(x['rps'], '.1f') for x in runs)} | {sum(x['errors'] for x in runs)} | "
                  f"{median([x['latency_ms'].get('p50', 0) for x in runs]):,.0f} ms | "
                  f"{median([x['latency_ms'].get('p95', 0) for x in runs]):,.0f} ms | "
                  f"{median([x['latency_ms'].get('p99', 0) for x in runs]):,.0f} ms | "
                  f"{median([x['server_cpu_ms_per_req'] for x in runs]):,.1f} ms | "
                  f"{median([x['loadgen_cpu_s'] / x['duration_s'] for x in runs]) * 100:.0f}% of a core |")
        w("")
        w("Memory after the load (from `/proc/<pid>/smaps_rollup`; RSS counts pages shared with the master, PSS "
          "splits them between the processes sharing them, private (USS) is what the process alone holds):")
        w("")
        w("| server | process | RSS | PSS | private (USS) |")
        w("|---|---|---|---|---|")
        mem_rows = list(THROUGHPUT_RUNS[::-1])
        if r.get("wide"):
            mem_rows.append(("wide", f"result cache on, after the wide mix ({r['wide']['queries']:,} distinct queries)"))
        for key, how_served in mem_rows:
            mem = r.get("memory_by", {}).get(key)
            if not mem:
                continue
            if mem["master"]:
                m = mem["master"]
                w(f"| {how_served} | master | {m['rss']:.1f} MB | {m['pss']:.1f} MB | {m['uss']:.1f} MB |")
            for pid, m in mem["workers"].items():
                if m:
                    w(f"| {how_served} | worker {pid} | **{m['rss']:.1f} MB** | {m['pss']:.1f} MB | {m['uss']:.1f} MB |")
        w("")
        if r.get("wide"):
            wd = r["wide"]
            w(f"The wide mix, on the result-cache-on server after its load phases: {wd['queries']:,} distinct queries "
              "drawn from the corpus (words 35%, quotations of 2–12 characters 25%, two or three words 20%, "
              "`title:` words 10%, a word without another 10%; `bench.run.wide_queries`), each sent once, API and "
              f"page in turn, {wd['concurrency']} threads: every query is new to the server, so nothing of it is cached "
              "yet and the caches fill up to their bounds, as in a worker that has served for long. "
              f"**{wd['rps']:,.1f} searches/s**, {wd['errors']} errors, latency p50 "
              f"{wd['latency_ms'].get('p50', 0):,.0f} ms, p95 {wd['latency_ms'].get('p95', 0):,.0f} ms, server CPU "
              f"{wd['server_cpu_ms_per_req']:,.1f} ms a search; worker memory after it is in the table above.")
            w("")
        if "inproc" in r:
            ip = r["inproc"]
            w(f"In one process (in-process step): RSS {ip['rss_start_mb']:.0f} MB at start, "
              f"{ip['rss_after_jieba_mb']:.0f} MB after Django + jieba's dictionary, {ip['rss_after_view_mb']:.0f} MB "
              f"after loading the search read view ({ip['rss_after_view_mb'] - ip['rss_after_jieba_mb']:.0f} MB for "
              f"{ip['live_docs']:,} essays); Django set-up {ip['django_setup_s']:.2f} s, jieba load "
              f"{ip['jieba_load_s']:.2f} s, read view load {ip['view_load_s']:.2f} s.")
            w("")
        w(f"Start-up: from spawning gunicorn to the first `/api/search` answered 200 (polled every 5 ms): "
          f"median **{median(r['startup_s']):.2f} s** (runs: {', '.join(f'{x:.2f}' for x in r['startup_s'])} s).")
        w("")
    if r.get("upload"):
        up = r["upload"]
        w("## 4. An essay uploaded through the admin")
        w("")
        w(f"Logged in as a superuser over HTTP, each time one file with a unique sentence posted to "
          f"`/admin/essays/essay/upload/` on the {size:,}-essay archive, then `/api/search?q=\"<sentence>\"` polled until "
          "it returns the essay (count 1).")
        w("")
        w("| upload | POST (parse, save, index) | POST returned → found | POST sent → found | polls | next 6 searches found it |")
        w("|---|---|---|---|---|---|")
        for i, x in enumerate(up, 1):
            w(f"| {i} | {x['post_s'] * 1000:,.0f} ms | {x['saved_to_found_s'] * 1000:,.0f} ms | "
              f"{x['post_start_to_found_s'] * 1000:,.0f} ms | {x['polls']} | {'yes' if x['later_all_found'] else 'NO'} |")
        w(f"| **median** | **{median([x['post_s'] for x in up]) * 1000:,.0f} ms** | "
          f"**{median([x['saved_to_found_s'] for x in up]) * 1000:,.0f} ms** | "
          f"**{median([x['post_start_to_found_s'] for x in up]) * 1000:,.0f} ms** | | |")
        w("")

    if r.get("steps"):
        w("## Run log")
        w("")
        w("| started at | step | load average (1, 5, 15 min) | code |")
        w("|---|---|---|---|")
        for st in r["steps"]:
            w(f"| {st['t'] / 60:.1f} min | {st['step']} | {st['loadavg']} | `{st['code']}` |")
        w("")

    # ---- profiles
    w("## Profiles")
    w("")
    for key, title in (("profile_query", "Worst query class, through its endpoint"),
                       ("profile_query_service", "Worst query class, `search.service.search` only"),
                       ("profile_import", "Import")):
        p = r.get(key)
        if not p:
            continue
        if key == "profile_import":
            w(f"### {title}: `import_essays` of {p['files']} essays, in-process under cProfile "
              f"({p['wall_s']:.1f} s wall)")
        else:
            w(f"### {title}: class {CLASSES.get(p['cls'], p['cls'])} via {p['endpoint']} "
              f"({p['calls']} requests, {p['per_call_ms']:.1f} ms each under cProfile)")
            if key == "profile_query" and r.get("worst"):
                w("")
                w(f"Chosen because it has the highest HTTP p95: {r['worst']['p95_ms']:.1f} ms.")
        w("")
        w("Where the time goes (cumulative time of key functions, share of the profiled total):")
        w("")
        w("| part | function | calls | cumulative | share |")
        w("|---|---|---|---|---|")
        for t in p["table"]:
            w(f"| {t['label'].strip()} | `{t['function']}` | {t['calls']:,} | {t['cum_s']:.2f} s | {t['share'] * 100:.0f}% |")
        w("")
        w("cProfile, top functions by cumulative time:")
        w("")
        w("```")
        w(p["text"].rstrip())
        w("```")
        w("")
    return "\n".join(L) + "\n"


# ====================================================================== CLI
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
