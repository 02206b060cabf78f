"""The phases of `make bench` (bench.run): import and index runs against
jieba alone, the query set, in-process latency; the HTTP phases are
bench.http_phases. Each records its figures in `self.r` for bench.report."""
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

from . import generate as gen
from .common import (_T0, LARGE, PY, ROOT, BenchError, Job, code_fingerprint, contract_fold, db_size, dir_size,
                     django_env, last_json, loadavg, log, machine, manage_job, run)
from .http_phases import HttpPhases
from .queries import build_queries, half_word, wide_queries
from .report import report

WORK_PARENT = ROOT / "bench" / "out"


class Bench(HttpPhases):
    def __init__(self, args):
        self.args = args
        WORK_PARENT.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(prefix="run-", dir=args.workdir or WORK_PARENT))
        self.r = {"machine": machine(), "args": vars(args).copy(), "import": {}, "started": time.strftime(
            "%Y-%m-%d %H:%M:%S %z")}
        self.search_size = max(args.sizes)
        self.search_dir = None
        self.corpus = None  # folded texts etc. of the search size
        self.half_word = None  # a word in about half the essays, for the timeline target
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
        """The query set with brute-force expected counts (bench.queries),
        and the wide mix."""
        queries = build_queries(self.corpus, self.search_size, self.args.seed, self.args.queries_per_class)
        raw = self.corpus["raw"]
        self.wide = wide_queries(raw, random.Random(f"bench.run:wide:{self.args.seed}"), self.args.wide,
                                 {q["q"] for q in queries}) if self.args.wide else []
        self.queries = queries
        self.half_word = half_word(self.corpus["folded"])
        self.r["half_word"] = self.half_word
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
