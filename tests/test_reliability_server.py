"""Concurrency: a real gunicorn (2 workers, config.production) serving
searches from several threads while an editor uploads, edits and deletes
essays through the admin, one after another. Afterwards the database, the
search index and what searches answer must all agree.

Runs on its own temporary data directory (not pytest-django's test DB) and
sends traffic only to the 127.0.0.1 server it starts."""
import json
import random
import threading
import time
from collections import Counter

import pytest

from bench.generate import QUOTES

from .support.http import quote_url
from .support.records import record
from .support.site import essay_bytes, generate_corpus, site
from .support.stats import percentile

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

CORPUS = 200
LOAD_THREADS = 4
LOAD_SECONDS = 30  # the load runs at least this long, and until the editor is done
EDITOR_DEADLINE = 150  # seconds: the editor must be done by then
UPLOADS = 30
EDITED = {i for i in range(UPLOADS) if i % 6 == 1}  # 5 essays edited after upload
DELETED = {i for i in range(UPLOADS) if i % 6 == 4}  # 5 essays deleted after upload

FILLER = ["坚持把调查研究作为谋事之基，深入基层摸实情。",
          "抓落实要有钉钉子精神，一锤接着一锤敲。",
          "改革越到深处，越要担当作为、敢闯敢试。"]


def sentence(i, version="原文"):
    """A sentence that occurs in upload i only (and only in this version)."""
    return f"可靠性并发校验第{i:03d}号{version}句子务求实效"


def upload_file(i):
    paragraphs = [FILLER[i % 3], FILLER[(i + 1) % 3] + sentence(i) + FILLER[(i + 2) % 3], FILLER[(i + 2) % 3]]
    return f"reliability-upload-{i:03d}.txt", essay_bytes(9000 + i, f"并发上传测试文章第{i:03d}篇", paragraphs)


def expected_quote_counts():
    """The generated corpus's quotations and how many essays hold each
    (exact: bench.generate inserts them into seq % m == 0 only)."""
    return {q: len(range(m, CORPUS + 1, m)) for q, m in QUOTES.items()}


class Load(threading.Thread):
    """One search client: quotes (whose counts must never change, since no
    upload holds them), keywords, sorts, pages, the HTML page and essays."""

    KEYWORDS = ["抓落实", "担当 -形式主义", "初心 OR 使命", "title:发展", "高质量发展 新时代",
                "调查研究", "改革 开放", "党员干部 担当"]

    def __init__(self, site, n, stop_event):
        super().__init__(daemon=True, name=f"load-{n}")
        self.site, self.stop_event = site, stop_event
        self.rng = random.Random(n)
        self.statuses = Counter()
        self.errors = []  # (url, status or exception text)
        self.wrong = []  # (quote, count) answers that disagree with the corpus
        self.latencies = []
        self.expected = expected_quote_counts()

    def next_url(self):
        r = self.rng.random()
        if r < 0.4:
            quote = self.rng.choice(list(self.expected))
            return quote_url(f'"{quote}"', sort=self.rng.choice(["relevance", "number", "newest"])), quote
        if r < 0.75:
            return quote_url(self.rng.choice(self.KEYWORDS), page=self.rng.choice([1, 1, 2]),
                             per_page=self.rng.choice([10, 20])), None
        if r < 0.85:
            return quote_url(self.rng.choice(self.KEYWORDS), api=False), None
        if r < 0.95:
            return f"/essays/{self.rng.randint(1, CORPUS)}/?q=%E8%90%BD%E5%AE%9E", None
        return f"/api/essays?page={self.rng.randint(1, 10)}", None

    def run(self):
        client = self.site.client(timeout=60)
        while not self.stop_event.is_set():
            url, quote = self.next_url()
            start = time.monotonic()
            try:
                resp = client.get(url)
            except Exception as err:  # a reset or a timeout is an error too
                self.statuses["exception"] += 1
                self.errors.append((url, repr(err)))
                continue
            self.latencies.append(time.monotonic() - start)
            self.statuses[resp.status] += 1
            if resp.status >= 500:
                self.errors.append((url, resp.status))
            elif quote is not None and resp.status == 200:
                count = resp.json()["count"]
                if count != self.expected[quote]:
                    self.wrong.append((quote, count))


class Editor(threading.Thread):
    """Uploads essays one after another; edits and deletes some of them
    shortly after uploading them, while the searches go on."""

    def __init__(self, site):
        super().__init__(daemon=True, name="editor")
        self.site = site
        self.ids = {}  # upload i -> essay id
        self.problems = []
        self.found_at_once = 0
        self.ops = Counter()
        self.error = None

    def check(self, ok, what):
        if not ok:
            self.problems.append(what)

    def run(self):
        try:
            self._run()
        except BaseException as err:  # reported by the test
            self.error = err

    def _run(self):
        client = self.site.client(timeout=120).login()
        probe = self.site.client(timeout=60)
        for i in range(UPLOADS):
            name, data = upload_file(i)
            resp, rows = client.upload((name, data))
            self.ops["upload"] += 1
            self.check(resp.status == 200 and len(rows) == 1 and rows[0]["status"] == "created",
                       f"upload {i}: {resp.status} {rows}")
            if rows and rows[0]["essay_id"]:
                self.ids[i] = rows[0]["essay_id"]
                # The upload answers after the index commit: the very next
                # search (whichever worker takes it) must find it.
                answer = probe.get(quote_url(f'"{sentence(i)}"')).json()
                if answer["count"] == 1 and answer["results"][0]["id"] == self.ids[i]:
                    self.found_at_once += 1
                else:
                    self.problems.append(f"upload {i} not found at once: {answer}")
            prev = i - 1
            if prev in EDITED and prev in self.ids:
                resp = client.change(self.ids[prev], lambda v, p=prev: dict(
                    v, paragraphs=v["paragraphs"].replace(sentence(p), sentence(p, "修订"))))
                self.ops["edit"] += 1
                self.check(resp.status == 302, f"edit {prev}: {resp.status} {resp.text[:300]}")
            if prev in DELETED and prev in self.ids:
                resp = client.delete(self.ids[prev])
                self.ops["delete"] += 1
                self.check(resp.status == 302, f"delete {prev}: {resp.status} {resp.text[:300]}")


def test_searches_stay_correct_while_an_editor_uploads_edits_and_deletes():
    assert max(EDITED | DELETED) < UPLOADS - 1
    with site("server.concurrency") as s:
        generate_corpus(s.work / "corpus", CORPUS, avg_chars=600)
        s.prepare(s.work / "corpus")
        s.start()

        stop_event = threading.Event()
        loads = [Load(s, n, stop_event) for n in range(LOAD_THREADS)]
        editor = Editor(s)
        started = time.monotonic()
        try:
            for t in loads:
                t.start()
            editor.start()
            editor.join(EDITOR_DEADLINE)
            remaining = LOAD_SECONDS - (time.monotonic() - started)
            if remaining > 0:
                time.sleep(remaining)
        finally:
            stop_event.set()
            for t in loads:
                t.join(90)
        elapsed = time.monotonic() - started
        assert not editor.is_alive(), f"the editor did not finish in {EDITOR_DEADLINE} s"
        assert editor.error is None, repr(editor.error)

        statuses = Counter()
        for t in loads:
            statuses.update(t.statuses)
        errors = [e for t in loads for e in t.errors]
        wrong = [w for t in loads for w in t.wrong]
        latencies = [x for t in loads for x in t.latencies]

        # -- afterwards: database, index and answers agree ------------------
        client = s.client()
        kept = [i for i in range(UPLOADS) if i not in DELETED]
        rows = {source: (pk, json.loads(paragraphs)) for pk, source, paragraphs in s.query(
            "SELECT id, source_name, paragraphs FROM essays_essay WHERE source_name LIKE 'reliability-upload-%'")}
        missing_db, missing_search, not_gone, stale = [], [], [], []
        for i in range(UPLOADS):
            name, _ = upload_file(i)
            pk = editor.ids.get(i)
            current = sentence(i, "修订") if i in EDITED else sentence(i)
            if i in DELETED:
                gone = (name not in rows and client.get(f"/api/essays/{pk}").status == 404
                        and client.get(quote_url(f'"{sentence(i)}"')).json()["count"] == 0)
                if not gone:
                    not_gone.append(i)
                continue
            if name not in rows or rows[name][0] != pk or not any(current in p for p in rows[name][1]):
                missing_db.append(i)
            answer = client.get(quote_url(f'"{current}"')).json()
            if answer["count"] != 1 or answer["results"][0]["id"] != pk:
                missing_search.append((i, answer["count"]))
            if i in EDITED and client.get(quote_url(f'"{sentence(i)}"')).json()["count"] != 0:
                stale.append(i)
        total = s.essay_count()
        check = s.manage("check_index", check=False)
        log = s.log_text()
        s.stop_server()

        found = len(kept) - len(missing_db) - len(missing_search)
        record("server.concurrency", workers=2, corpus=CORPUS, load_threads=LOAD_THREADS,
               seconds=round(elapsed, 1), requests=sum(statuses.values()),
               statuses={str(k): v for k, v in sorted(statuses.items(), key=str)},
               errors_5xx=len(errors), wrong_quote_counts=len(wrong),
               latency_ms_p50=round(1000 * (percentile(latencies, 50) or 0)),
               latency_ms_p95=round(1000 * (percentile(latencies, 95) or 0)),
               uploads=editor.ops["upload"], edits=editor.ops["edit"], deletes=editor.ops["delete"],
               found_at_once=editor.found_at_once, kept=len(kept), found_after=found,
               deleted_gone=len(DELETED) - len(not_gone), edited_fresh=len(EDITED) - len(stale),
               lock_errors=log.count("LockError"), check_index_exit=check.returncode)

        assert not errors, f"{len(errors)} server errors, e.g. {errors[:5]}"
        assert not editor.problems, editor.problems[:10]
        assert not wrong, f"quote counts changed under load: {wrong[:10]}"
        assert "LockError" not in log
        assert "Internal Server Error" not in log
        assert "could not update the search index" not in log
        assert editor.ops == {"upload": UPLOADS, "edit": len(EDITED), "delete": len(DELETED)}
        assert not missing_db, f"uploads missing from the database: {missing_db}"
        assert not missing_search, f"uploads not found by their sentence: {missing_search}"
        assert not not_gone, f"deleted essays still present: {not_gone}"
        assert not stale, f"edited essays still found by their old text: {stale}"
        assert total == CORPUS + UPLOADS - len(DELETED)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "in step" in check.stdout
        assert sum(statuses.values()) >= 200, statuses  # the load really ran
