"""Threads: one server process answering many searches at once while the
index changes under it.

The threaded development server (`manage.py runserver`) serves each
request in a thread of one process, so every thread reads the same open
index files; 8 client threads send distinct first-sight queries (each
query once, drawn from the corpus, so no answer comes from a cache) while
another process imports 200 essays and then two single files, each import
a commit that adds a segment and merges (and deletes) small ones. Not one
request may answer 5xx, and the server's log must hold no traceback.

Runs on its own temporary data directory and sends traffic only to the
127.0.0.1 server it starts."""
import random
import threading
import time
from collections import Counter

import pytest

from bench.generate import corpus_texts, render
from bench.queries import wide_queries

from .support.http import Client, quote_url
from .support.net import free_port
from .support.processes import PYTHON, stop
from .support.records import record
from .support.site import generate_corpus, site
from .support.stats import percentile

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

CORPUS = 600
AVG_CHARS = 600
ADDED = 200  # essays the concurrent import adds
SINGLES = 2  # then one-file imports, one after another
CLIENTS = 8
QUERIES = 6000  # at most; the load stops a little after the imports are done
AFTER_IMPORTS = 3.0  # seconds of load once the last import finished
DEADLINE = 90  # seconds for the whole load


def start_runserver(s, timeout=60):
    """`manage.py runserver --noreload` (threaded: a thread per request) on
    a free port; returns (process, port) once it answers."""
    port = free_port()
    s.server_log = s.logs / f"runserver-{port}.log"
    with open(s.server_log, "ab") as log:
        proc = s.popen([PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                       stdout=log, stderr=log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if Client(port, timeout=5).get("/api/essays").status == 200:
                return proc, port
        except OSError:
            pass
        time.sleep(0.2)
    stop(proc)
    raise AssertionError(f"runserver did not start:\n{s.log_text()[-4000:]}")


def write_added(directory, count, seed):
    """`count` new essays (file names and numbers of their own) in `directory`."""
    directory.mkdir()
    for seq, title, paragraphs in corpus_texts(count, seed=seed, avg_chars=AVG_CHARS):
        (directory / f"added-{seq:04d}.txt").write_bytes(render(10_000 + seq, title, paragraphs).encode("utf-8"))


class Importer(threading.Thread):
    """Runs the imports one after another, each a real manage.py process."""

    def __init__(self, s, bulk, singles):
        super().__init__(daemon=True, name="importer")
        self.s, self.bulk, self.singles = s, bulk, singles
        self.results, self.error, self.done_at = [], None, None

    def run(self):
        try:
            for path in [self.bulk, *self.singles]:
                t0 = time.monotonic()
                out = self.s.manage("import_essays", str(path), timeout=180)
                self.results.append((path.name, out.returncode, round(time.monotonic() - t0, 1)))
        except BaseException as err:  # reported by the test
            self.error = err
        finally:
            self.done_at = time.monotonic()


def test_threaded_server_answers_first_sight_queries_while_essays_are_imported():
    with site("threads.runserver") as s:
        s.prepare()
        corpus = s.work / "corpus"
        generate_corpus(corpus, CORPUS, seed=21, avg_chars=AVG_CHARS)
        s.manage("import_essays", str(corpus))
        raw = [paragraphs for _seq, _title, paragraphs in corpus_texts(CORPUS, seed=21, avg_chars=AVG_CHARS)]
        queries = wide_queries(raw, random.Random("threads"), QUERIES)
        bulk = s.work / "added"
        write_added(bulk, ADDED, seed=22)
        singles = []
        for i in range(SINGLES):
            d = s.work / f"single-{i}"
            d.mkdir()
            seq, title, paragraphs = next(iter(corpus_texts(1, seed=30 + i, avg_chars=AVG_CHARS)))
            (d / f"single-{i}.txt").write_bytes(render(20_000 + i, title, paragraphs).encode("utf-8"))
            singles.append(d / f"single-{i}.txt")

        server, port = start_runserver(s)
        s.port = port
        try:
            lock = threading.Lock()
            pending = iter(enumerate(queries))
            statuses, errors, latencies = Counter(), [], []
            importer = Importer(s, bulk, singles)
            started = time.monotonic()

            def client():
                c = s.client(timeout=60)
                while True:
                    if importer.done_at and time.monotonic() > importer.done_at + AFTER_IMPORTS:
                        return
                    if time.monotonic() > started + DEADLINE:
                        return
                    with lock:
                        item = next(pending, None)
                    if item is None:
                        return
                    i, q = item
                    url = quote_url(q, api=bool(i % 2))
                    t0 = time.monotonic()
                    try:
                        status = c.get(url).status
                    except Exception as err:  # a reset or a timeout is an error too
                        status = f"exception {err!r}"
                    with lock:
                        latencies.append(time.monotonic() - t0)
                        statuses[status] += 1
                        if not isinstance(status, int) or status >= 500:
                            errors.append((q, status))

            threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
            for t in threads:
                t.start()
            importer.start()
            importer.join(DEADLINE + 60)
            for t in threads:
                t.join(DEADLINE + 60)
            elapsed = time.monotonic() - started
        finally:
            stop(server)
        log = s.log_text()
        requests = sum(statuses.values())
        record("threads.runserver", server="manage.py runserver --noreload (a thread per request)",
               clients=CLIENTS, corpus=CORPUS, added=ADDED, single_imports=SINGLES,
               requests=requests, distinct_queries=requests, errors_5xx=len(errors),
               statuses={str(k): v for k, v in sorted(statuses.items(), key=str)},
               seconds=round(elapsed, 1), imports=importer.results,
               latency_ms_p50=round(1000 * (percentile(latencies, 50) or 0)),
               latency_ms_p95=round(1000 * (percentile(latencies, 95) or 0)),
               tracebacks=log.count("Traceback"))

        assert importer.error is None, repr(importer.error)
        assert [r[1] for r in importer.results] == [0] * (1 + SINGLES), importer.results
        assert not errors, f"{len(errors)} server errors of {requests}, e.g. {errors[:5]}\n{_first_traceback(log)}"
        assert "Traceback" not in log, _first_traceback(log)
        assert requests >= 500, statuses  # the load really ran, and went on after the imports
        assert importer.done_at < started + elapsed, "the imports did not finish while the load ran"
        assert s.essay_count() == CORPUS + ADDED + SINGLES


def _first_traceback(log):
    at = log.find("Traceback")
    return log[at:at + 3000] if at >= 0 else ""


# ------------------------------------------------------------ slow clients

SLOW_CLIENTS = 3  # more than the workers (2): each held a sync worker for as long as it trickled
NORMAL_SECONDS = 8.0  # other requests are sent for this long, one after another
NORMAL_LIMIT = 3.0  # seconds: a request beside the slow clients answers within this (normally ~0.05)
TRICKLE = 0.3  # seconds between the slow clients' header bytes


class SlowClient(threading.Thread):
    """Sends a request's headers a byte at a time (slowloris) until told to
    finish them, then reads the answer."""

    def __init__(self, port, n):
        super().__init__(daemon=True, name=f"slow-{n}")
        self.port, self.n = port, n
        self.finish = threading.Event()
        self.status, self.error, self.bytes_sent = None, None, 0

    def run(self):
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=60) as sock:
                head = f"GET /api/essays?page=1&slow={self.n} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
                sock.sendall(head)
                self.bytes_sent = len(head)
                filler = b"X-Slow: " + b"a" * 4000
                i = 0
                while not self.finish.is_set() and i < len(filler):
                    sock.sendall(filler[i:i + 1])
                    self.bytes_sent += 1
                    i += 1
                    self.finish.wait(TRICKLE)
                sock.sendall(b"\r\nConnection: close\r\n\r\n")
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
                self.status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else answer[:80]
        except Exception as err:  # reported by the test
            self.error = repr(err)


def test_slow_clients_trickling_headers_leave_the_site_serving_others():
    """Production gunicorn (2 workers, config/gunicorn.py): three clients
    trickle their request headers a byte every 0.3 s; meanwhile, for 8 s,
    every other request (searches, pages, the API) answers within
    NORMAL_LIMIT, and the slow clients are answered too once they finish
    their headers. (With two sync workers, three such clients held both.)"""
    from .support.site import serving

    with serving("threads.slow_clients", 60, seed=23, avg_chars=400) as s:
        slow = [SlowClient(s.port, n) for n in range(SLOW_CLIENTS)]
        for t in slow:
            t.start()
        time.sleep(2.0)  # every slow client is in the middle of its headers
        urls = [quote_url("发展"), quote_url('"高质量发展"', api=False), "/", "/api/essays?page=2", "/essays/3/"]
        results = []
        started = time.monotonic()
        i = 0
        while time.monotonic() < started + NORMAL_SECONDS:
            url = urls[i % len(urls)]
            i += 1
            t0 = time.monotonic()
            try:
                status = Client(s.port, timeout=NORMAL_LIMIT * 3).get(url).status
            except Exception as err:  # a timeout is a failure of this test
                status = repr(err)
            results.append((url, status, time.monotonic() - t0))
            time.sleep(0.1)
        phase = time.monotonic() - started
        trickled = [t.bytes_sent for t in slow]
        for t in slow:
            t.finish.set()
        for t in slow:
            t.join(60)
        log = s.log_text()

    latencies = [r[2] for r in results]
    ok = [r for r in results if r[1] == 200 and r[2] <= NORMAL_LIMIT]
    record("threads.slow_clients", workers=2, threads=4, slow_clients=SLOW_CLIENTS,
           trickle_s=TRICKLE, normal_requests=len(results), normal_ok=len(ok),
           latency_ms_p50=round(1000 * (percentile(latencies, 50) or 0)),
           latency_ms_max=round(1000 * max(latencies)), phase_seconds=round(phase, 1),
           slow_bytes_sent_meanwhile=trickled, slow_clients_answered=[t.status for t in slow])
    assert len(results) >= 10 and len(ok) == len(results), [r for r in results if r not in ok]
    assert all(t.error is None for t in slow), [t.error for t in slow]
    assert [t.status for t in slow] == [200] * SLOW_CLIENTS
    assert "Traceback" not in log, _first_traceback(log)
