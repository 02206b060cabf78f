"""A site for the reliability tests: a temporary data directory with its own
environment, on which manage.py commands run as subprocesses (migrate,
collectstatic, createsuperuser, import_essays, check_index, rebuild_index)
and a real gunicorn (config.production, 2 workers) is started on a free
127.0.0.1 port. Every process is started in its own session (process
group) and stopped by killing that group, in `finally` blocks. Traffic
only ever goes to 127.0.0.1 servers these helpers started."""
import atexit
import os
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from .http import ADMIN_PASSWORD, ADMIN_USER, Client
from .net import free_port
from .processes import _NOT_CODE, GUNICORN, NOBODY, PYTHON, ROOT, _alive, _as_nobody, nobody_python, stop
from .records import ARTIFACTS


class Site:
    """A temporary data directory plus the environment the site runs with.

    With `as_nobody=True` every process runs as the unprivileged user
    `nobody` (via setpriv), so file permissions apply to it; the tests run
    as root, for whom chmod would change nothing. Those processes run from
    a world-readable copy of the project's code under the site's temp
    folder, with a venv interpreter `nobody` can reach (nobody_python), so
    that the tests pass wherever the checkout lies."""

    def __init__(self, name, as_nobody=False, extra_env=None):
        # Under /tmp directly (not pytest's 0700 tmp dir) so `nobody` can use it.
        self.name = name
        self.root = Path(tempfile.mkdtemp(prefix="reliability-"))
        self.data = self.root / "data"
        self.logs = self.root / "logs"
        self.work = self.root / "work"
        for d in (self.data, self.logs, self.work):
            d.mkdir()
        self.as_nobody = as_nobody
        self.code, self.python_exe = ROOT, PYTHON
        if as_nobody:
            os.chmod(self.root, 0o755)
            for d in (self.data, self.logs, self.work):
                os.chown(d, *NOBODY)
            python, why = nobody_python()
            if python is None:
                shutil.rmtree(self.root, ignore_errors=True)
                raise NobodyCannotRun(why)
            self.python_exe = python
            self.code = self.root / "code"
            shutil.copytree(ROOT, self.code, ignore=_NOT_CODE)
            subprocess.run(["chmod", "-R", "a+rX", str(self.code)], check=True)
        self.port = None
        self.server = None
        self.server_log = None
        self.env = {
            k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "PYTEST", "GUNICORN_", "ARCHIVE_", "ESSAY_"))
        }
        self.env.update({
            "ARCHIVE_DATA_DIR": str(self.data),
            "DJANGO_SETTINGS_MODULE": "config.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters
            "DJANGO_HTTPS": "0",
            "GUNICORN_WORKERS": "2",
            # Load and fuzz tests search far faster than a reader, all from
            # 127.0.0.1; the rate limit's own test turns it on (extra_env).
            "ARCHIVE_SEARCH_RATE": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        })
        # gunicorn 27 opens a control socket at $HOME/.gunicorn/gunicorn.ctl
        # (or $XDG_RUNTIME_DIR): one path for every server of the user. A
        # HOME of its own keeps each test server (and other people's) apart.
        self.env.pop("XDG_RUNTIME_DIR", None)
        self.env["HOME"] = str(self.work)
        if as_nobody:
            # jieba keeps its dictionary cache in the temp dir; root's cache
            # in /tmp is private (0600), so `nobody` would rebuild it and
            # leave temp files in /tmp. Its own temp dir keeps /tmp clean.
            self.env["TMPDIR"] = str(self.work)
            cache = Path(tempfile.gettempdir()) / "jieba.cache"
            if cache.is_file():
                shutil.copy2(cache, self.work / "jieba.cache")
                os.chown(self.work / "jieba.cache", *NOBODY)
        self.env.update(extra_env or {})
        self._procs = []

    # paths
    @property
    def db(self):
        return self.data / "db.sqlite3"

    @property
    def index(self):
        return self.data / "index"

    def _cmd(self, argv):
        if not self.as_nobody:
            return argv
        # The project's interpreter and gunicorn, as `nobody` can run them.
        if argv[0] == PYTHON:
            argv = [self.python_exe, *argv[1:]]
        elif argv[0] == GUNICORN:
            argv = [self.python_exe, "-m", "gunicorn", *argv[1:]]
        return _as_nobody(argv)

    def manage(self, *args, timeout=300, check=True, env=None):
        """Run manage.py with the site's environment; return CompletedProcess."""
        proc = self.popen([PYTHON, "manage.py", *args], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(proc)
            raise AssertionError(f"manage.py {' '.join(args)} did not finish in {timeout} s")
        finally:
            stop(proc)
        result = subprocess.CompletedProcess(proc.args, proc.returncode, out.decode("utf-8", "replace"),
                                             err.decode("utf-8", "replace"))
        if check and result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} exited {result.returncode}:\n"
                                 f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def popen(self, argv, env=None, **kwargs):
        """Start a process (own session, so its whole group can be killed)."""
        full_env = dict(self.env, **(env or {}))
        proc = subprocess.Popen(self._cmd(argv), cwd=self.code, env=full_env, start_new_session=True, **kwargs)
        self._procs.append(proc)
        return proc

    def python(self, code, timeout=120, check=True):
        """Run a Python snippet with Django set up for this site."""
        prelude = "import django; django.setup()\n"
        return self._run([PYTHON, "-c", prelude + code], timeout, check)

    def _run(self, argv, timeout, check):
        proc = self.popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = proc.communicate(timeout=timeout)
        finally:
            stop(proc)
        result = subprocess.CompletedProcess(argv, proc.returncode, out.decode("utf-8", "replace"),
                                             err.decode("utf-8", "replace"))
        if check and result.returncode != 0:
            raise AssertionError(f"{argv[:3]} exited {result.returncode}:\n{result.stdout[-3000:]}\n"
                                 f"{result.stderr[-3000:]}")
        return result

    def setup_commands(self):
        """migrate, collectstatic and a superuser, as an operator would."""
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        self.manage("createsuperuser", "--noinput", env={
            "DJANGO_SUPERUSER_USERNAME": ADMIN_USER,
            "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
            "DJANGO_SUPERUSER_EMAIL": "editor@example.invalid",
        })

    def prepare(self, essays_dir=None):
        """A migrated database with the editor account and collected static
        files, then optionally an import. The set-up commands run once per
        test session (in a template data directory, with the same kind of
        environment); each site gets a copy, which saves ~10 s per site on
        this 2-core machine."""
        template = _template_data_dir()
        for item in template.iterdir():
            target = self.data / item.name
            if item.is_dir():
                shutil.copytree(item, target, dirs_exist_ok=True)
            else:
                shutil.copy2(item, target)
        if self.as_nobody:
            subprocess.run(["chown", "-R", f"{NOBODY[0]}:{NOBODY[1]}", str(self.data)], check=True)
        if essays_dir is not None:
            self.manage("import_essays", str(essays_dir))

    # server
    def start(self, timeout=60, port=None):
        """Start gunicorn (config/gunicorn.py, config.wsgi) and wait until it
        answers. Retries on another port if the chosen one was taken."""
        for attempt in range(3):
            self.port = port if (port and attempt == 0) else free_port()
            self.server_log = self.logs / f"gunicorn-{self.port}.log"
            log = open(self.server_log, "ab")
            try:
                self.server = self.popen([GUNICORN, "-c", "config/gunicorn.py", "config.wsgi"],
                                         env={"GUNICORN_BIND": f"127.0.0.1:{self.port}"},
                                         stdout=log, stderr=subprocess.STDOUT)
            finally:
                log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.server.poll() is not None:
                    break
                try:
                    status = Client(self.port, timeout=5).get("/api/essays").status
                    if status < 500 and self._workers_booted():
                        return self
                except OSError:
                    pass
                time.sleep(0.2)
            stop(self.server)
            if "Address already in use" not in self.log_text():
                break
        raise AssertionError(f"gunicorn did not start:\n{self.log_text()[-4000:]}")

    def _workers_booted(self):
        text = self.log_text()
        return text.count("Booting worker") >= int(self.env["GUNICORN_WORKERS"])

    def worker_pids(self):
        """Pids of the workers gunicorn booted, oldest first."""
        return [int(p) for p in re.findall(r"Booting worker with pid: (\d+)", self.log_text())]

    def reload_workers(self, timeout=60):
        """Replace the workers with fresh ones (gunicorn HUP: with
        preload_app they fork from the master, which never opened the
        index), and wait until the new ones booted and the old ones left."""
        old = self.worker_pids()
        os.kill(self.server.pid, signal.SIGHUP)
        want = len(old) + int(self.env["GUNICORN_WORKERS"])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.worker_pids()) >= want and not any(_alive(p) for p in old):
                return self
            time.sleep(0.1)
        raise AssertionError("gunicorn did not replace its workers:\n" + self.log_text()[-3000:])

    def restart(self):
        """Stop gunicorn and start it again on the same port (fresh workers)."""
        port = self.port
        self.stop_server()
        return self.start(port=port)

    def stop_server(self):
        stop(self.server, timeout=25)
        self.server = None

    def log_text(self):
        try:
            return self.server_log.read_text("utf-8", "replace") if self.server_log else ""
        except OSError:
            return ""

    def all_logs(self):
        return "\n".join(p.read_text("utf-8", "replace") for p in sorted(self.logs.glob("*.log")))

    def client(self, **kwargs):
        return Client(self.port, **kwargs)

    # database, read-only from the test's side
    def query(self, sql, params=()):
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def essay_count(self):
        try:
            return self.query("SELECT COUNT(*) FROM essays_essay")[0][0]
        except sqlite3.Error:
            return -1

    def close(self):
        """Stop everything this site started, keep its logs in
        test-artifacts/reliability-logs/<name>/ and remove its directory."""
        for proc in reversed(self._procs):
            stop(proc, timeout=5)
        self.server = None
        kept = ARTIFACTS / "reliability-logs" / self.name
        shutil.rmtree(kept, ignore_errors=True)
        try:
            shutil.copytree(self.logs, kept)
        except OSError:
            pass
        if self.as_nobody:
            subprocess.run(["chmod", "-R", "u+w", str(self.root)], check=False)
        shutil.rmtree(self.root, ignore_errors=True)


class NobodyCannotRun(Exception):
    """No interpreter with the project's packages that `nobody` can run
    (the tests that need one skip, saying why)."""


_TEMPLATE = {}


def _template_data_dir():
    """A data directory on which migrate, collectstatic and createsuperuser
    ran (once per process); removed when the process exits."""
    if "site" not in _TEMPLATE:
        template = Site("template")
        template.setup_commands()
        _TEMPLATE["site"] = template
        atexit.register(template.close)
    return _TEMPLATE["site"].data


@contextmanager
def site(name, **kwargs):
    s = Site(name, **kwargs)
    try:
        yield s
    finally:
        s.close()


@contextmanager
def serving(name, count, seed, avg_chars, chown=None, **kwargs):
    """A site over `count` generated essays, imported, with gunicorn
    running; stopped on exit. `chown` ("user:group") hands the corpus to the
    server's user first."""
    with site(name, **kwargs) as s:
        corpus = s.work / "corpus"
        generate_corpus(corpus, count, seed=seed, avg_chars=avg_chars)
        if chown:
            subprocess.run(["chown", "-R", chown, str(corpus)], check=True)
        s.prepare(corpus)
        s.start()
        try:
            yield s
        finally:
            s.stop_server()


# --------------------------------------------------------------- corpus

def generate_corpus(out_dir, count, seed=7, avg_chars=1500):
    """Deterministic essay files 000001.txt… (bench.generate)."""
    sys.path.insert(0, str(ROOT)) if str(ROOT) not in sys.path else None
    from bench.generate import generate

    return generate(out_dir, count, seed=seed, avg_chars=avg_chars)


def essay_bytes(number, title, paragraphs):
    """An essay file in the archive's format (as tests/conftest.essay_file)."""
    first = f"{number}{title}.txt" if number is not None else f"{title}.txt"
    body = "".join(f"<div><span style='font-size:16px'> \u3000\u3000{p}</span></div><div>&nbsp;</div>"
                   for p in paragraphs)
    return (first + "\n" + body).encode("utf-8")
