"""A small bounded HTTP load generator (threads + http.client), run as its
own process so that it does not share an interpreter with the orchestrator:

    python -m bench.load --port 8123 --paths PATHS.json --duration 20 --concurrency 4

PATHS.json is a list of URL paths; thread k requests paths[k], paths[k+c],
... round-robin (with `--once`, each path once, in order, to whichever
thread is free). It stops after `--duration` seconds or `--max-requests`
requests, whichever comes first, and prints one JSON object: requests,
ok (200), non-200 statuses, exceptions, throughput and latency percentiles,
and its own CPU time (it competes with the server for the same cores).

The module also holds the HTTP client of the orchestrator and the load
(`Client`: keep-alive when the server allows it, cookies; multipart bodies
from tests.support.http). It keeps its connection open across requests,
which load generation needs; the tests' client (tests.support.http.Client)
opens one per request, which fault tests need."""
import argparse
import http.client
import json
import re
import resource
import sys
import threading
import time
from collections import Counter
from urllib.parse import quote, urlencode

from tests.support.http import multipart
from tests.support.stats import percentile

HOST = "127.0.0.1"


def search_path(base, q, **params):
    """'/api/search?q=...' with the query percent-encoded."""
    return f"{base}?q={quote(q, safe='')}" + ("&" + urlencode(params) if params else "")


class Client:
    """One HTTP connection to 127.0.0.1:port with a cookie jar."""

    def __init__(self, port, timeout=60):
        self.port = port
        self.timeout = timeout
        self.conn = None
        self.cookies = {}

    def _connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        return self.conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body bytes). Reconnects once if the server
        closed an idle keep-alive connection."""
        hdrs = {"Accept-Encoding": "identity"}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        hdrs.update(headers or {})
        for attempt in (0, 1):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=hdrs)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt:
                    raise
        for cookie in resp.headers.get_all("Set-Cookie") or ():
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if resp.will_close:
            self.close()
        return resp.status, resp.headers, data

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post_form(self, path, fields, referer=None):
        body = urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if referer:
            headers["Referer"] = f"http://{HOST}:{self.port}{referer}"
        return self.request("POST", path, body=body, headers=headers)

    def post_multipart(self, path, fields, files, referer=None):
        """fields: {name: str}; files: [(field name, file name, bytes)];
        encoded as the tests' client encodes them (tests.support.http)."""
        body, content_type = multipart(list(fields.items()), files)
        headers = {"Content-Type": content_type}
        if referer:
            headers["Referer"] = f"http://{HOST}:{self.port}{referer}"
        return self.request("POST", path, body=body, headers=headers)


CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_token(body):
    m = CSRF_INPUT.search(body)
    if not m:
        raise RuntimeError("no CSRF token in the page")
    return m.group(1).decode()


def percentiles_ms(latencies):
    if not latencies:
        return {}
    return {f"p{p}": percentile(latencies, p) * 1000 for p in (50, 90, 95, 99)} | {"max": max(latencies) * 1000}


def run_load(port, paths, duration, concurrency, max_requests=100_000, once=False):
    """Hammer the server; returns the summary dict (see the module doc).
    once=True sends each path once, in order, shared out among the threads."""
    if once:
        max_requests = min(max_requests, len(paths))
    deadline_box = {}
    lock = threading.Lock()
    statuses, exceptions = Counter(), Counter()
    latencies = []
    issued = [0]
    start_gate = threading.Barrier(concurrency + 1)

    def worker(k):
        client = Client(port, timeout=30)
        i = k
        mine = []
        start_gate.wait()
        deadline = deadline_box["t"]
        while time.perf_counter() < deadline:
            with lock:
                if issued[0] >= max_requests:
                    break
                if once:
                    i = issued[0]
                issued[0] += 1
            path = paths[i % len(paths)]
            i += concurrency
            t0 = time.perf_counter()
            try:
                status, _headers, _body = client.get(path)
            except Exception as err:  # counted, never fatal
                client.close()
                with lock:
                    exceptions[type(err).__name__] += 1
                continue
            mine.append(time.perf_counter() - t0)
            with lock:
                statuses[status] += 1
        client.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(concurrency)]
    for t in threads:
        t.start()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    deadline_box["t"] = started + duration
    start_gate.wait()
    for t in threads:
        t.join(duration + 60)
    elapsed = time.perf_counter() - started
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    total = sum(statuses.values())
    ok = statuses.get(200, 0)
    return {
        "duration_s": elapsed,
        "concurrency": concurrency,
        "requests": total + sum(exceptions.values()),
        "ok": ok,
        "non_200": {str(k): v for k, v in statuses.items() if k != 200},
        "exceptions": dict(exceptions),
        "errors": total - ok + sum(exceptions.values()),
        "rps": ok / elapsed if elapsed else 0.0,
        "latency_ms": percentiles_ms(latencies),
        "loadgen_cpu_s": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.load")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--paths", required=True, help="JSON file: list of URL paths")
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--max-requests", type=int, default=100_000)
    ap.add_argument("--once", action="store_true", help="each path once, then stop")
    args = ap.parse_args(argv)
    with open(args.paths, encoding="utf-8") as fh:
        paths = json.load(fh)
    duration = min(max(args.duration, 0.1), 600.0)  # bounded whatever the caller says
    json.dump(run_load(args.port, paths, duration, args.concurrency, args.max_requests, args.once), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
