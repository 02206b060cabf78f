"""Helpers for the reliability tests (tests/test_reliability_*.py).

- `Site`: a temporary data directory with its own environment, on which
  manage.py commands run as subprocesses (migrate, collectstatic,
  createsuperuser, import_essays, check_index, rebuild_index) and a real
  gunicorn (config.production, 2 workers) is started on a free 127.0.0.1
  port. Every process is started in its own session (process group) and
  stopped by killing that group, in `finally` blocks.
- `Client`: a tiny stdlib HTTP client with cookies, Django's CSRF token,
  admin login, multipart uploads and the admin's change/delete forms.
- `record()`: appends the figures a test measured to
  test-artifacts/reliability.jsonl, from which tests/reliability_report.py
  writes docs/RELIABILITY.md.

Traffic only ever goes to 127.0.0.1 servers these helpers started.
"""
from __future__ import annotations

import atexit
import html
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
ARTIFACTS = ROOT / "test-artifacts"
RESULTS = ARTIFACTS / "reliability.jsonl"

ADMIN_USER = "editor"
ADMIN_PASSWORD = "correct-horse-battery-staple-42"
NOBODY = (65534, 65534)  # uid, gid of `nobody`: a user for whom chmod matters


# --------------------------------------------------------------- figures

def record(test, **figures):
    """Append one test's figures (JSON line) for the report."""
    ARTIFACTS.mkdir(exist_ok=True)
    current = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
    line = json.dumps({"test": test, "nodeid": current, "at": time.strftime("%Y-%m-%d %H:%M:%S"), **figures},
                      ensure_ascii=False, sort_keys=True, default=str)
    with open(RESULTS, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


# --------------------------------------------------------------- processes

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_group(proc, sig=signal.SIGKILL):
    """Signal the process group `proc` leads (it was started with
    start_new_session=True), ignoring one that is already gone."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is gone for our purposes
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop(proc, timeout=10):
    """SIGTERM the group, then SIGKILL it if it is still there; reap."""
    if proc is None:
        return
    if proc.poll() is None:
        kill_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    kill_group(proc, signal.SIGKILL)  # stragglers of the group (workers)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass


# ------------------------------------------------- the unprivileged user

# What a copy of the project's code for `nobody` leaves out.
_NOT_CODE = shutil.ignore_patterns(".git", ".venv", "var", "test-artifacts", "__pycache__", ".pytest_cache",
                                   ".hypothesis", "out", "*.pyc")
_NOBODY = {}


def _as_nobody(argv):
    return ["setpriv", f"--reuid={NOBODY[0]}", f"--regid={NOBODY[1]}", "--clear-groups", "--"] + list(argv)


def _nobody_can_run(python):
    """Whether `nobody` can start this interpreter and import the site's packages."""
    try:
        done = subprocess.run(_as_nobody([python, "-c", "import django, gunicorn, jieba, whoosh"]), cwd="/",
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as err:
        return False, repr(err)
    return done.returncode == 0, done.stdout.decode("utf-8", "replace")[-500:]


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)  # same file system: no copy, same (world-readable) modes
    except OSError:
        shutil.copy2(src, dst)


def nobody_python():
    """(python, None) for a venv interpreter the user `nobody` can run, or
    (None, why not). The checkout may lie where `nobody` cannot go (a
    `mktemp -d` folder is 0700): the venv as it is, then the venv a
    symlinked .venv points to, then (once per test session) a linked copy
    of the venv in a world-readable temp folder, removed at exit."""
    if "python" in _NOBODY:
        return _NOBODY["python"], _NOBODY["why"]
    venv = ROOT / ".venv"
    candidates = [PYTHON, str(venv.resolve() / "bin" / "python")]
    tried = []
    for python in dict.fromkeys(candidates):
        ok, out = _nobody_can_run(python)
        if ok:
            _NOBODY.update(python=python, why=None)
            return python, None
        tried.append(f"{python}: {out.strip()}")
    copy_root = Path(tempfile.mkdtemp(prefix="reliability-venv-"))
    atexit.register(shutil.rmtree, copy_root, True)
    os.chmod(copy_root, 0o755)
    copy = copy_root / "venv"
    try:
        shutil.copytree(venv.resolve(), copy, symlinks=True, copy_function=_link_or_copy,
                        ignore=shutil.ignore_patterns("__pycache__"))
        subprocess.run(["chmod", "-R", "a+rX", str(copy)], check=True)
        ok, out = _nobody_can_run(str(copy / "bin" / "python"))
    except (OSError, subprocess.CalledProcessError) as err:
        ok, out = False, repr(err)
    if ok:
        _NOBODY.update(python=str(copy / "bin" / "python"), why=None)
    else:
        tried.append(f"a copy of the venv in {copy}: {out.strip()}")
        _NOBODY.update(python=None, why="the user nobody cannot run the venv's Python: " + " | ".join(tried))
    return _NOBODY["python"], _NOBODY["why"]


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


# --------------------------------------------------------------- HTTP

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value)
        self.body = body

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class _FormParser(HTMLParser):
    """The fields of the first <form method=post> that holds a CSRF token."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._textarea, self._select = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"attrs": a, "fields": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "file", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self._form["fields"].append([a["name"], a.get("value") or ""])
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]
            self._form["fields"].append(self._textarea)
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self._form["fields"].append([self._select, a.get("value") or ""])

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data


def form_fields(page_html):
    """[(name, value)] of the first form on the page with a CSRF token.
    A textarea's leading newline (HTML drops it) is removed."""
    parser = _FormParser()
    parser.feed(page_html)
    for form in parser.forms:
        names = [f[0] for f in form["fields"]]
        if "logout" in (form["attrs"].get("action") or "") or form["attrs"].get("id") == "logout-form":
            continue  # the admin header's log-out button is a form too
        if "csrfmiddlewaretoken" in names:
            return [(n, v[1:] if v.startswith("\n") else v) for n, v in form["fields"]]
    raise AssertionError("no form with a CSRF token on the page")


class Client:
    """A minimal HTTP/1.1 client for one 127.0.0.1 server: a cookie jar,
    no redirects followed unless asked, and bodies always read whole."""

    def __init__(self, port, timeout=60):
        self.port = port
        self.timeout = timeout
        self.cookies = {}

    def request(self, method, path, body=None, headers=None, follow=False):
        for _ in range(5):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                all_headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Encoding": "identity"}
                if self.cookies:
                    all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
                all_headers.update(headers or {})
                conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                for k, v in all_headers.items():
                    conn.putheader(k, v)
                if body is not None:
                    conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body)
                raw = conn.getresponse()
                resp = Response(raw.status, raw.getheaders(), raw.read())
            finally:
                conn.close()
            for k, v in resp.headers:
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    value = rest.split(";", 1)[0]
                    if "max-age=0" in v.lower() or 'expires=thu, 01 jan 1970' in v.lower():
                        self.cookies.pop(name.strip(), None)
                    else:
                        self.cookies[name.strip()] = value
            if not (follow and resp.status in (301, 302, 303) and resp.header("Location")):
                return resp
            loc = urllib.parse.urlsplit(resp.header("Location"))
            path = loc.path + (("?" + loc.query) if loc.query else "")
            method, body, headers = "GET", None, None
        return resp

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, fields=(), files=(), csrf=True, headers=None, follow=False):
        """POST a form. `fields` is [(name, value)]; `files` is
        [(field, filename, bytes)] (multipart). With csrf, the token from
        the csrftoken cookie is added unless the fields already carry one."""
        fields = list(fields)
        if csrf and not any(n == "csrfmiddlewaretoken" for n, _ in fields) and "csrftoken" in self.cookies:
            fields.append(("csrfmiddlewaretoken", self.cookies["csrftoken"]))
        headers = dict(headers or {})
        if files:
            body, ctype = multipart(fields, files)
        else:
            body = urllib.parse.urlencode(fields).encode("ascii")
            ctype = "application/x-www-form-urlencoded"
        headers["Content-Type"] = ctype
        return self.request("POST", path, body=body, headers=headers, follow=follow)

    # Django admin
    def login(self, username=ADMIN_USER, password=ADMIN_PASSWORD):
        page = self.get("/admin/login/?next=/admin/")
        assert page.status == 200, page.status
        fields = dict(form_fields(page.text))
        resp = self.post("/admin/login/?next=/admin/", [
            ("csrfmiddlewaretoken", fields["csrfmiddlewaretoken"]), ("username", username),
            ("password", password), ("next", "/admin/")])
        assert resp.status == 302 and "sessionid" in self.cookies, (resp.status, resp.text[:500])
        return self

    def upload(self, *files):
        """Upload (filename, bytes) pairs through the admin upload page;
        returns (response, [outcome rows])."""
        page = self.get("/admin/essays/essay/upload/")
        assert page.status == 200, page.status
        token = dict(form_fields(page.text))["csrfmiddlewaretoken"]
        resp = self.post("/admin/essays/essay/upload/", [("csrfmiddlewaretoken", token)],
                         [("files", name, data) for name, data in files])
        return resp, upload_rows(resp.text) if resp.status == 200 else []

    def change(self, essay_id, edit):
        """Fetch an essay's change form, apply `edit(dict) -> dict` to its
        current values and save it. Returns the POST response."""
        url = f"/admin/essays/essay/{essay_id}/change/"
        page = self.get(url)
        assert page.status == 200, (url, page.status)
        values = dict(form_fields(page.text))
        values = edit(values)
        values["_save"] = "保存"
        return self.post(url, list(values.items()))

    def delete(self, essay_id):
        url = f"/admin/essays/essay/{essay_id}/delete/"
        page = self.get(url)
        assert page.status == 200, (url, page.status)
        token = dict(form_fields(page.text))["csrfmiddlewaretoken"]
        return self.post(url, [("csrfmiddlewaretoken", token), ("post", "yes")])


def multipart(fields, files):
    boundary = "----reliability" + secrets.token_hex(12)
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                     + str(value).encode("utf-8") + b"\r\n")
    for field, filename, data in files:
        quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{quoted}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n")
        parts.append(head.encode("utf-8") + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


_ROW = re.compile(r'<tr class="outcome-(\w+)">\s*<td>(.*?)</td>\s*<td>.*?</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>',
                  re.S)
_CHANGE_LINK = re.compile(r'/admin/essays/essay/(\d+)/change/')


def upload_rows(page_html):
    """The upload report: [{status, source_name, essay_id, reason}]."""
    rows = []
    for status, source, essay_cell, reason in _ROW.findall(page_html):
        link = _CHANGE_LINK.search(essay_cell)
        rows.append({"status": status, "source_name": html.unescape(source.strip()),
                     "essay_id": int(link.group(1)) if link else None,
                     "reason": html.unescape(reason.strip())})
    return rows


def quote_url(q, api=True, **params):
    params = {"q": q, **params}
    return ("/api/search?" if api else "/search/?") + urllib.parse.urlencode(params)


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]
