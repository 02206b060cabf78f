"""Helpers shared by the benchmark modules: subprocesses with a Django
environment, sizes on disk, process memory and the machine's facts; the
statistics and free_port are the tests' (tests.support), re-exported.

Nothing here imports Django: the orchestrator (bench.run) stays a plain
process and every Django command runs as a subprocess with its own
environment (ARCHIVE_DATA_DIR, DJANGO_SETTINGS_MODULE, ...)."""
import importlib.metadata
import json
import os
import platform
import secrets
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.support.net import free_port  # noqa: F401  (re-exported)
from tests.support.oracle import fold as oracle_fold
from tests.support.stats import median, percentile  # noqa: F401  (re-exported)

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PACKAGES = ("Django", "Whoosh-Reloaded", "jieba", "gunicorn", "whitenoise", "beautifulsoup4", "lxml")
CLK_TCK = os.sysconf("SC_CLK_TCK")
LARGE = 10_000  # sizes from here on use --large-runs import runs

# One random production key per benchmark process (never written anywhere).
SECRET_KEY = secrets.token_urlsafe(48)  # 64 characters


# The search contract's fold from its definition, not from search.analysis:
# the brute-force counts must not share the code they check.
contract_fold = oracle_fold


class BenchError(RuntimeError):
    """A step failed; the message says which command and shows its output."""


# ------------------------------------------------------------ processes
def django_env(data_dir, production=False, **extra):
    """The environment of a manage.py / gunicorn subprocess for one data dir."""
    env = dict(os.environ)
    for name in ("DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS", "DJANGO_BEHIND_PROXY", "GUNICORN_WORKERS"):
        env.pop(name, None)
    env.update(
        ARCHIVE_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="config.production" if production else "config.settings",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    if production:
        env.update(DJANGO_SECRET_KEY=SECRET_KEY, DJANGO_HTTPS="0")
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Job:
    """A subprocess started now and collected later: wall time from start to
    exit (recorded by a reaper thread, so it is exact however late `wait` is
    called) and its own CPU time (user + system, from wait4, including its
    reaped descendants). Output goes to temporary files, never a full pipe."""

    def __init__(self, cmd, env, timeout, what=None):
        self.cmd, self.timeout, self.what = cmd, timeout, what or shlex.join(cmd)
        self._out = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self._err = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self._out, stderr=self._err)
        self.ended = self.status = self.rusage = None
        self._reaper = threading.Thread(target=self._reap, daemon=True)
        self._reaper.start()

    def _reap(self):
        _pid, status, rusage = os.wait4(self.proc.pid, 0)
        self.ended = time.perf_counter()
        self.status, self.rusage = status, rusage
        self.proc.returncode = os.waitstatus_to_exitcode(status)

    def wait(self):
        """(wall seconds, CPU seconds, stdout); BenchError on failure or timeout."""
        self._reaper.join(max(0.0, self.started + self.timeout - time.perf_counter()))
        if self._reaper.is_alive():
            self.proc.kill()  # our own child, by its pid
            self._reaper.join(30)
            raise BenchError(f"{self.what}: timed out after {self.timeout} s")
        self._out.seek(0)
        self._err.seek(0)
        out, err = self._out.read(), self._err.read()
        self._out.close()
        self._err.close()
        if self.proc.returncode != 0:
            raise BenchError(f"{self.what} exited {self.proc.returncode}:\n{out[-3000:]}\n{err[-3000:]}")
        return self.ended - self.started, self.rusage.ru_utime + self.rusage.ru_stime, out


def timed(cmd, env, timeout, what=None):
    """Run a command to completion (bounded by `timeout`); returns (wall
    seconds, CPU seconds (user + system) of it and its children, stdout).
    Raises BenchError with the output tail on failure."""
    return Job(cmd, env, timeout, what).wait()


def run(cmd, env, timeout, what=None):
    """`timed` without the CPU time: (wall seconds, stdout)."""
    seconds, _cpu, out = timed(cmd, env, timeout, what)
    return seconds, out


def manage(args, env, timeout=600):
    return run([PY, "manage.py", *args], env, timeout, what="manage.py " + " ".join(args))


def manage_timed(args, env, timeout=600):
    return timed([PY, "manage.py", *args], env, timeout, what="manage.py " + " ".join(args))


def manage_job(args, env, timeout=600):
    return Job([PY, "manage.py", *args], env, timeout, what="manage.py " + " ".join(args))


def children(pid):
    """Pids of the direct children of `pid`."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[1]) == pid:
            out.append(int(entry))
    return sorted(out)


def memory_mb(pid):
    """{'rss': MB, 'pss': MB, 'uss': MB} of a process (smaps_rollup), or None."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            rows = dict(line.split(":", 1) for line in fh if ":" in line and not line.startswith(" "))
    except OSError:
        return None

    def kb(name):
        try:
            return int(rows[name].split()[0])
        except (KeyError, ValueError, IndexError):
            return 0

    uss = kb("Private_Clean") + kb("Private_Dirty")
    return {"rss": kb("Rss") / 1024, "pss": kb("Pss") / 1024, "uss": uss / 1024}


def cpu_seconds(pid):
    """User + system CPU seconds a process has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def dir_size(path):
    """Bytes of all files below `path` (0 if missing)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


def db_size(data_dir):
    return sum(dir_size(Path(data_dir) / n) for n in ("db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm"))


# ------------------------------------------------------------ the machine
def loadavg():
    try:
        with open("/proc/loadavg") as fh:
            return " ".join(fh.read().split()[:3])
    except OSError:
        return "?"


def code_fingerprint():
    """A short hash of the code measured (search/, essays/, config/, templates/),
    so a report can be matched with the commit it measured."""
    import hashlib

    h = hashlib.sha256()
    for folder in ("search", "essays", "config", "templates"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".html", ".txt"} and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def machine():
    """Facts about this machine and the software measured."""
    models, cores = [], 0
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    models.append(line.split(":", 1)[1].strip())
                elif line.startswith("processor"):
                    cores += 1
    except OSError:
        pass
    mem_kb = 0
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem_kb = int(line.split()[1])
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "cpu_model": sorted(set(models))[0] if models else platform.processor() or "?",
        "cpus": cores or os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "packages": versions,
        "loadavg_start": loadavg(),
        "code": code_fingerprint(),
    }


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
