"""The benchmark's server: gunicorn with the production settings."""
import signal
import subprocess
import time
from pathlib import Path

from .common import PY, ROOT, BenchError, children, django_env, free_port
from .load import Client, search_path

# The two servers of the HTTP steps: (result key, how requests are served).
LATENCY_RUNS = (("http_latency_nocache", "result cache off: every request ranked and given snippets afresh"),
                ("http_latency", "result cache on, the default"))
THROUGHPUT_RUNS = (("throughput_nocache", "result cache off"), ("throughput", "result cache on"))


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
