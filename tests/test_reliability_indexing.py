"""Indexing that cannot be lost, against a real gunicorn (config.production):
a worker killed in the middle of an upload, and an upload whose indexing
takes longer than the worker may take for a request, both end with every
saved essay searchable, with nobody running a repair command.

Runs on its own temporary data directory and sends traffic only to the
127.0.0.1 server it starts."""
import os
import random
import signal
import threading
import time

import pytest

from bench.generate import essay_text

from .support.http import quote_url
from .support.records import record
from .support.site import essay_bytes, serving

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

SEARCHABLE_WITHIN = 120  # seconds after the upload for every saved essay to be found


def marker(kind, i):
    """A sentence that occurs in upload i of this test only."""
    return f"索引不丢失{kind}校验第{i:03d}号独有句子"


def big_files(kind, count, chars):
    """(name, bytes) of `count` essays of about `chars` characters each,
    from bench.generate's vocabulary (so jieba pays what it pays for real
    text), each holding its marker sentence."""
    out = []
    for i in range(count):
        rng = random.Random(f"{kind}:{i}")
        paragraphs = []
        while sum(map(len, paragraphs)) < chars:
            paragraphs += essay_text(rng, 1 + i, avg_chars=3000)[2]
        paragraphs[len(paragraphs) // 2] += marker(kind, i) + "。"
        out.append((f"{kind}-{i:03d}.txt", essay_bytes(7000 + i, f"{kind}上传第{i:03d}篇", paragraphs)))
    return out


def saved_uploads(s, kind):
    """Source names of this test's uploads the database holds."""
    return [row[0] for row in s.query("SELECT source_name FROM essays_essay WHERE source_name LIKE ?",
                                      (f"{kind}-%",))]


def wait_until_searchable(s, kind, names, timeout):
    """Seconds until every saved upload's marker is found by the search API
    (or None if not within `timeout`), and the markers still missing."""
    start = time.monotonic()
    client = s.client()
    missing = list(names)
    while time.monotonic() - start < timeout:
        missing = [n for n in missing
                   if client.get(quote_url(f'"{marker(kind, int(n[len(kind) + 1:-4]))}"')).json()["count"] != 1]
        if not missing:
            return time.monotonic() - start, []
        time.sleep(0.5)
    return None, missing


def test_a_worker_killed_mid_upload_leaves_every_saved_essay_searchable():
    kind = "killed"
    files = big_files(kind, 30, 12_000)
    with serving("indexing.killed", 20, seed=3, avg_chars=400) as s:
        client = s.client(timeout=300).login()
        answer = {}

        def upload():
            try:
                answer["response"] = client.upload(*files)[0].status
            except Exception as err:  # the connection dies with the worker
                answer["error"] = type(err).__name__

        thread = threading.Thread(target=upload, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(saved_uploads(s, kind)) < 5:
            time.sleep(0.02)
        saved_when_killed = len(saved_uploads(s, kind))
        workers = s.worker_pids()
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        thread.join(120)
        saved = saved_uploads(s, kind)
        seconds, missing = wait_until_searchable(s, kind, saved, SEARCHABLE_WITHIN)
        check = s.manage("check_index", check=False)
        record("indexing.killed_mid_upload", files=len(files), saved_when_killed=saved_when_killed,
               saved=len(saved), upload_answer=answer, seconds_until_searchable=seconds,
               missing=len(missing), check_index_exit=check.returncode, repair_commands_run=0)
        assert 0 < saved_when_killed and saved, "the kill came before any essay was saved"
        assert not missing, f"{len(missing)} saved essays never became searchable: {missing[:5]}"
        assert check.returncode == 0 and "in step" in check.stdout, check.stdout + check.stderr


def test_an_upload_longer_than_the_worker_timeout_reports_in_time_and_all_become_searchable():
    kind = "slow"
    timeout = 15
    files = big_files(kind, 30, 36_000)  # about 1.1 M characters for jieba: well over 15 s here
    env = {"GUNICORN_TIMEOUT": str(timeout), "ESSAY_UPLOAD_INDEX_SECONDS": "3"}
    with serving("indexing.slow", 20, seed=4, avg_chars=400, extra_env=env) as s:
        client = s.client(timeout=300).login()
        started = time.monotonic()
        response, rows = client.upload(*files)
        upload_seconds = time.monotonic() - started
        pending_shown = response.text.count("已保存，搜索索引稍后在后台更新")
        saved = saved_uploads(s, kind)
        seconds, missing = wait_until_searchable(s, kind, saved, SEARCHABLE_WITHIN)
        check = s.manage("check_index", check=False)
        record("indexing.upload_past_timeout", files=len(files), worker_timeout=timeout, index_budget=3,
               upload_status=response.status, upload_seconds=round(upload_seconds, 2),
               created=sum(r["status"] == "created" for r in rows), pending_in_report=pending_shown,
               seconds_until_searchable=seconds, missing=len(missing), check_index_exit=check.returncode,
               repair_commands_run=0)
        assert response.status == 200, (response.status, response.text[:300])
        assert upload_seconds < timeout, upload_seconds
        assert sum(r["status"] == "created" for r in rows) == len(files) == len(saved), rows[:3]
        assert pending_shown > 0, "the budget did not cut the indexing: the test is too small to say anything"
        assert "仍在后台更新" in response.text
        assert not missing, f"{len(missing)} saved essays never became searchable: {missing[:5]}"
        assert check.returncode == 0 and "in step" in check.stdout, check.stdout + check.stderr
