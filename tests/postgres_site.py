"""The site as it runs in production, on a real PostgreSQL server, for the
tests of tests/test_postgres_*.py: a database of its own on the session's
throwaway cluster (tests.postgres_support), manage.py commands and a real
gunicorn (config.production, one worker, two threads) pointed at it, and a
small cookie-keeping HTTP client for 127.0.0.1."""
import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from config.pgcluster import free_port

ROOT = Path(__file__).resolve().parent.parent
EDITOR, EDITOR_PASSWORD = "editor", "编辑-" + secrets.token_urlsafe(12)


def fresh_database(cluster, name):
    """An empty database `name` on the cluster's primary (the replicas get it too)."""
    with psycopg.connect(cluster.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return cluster.url(name)


def sql(cluster, database, statement, params=None):
    """Run one statement on a cluster (autocommit); its rows, if any."""
    with psycopg.connect(cluster.conninfo(database), autocommit=True, connect_timeout=5) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def site_env(data_dir, database_url, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_", "DJANGO_", "GUNICORN_"))}
    env.update({
        "ARCHIVE_DATA_DIR": str(data_dir), "ARCHIVE_DATABASE_URL": database_url, "ARCHIVE_SEARCH_RATE": "0",
        "DJANGO_SETTINGS_MODULE": "config.production", "DJANGO_HTTPS": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64), "DJANGO_SUPERUSER_PASSWORD": EDITOR_PASSWORD,
        "PYTHONUNBUFFERED": "1",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


def manage(env, *args, timeout=300):
    """manage.py with the site's environment: CompletedProcess (text)."""
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def prepare(env, seeds=True):
    """Migrate, an editor account, and (by default) the seed essays."""
    for args in (["migrate", "--noinput"],
                 ["createsuperuser", "--noinput", "--username", EDITOR, "--email", "editor@example.org"],
                 *([["import_essays", "seeds/"]] if seeds else [])):
        done = manage(env, *args)
        assert done.returncode == 0, f"manage.py {' '.join(args)}: {done.stdout}\n{done.stderr}"


class Gunicorn:
    """gunicorn serving the site on a free 127.0.0.1 port until stop()."""

    def __init__(self, env, log_path):
        self.port = free_port()
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": "1",
                    "GUNICORN_THREADS": "2"}
        self.log_path = Path(log_path)
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
                                        cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited ({self.process.returncode}):\n{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"gunicorn did not listen within 60 s:\n{self.log()}")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def log(self):
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@dataclass
class Response:
    status: int
    headers: dict
    text: str
    url: str = ""

    @property
    def read_from(self):
        return self.headers.get("x-archive-read-from", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Browser:
    """A client with its own cookies (a reader, or an editor once logged in)."""

    base: str
    follow: bool = True
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def _open(self, request):
        handlers = [urllib.request.HTTPCookieProcessor(self.jar)] + ([] if self.follow else [_NoRedirect()])
        opener = urllib.request.build_opener(*handlers)
        try:
            with opener.open(request, timeout=30) as resp:
                return Response(resp.status, {k.lower(): v for k, v in resp.headers.items()},
                                resp.read().decode("utf-8", "replace"), resp.url)
        except urllib.error.HTTPError as err:
            return Response(err.code, {k.lower(): v for k, v in err.headers.items()},
                            err.read().decode("utf-8", "replace"), err.url)

    def get(self, path):
        return self._open(urllib.request.Request(self.base + urllib.parse.quote(path, safe="/?=&%#")))

    def post(self, path, fields=(), files=()):
        """POST a form (multipart when there are files): fields are (name,
        value) pairs, files (name, filename, bytes)."""
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, filename, data in files:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                         f"Content-Type: text/plain\r\n\r\n".encode() + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST", headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}", "Referer": self.base + path})
        return self._open(request)

    def csrf(self, path):
        page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, f"no CSRF token on {path} ({page.status}): {page.text[:300]}"
        return token.group(1)

    def login(self, username=EDITOR, password=EDITOR_PASSWORD):
        token = self.csrf("/admin/login/")
        resp = self.post("/admin/login/", [("csrfmiddlewaretoken", token), ("username", username),
                                           ("password", password), ("next", "/admin/")])
        assert resp.status == 200 and "/admin/logout/" in resp.text, resp.text[:500]
        return resp

    def upload(self, *files):
        """Upload essay files ((filename, bytes) pairs) in the admin: the report page."""
        path = "/admin/essays/essay/upload/"
        token = self.csrf(path)
        return self.post(path, [("csrfmiddlewaretoken", token)], [("files", name, data) for name, data in files])

    def has_cookie(self, name):
        return any(c.name == name for c in self.jar)
