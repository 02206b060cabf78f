"""Faults: processes killed mid-write, a lost or damaged index, a data
directory the server may not write. Each test runs real subprocesses
(manage.py, gunicorn) on its own temporary data directory, injects one kind
of fault, and checks that the archive answers clearly meanwhile and is whole
again afterwards.

Traffic only goes to 127.0.0.1 servers these tests start; every process is
stopped (its process group killed) in a finally block."""
import json
import os
import re
import select
import shutil
import subprocess
import threading
import time

import pytest

from bench.generate import QUOTES
from essays.parsing import parse_essay_bytes

from .support.http import form_fields, quote_url, upload_rows
from .support.processes import PYTHON, kill_group, nobody_python, stop
from .support.records import record
from .support.site import essay_bytes, generate_corpus, serving, site

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

REBUILD_HINT = "rebuild_index"


def wait_for(predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def read_line(proc, timeout):
    """One line of a child's stdout, or '' after `timeout` seconds."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline().decode("utf-8", "replace").strip() if ready else ""


# ------------------------------------------------------------ killed import

IMPORT_FILES = 1500


def test_import_killed_mid_run_is_completed_by_running_it_again():
    """SIGKILL an import of 1,500 files once in its database phase and once
    after it (while the index is being written); the third run completes,
    nothing is duplicated or half-written and the index is in step."""
    with site("faults.killed_import") as s:
        corpus = s.work / "corpus"
        t0 = time.monotonic()
        generate_corpus(corpus, IMPORT_FILES, seed=11, avg_chars=200)
        s.prepare()
        setup_seconds = time.monotonic() - t0
        kills = []

        def run_and_kill(when, timeout=180):
            log = open(s.logs / f"import-{len(kills)}.log", "wb")
            started = time.monotonic()
            proc = s.popen([PYTHON, "manage.py", "import_essays", str(corpus)], stdout=log, stderr=log)
            log.close()
            try:
                hit = wait_for(lambda: proc.poll() is not None or when(), timeout)
                finished = proc.poll() is not None
                kill_group(proc)
                proc.wait(30)
                kills.append({"db_count_at_kill": s.essay_count(), "finished_before_kill": finished,
                              "killed_after_seconds": round(time.monotonic() - started, 1),
                              "index_files": sorted(p.name for p in s.index.iterdir()) if s.index.exists() else []})
                return hit
            finally:
                stop(proc)

        # 1: in the middle of the database phase.
        run_and_kill(lambda: s.essay_count() >= IMPORT_FILES // 3)
        first = kills[0]["db_count_at_kill"]
        assert not kills[0]["finished_before_kill"]
        assert 0 < first < IMPORT_FILES, first

        # 2: every essay is in the database; the run is now writing the index
        # (the first commit has landed). Kill it there.
        def indexing():
            if s.essay_count() < IMPORT_FILES or not s.index.exists():
                return False
            return any(p.suffix == ".seg" for p in s.index.iterdir())
        run_and_kill(indexing)
        second_killed_while_indexing = not kills[1]["finished_before_kill"]

        # 3: runs to the end.
        started = time.monotonic()
        done = s.manage("import_essays", str(corpus), timeout=300)
        third_seconds = time.monotonic() - started
        assert done.returncode == 0

        rows = s.query("SELECT source_name, number, title, paragraphs FROM essays_essay")
        names = [r[0] for r in rows]
        files = sorted(p.name for p in corpus.iterdir() if p.suffix == ".txt")  # not its metadata.csv
        half_written = []
        for source, number, title, paragraphs in rows:
            parsed = parse_essay_bytes((corpus / source).read_bytes(), source)
            if (number, title, json.loads(paragraphs)) != (parsed.number, parsed.title, list(parsed.paragraphs)):
                half_written.append(source)
        check = s.manage("check_index", check=False)
        record("faults.killed_import", files=IMPORT_FILES, kills=len(kills),
               db_count_at_first_kill=first, second_kill_during_indexing=second_killed_while_indexing,
               db_count_at_second_kill=kills[1]["db_count_at_kill"], final_count=len(rows),
               duplicates=len(names) - len(set(names)), half_written=len(half_written),
               third_run_seconds=round(third_seconds, 1), third_run_output=done.stdout.strip(),
               setup_seconds=round(setup_seconds, 1),
               killed_after_seconds=[k["killed_after_seconds"] for k in kills],
               check_index_exit=check.returncode)
        assert len(rows) == IMPORT_FILES
        assert len(set(names)) == len(names)
        assert sorted(names) == files
        assert not half_written, half_written[:10]
        assert check.returncode == 0, check.stdout + check.stderr


# ------------------------------------------------------- killed lock holder

HOLD_LOCK = """
import time
from search import service
ix = service.get_backend().index.open()
writer = ix.writer()
print("LOCKED", flush=True)
time.sleep(600)
"""

SEARCH_ONCE = """
from search import service
result = service.search('"{quote}"')
print(result.count, flush=True)
"""


def test_writer_killed_while_holding_the_index_lock_leaves_no_stale_lock():
    """A process holding Whoosh's write lock is SIGKILLed. Meanwhile searches
    in other processes answer, and a waiting import is blocked, not failed;
    after the kill it finishes at once and later writers do not wait."""
    quote, modulus = next(iter(QUOTES.items()))
    with site("faults.killed_lock_holder") as s:
        corpus = s.work / "corpus"
        generate_corpus(corpus, 40, seed=3, avg_chars=300)
        s.prepare(corpus)
        expected = len(range(modulus, 41, modulus))
        extra = s.work / "extra"
        extra.mkdir()
        (extra / "lock-1.txt").write_bytes(essay_bytes(501, "锁测试第一篇", ["锁被占用时导入的文章甲。"]))
        (extra / "lock-2.txt").write_bytes(essay_bytes(502, "锁测试第二篇", ["锁释放之后导入的文章乙。"]))

        holder = s.popen([PYTHON, "-c", "import django; django.setup()\n" + HOLD_LOCK],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        waiting = None
        try:
            assert read_line(holder, 60) == "LOCKED"
            # A search in another process answers while the lock is held.
            t0 = time.monotonic()
            searched = s.python(SEARCH_ONCE.format(quote=quote), timeout=60)
            search_seconds = time.monotonic() - t0
            assert int(searched.stdout.split()[-1]) == expected

            # An import now saves its essay, then waits for the lock.
            log = open(s.logs / "waiting-import.log", "wb")
            waiting = s.popen([PYTHON, "manage.py", "import_essays", str(extra / "lock-1.txt")],
                              stdout=log, stderr=log)
            log.close()
            assert wait_for(lambda: s.essay_count() == 41, 60), "the waiting import did not save its essay"
            time.sleep(1.5)
            blocked = waiting.poll() is None

            kill_group(holder)
            holder.wait(10)
            t1 = time.monotonic()
            waiting.wait(60)
            after_kill = time.monotonic() - t1
            waiting_rc = waiting.returncode
        finally:
            stop(holder)
            stop(waiting)

        # A later writer does not wait at all.
        t2 = time.monotonic()
        s.manage("import_essays", str(extra / "lock-2.txt"), timeout=60)
        next_writer = time.monotonic() - t2
        found = s.python(SEARCH_ONCE.format(quote="锁被占用时导入的文章甲") + SEARCH_ONCE.format(
            quote="锁释放之后导入的文章乙"), timeout=60).stdout.split()
        check = s.manage("check_index", check=False)
        record("faults.killed_lock_holder", search_while_locked_seconds=round(search_seconds, 1),
               import_blocked_while_locked=blocked, import_exit=waiting_rc,
               import_finished_after_kill_seconds=round(after_kill, 2),
               next_writer_seconds=round(next_writer, 1), check_index_exit=check.returncode)
        assert blocked, "the import did not wait for the lock"
        assert waiting_rc == 0, (s.logs / "waiting-import.log").read_text()
        assert after_kill < 15, after_kill
        assert next_writer < 30, next_writer
        assert found == ["1", "1"]
        assert check.returncode == 0, check.stdout + check.stderr


# ------------------------------------------------- lost or damaged index

def _delete(index):
    shutil.rmtree(index)


def _junk_toc(index):
    for f in index.glob("*.toc"):
        f.write_bytes(os.urandom(f.stat().st_size))


def _junk_segments(index):
    for f in index.iterdir():
        if not f.name.endswith((".toc", "WRITELOCK")):
            f.write_bytes(os.urandom(max(f.stat().st_size, 64)))


DAMAGE = {"deleted": _delete, "toc_junk": _junk_toc, "segments_junk": _junk_segments}


def _search_answers(s, quote, expected):
    """Status of the API and the page for a quote, checking that a 200 is
    right and a 503 names the repair command."""
    out = {}
    client = s.client()
    for kind, url in (("api", quote_url(f'"{quote}"')), ("page", quote_url(f'"{quote}"', api=False))):
        resp = client.get(url)
        out[kind] = resp.status
        if resp.status == 200 and kind == "api":
            assert resp.json()["count"] == expected, resp.text[:300]
        elif resp.status == 503:
            assert REBUILD_HINT in resp.text, resp.text[:500]
    return out


QUOTE, MODULUS = next(iter(QUOTES.items()))
INDEXED = 40
EXPECTED = len(range(MODULUS, INDEXED + 1, MODULUS))


@pytest.fixture(scope="module")
def indexed_server():
    """A running server over 40 indexed essays, shared by the index tests."""
    with serving("faults.index", INDEXED, seed=5, avg_chars=300) as s:
        yield s


def test_lost_or_damaged_index_answers_503_and_rebuild_index_restores_it(indexed_server):
    s = indexed_server
    figures = {}
    assert _search_answers(s, QUOTE, EXPECTED) == {"api": 200, "page": 200}
    for name, damage in DAMAGE.items():
        damage(s.index)
        # Workers that loaded the index may keep answering from memory
        # (correctly); otherwise 503 with the command. Never a 500.
        running = _search_answers(s, QUOTE, EXPECTED)
        assert set(running.values()) <= {200, 503}, running
        check = s.manage("check_index", check=False)
        assert check.returncode not in (0, 1), check.stdout + check.stderr
        assert REBUILD_HINT in check.stderr, check.stderr
        # Fresh workers (forked by the master, which never opened the
        # index) can only say what happened; browsing does not need it.
        s.reload_workers()
        fresh = _search_answers(s, QUOTE, EXPECTED)
        browse = [s.client().get(u).status for u in ("/", "/essays/1/", "/api/essays", "/feed/")]
        assert fresh == {"api": 503, "page": 503}, fresh
        assert browse == [200, 200, 200, 200], browse
        rebuilt = s.manage("rebuild_index")
        # The running workers recover without a restart.
        after = _search_answers(s, QUOTE, EXPECTED)
        assert after == {"api": 200, "page": 200}, after
        figures[name] = {"running_server": running, "check_index_exit": check.returncode,
                         "check_index_says": check.stderr.strip()[:160],
                         "fresh_workers": fresh, "browse_statuses": browse,
                         "rebuild_output": rebuilt.stdout.strip(), "after_rebuild": after}
    clean = s.manage("check_index", check=False)
    log = s.log_text()
    record("faults.damaged_index", scenarios=figures, server_500s=log.count('" 500 '),
           final_check_index_exit=clean.returncode)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert '" 500 ' not in log


def test_a_write_after_the_index_was_lost_does_not_hide_the_loss(indexed_server):
    """After the index directory is deleted, an editor uploads one essay.
    Searches must then either still say the index is unavailable (503) or
    give the right answer, never a confident wrong count. (Found by this
    test: the write used to create a fresh index holding only the new essay;
    search.sync now refuses to write to a lost index.)"""
    s = indexed_server
    try:
        shutil.rmtree(s.index)
        assert _search_answers(s, QUOTE, EXPECTED)["api"] == 503
        resp, rows = s.client().login().upload(
            ("after-loss.txt", essay_bytes(777, "索引丢失后上传", ["索引丢失后上传的文章。"])))
        answer = s.client().get(quote_url(f'"{QUOTE}"'))
        record("faults.write_after_index_loss", upload_status=resp.status,
               upload_outcome=rows[0]["status"] if rows else None,
               search_status=answer.status,
               search_count=answer.json().get("count") if answer.status == 200 else None,
               expected_count=EXPECTED)
        assert resp.status < 500
        assert answer.status == 503 or answer.json()["count"] == EXPECTED, answer.text[:300]
    finally:
        s.manage("rebuild_index", check=False)


# ----------------------------------------------- data directory not writable

@pytest.fixture(scope="module")
def nobody_site():
    """A server running as the unprivileged user `nobody` (setpriv), so that
    chmod really stops its writes: the tests run as root, for whom it would
    not. Shared by the read-only tests below."""
    if shutil.which("setpriv") is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv to run the server as an unprivileged user")
    python, why = nobody_python()  # the checkout itself may be out of nobody's reach: see there
    if python is None:
        pytest.skip(f"SKIPPED, NOT PASSED: {why}")
    with serving("faults.read_only", 12, seed=9, avg_chars=300, chown="nobody:nogroup", as_nobody=True) as s:
        yield s


def _chmod_tree(path, change):
    """Apply `change(mode) -> mode` to path and everything below it; files
    SQLite removes meanwhile (-wal, -shm) are skipped."""
    paths = [path] + (sorted(path.rglob("*")) if path.is_dir() else [])
    for p in paths:
        try:
            os.chmod(p, change(p.stat().st_mode & 0o7777))
        except FileNotFoundError:
            pass


def _read_only(paths):
    for p in paths:
        _chmod_tree(p, lambda mode: mode & ~0o222)


def _writable(s):
    # The whole data directory: SQLite creates db.sqlite3-wal/-shm with the
    # database file's mode, so a -shm made while the database was read-only
    # stays read-only (and keeps every later write failing) unless it too
    # is made writable again.
    _chmod_tree(s.data, lambda mode: mode | 0o200)


def _wait_until_database_closed(s, timeout=15):
    """Wait until no process has the database open (SQLite then removes
    db.sqlite3-wal/-shm), so every run starts from the same state. A worker
    that has not served a request yet still holds the connection its
    warm-up opened; a few parallel requests reach every worker."""
    closed = lambda: not any(s.data.glob("db.sqlite3-*"))  # noqa: E731
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if wait_for(closed, 2, interval=0.05):
            return
        threads = [threading.Thread(target=lambda: s.client().get("/api/essays")) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    raise AssertionError(f"the database stays open: {sorted(p.name for p in s.data.iterdir())}")


READ_ONLY = {  # what is made read-only (chmod -R a-w, for the server's user)
    "database": lambda s: sorted(s.data.glob("db.sqlite3*")),
    "index": lambda s: [s.index],
    "data_dir": lambda s: [s.data],
}


@pytest.mark.parametrize("target", [
    "database",
    "index",
    "data_dir",
])
def test_upload_into_a_read_only_data_directory_fails_clearly(nobody_site, target):
    """The server's user may not write (part of) the data directory while
    an editor uploads a new essay: the editor is told so (the upload report
    with a reason, or a 503 page saying storage is unavailable), never a
    500; the essay is never in the database without its text, and
    `check_index --fix` brings the index in step afterwards. (Found by this
    test: a read-only index used to give a 500 after saving the essay, and a
    read-only data directory a 500 on every page, since SQLite in WAL mode
    must create db.sqlite3-shm even to read.)"""
    s = nobody_site
    number = 800 + list(READ_ONLY).index(target)
    name = f"readonly-{target}.txt"
    sentence = f"只读数据目录测试{target}独有句子"
    client = s.client().login()
    page = client.get("/admin/essays/essay/upload/")
    token = dict(form_fields(page.text))["csrfmiddlewaretoken"]
    _wait_until_database_closed(s)
    try:
        _read_only(READ_ONLY[target](s))
        resp = client.post("/admin/essays/essay/upload/", [("csrfmiddlewaretoken", token)], [
            ("files", name, essay_bytes(number, f"只读测试{target}", [sentence + "。", "第二段。"]))])
        rows = upload_rows(resp.text) if resp.status == 200 else []
        other_pages = {u: client.get(u).status for u in ("/admin/essays/essay/upload/", "/api/essays", "/")}
    finally:
        _writable(s)
    db_rows = s.query("SELECT paragraphs FROM essays_essay WHERE source_name = ?", (name,))
    in_db = bool(db_rows)
    in_index = s.client().get(quote_url(f'"{sentence}"')).json()["count"] == 1
    fix = s.manage("check_index", "--fix", check=False)
    after_fix = s.client().get(quote_url(f'"{sentence}"')).json()["count"]
    state = {
        "how": "server runs as nobody (setpriv); chmod -R a-w on " + target,
        "upload_status": resp.status,
        "outcome": rows[0]["status"] if rows else None,
        "reason": rows[0]["reason"] if rows else None,
        "in_db": in_db,
        "db_paragraphs_complete": (not in_db) or any(sentence in p for p in json.loads(db_rows[0][0])),
        "in_index": in_index,
        "check_index_fix_exit": fix.returncode,
        "found_after_fix": after_fix,
        "other_pages_while_read_only": other_pages,
    }
    shown = re.search(r"存储[^<]*", resp.text) if not rows else None
    record(f"faults.read_only_upload.{target}", **state,
           message=rows[0]["reason"] if rows else (shown.group(0).strip() if shown else resp.text[:160]))
    assert state["db_paragraphs_complete"], state  # never in the DB without its text
    assert fix.returncode == 0, fix.stdout + fix.stderr
    assert after_fix == (1 if in_db else 0), state
    assert all(status < 500 or status == 503 for status in other_pages.values()), other_pages
    assert resp.status in (200, 503), f"upload answered {resp.status}; {state}"
    if resp.status == 200:
        assert state["outcome"] == "failed" and state["reason"], state
    else:
        assert "存储暂时不可用" in resp.text or "只读" in resp.text, resp.text[:500]
        assert not in_db


def test_edit_and_delete_with_read_only_index_are_reported_and_catch_up_by_themselves(nobody_site):
    """An admin edit and a delete while the index may not be written: both
    are saved, the editor is told the index is behind (they used to see
    plain success), and once the index is writable again both reach it by
    themselves (the server's background catch-up), with no command run."""
    s = nobody_site
    client = s.client().login()
    edited, deleted = [row[0] for row in s.query("SELECT id FROM essays_essay ORDER BY id LIMIT 2")]
    deleted_title = s.query("SELECT title FROM essays_essay WHERE id = ?", (deleted,))[0][0]
    counted_before = s.client().get(quote_url(f'title:"{deleted_title}"')).json()["count"]
    _wait_until_database_closed(s)
    try:
        _read_only([s.index])
        resp = client.change(edited, lambda v: dict(v, title="只读索引时修改的标题"))
        shown = client.get(resp.header("Location") or "/admin/essays/essay/")
        removed = client.delete(deleted)
        shown_after_delete = client.get(removed.header("Location") or "/admin/essays/essay/")
    finally:
        _writable(s)
    started = time.monotonic()
    found = counted = None
    while time.monotonic() - started < 60:
        found = s.client().get(quote_url('title:"只读索引时修改的标题"')).json()["count"]
        counted = s.client().get(quote_url(f'title:"{deleted_title}"')).json()["count"]
        if found == 1 and counted == counted_before - 1:
            break
        time.sleep(0.5)
    caught_up = time.monotonic() - started
    check = s.manage("check_index", check=False)
    warned = "搜索索引暂时无法更新" in shown.text, "搜索索引暂时无法更新" in shown_after_delete.text
    record("faults.read_only_index_edit", edit_status=resp.status, delete_status=removed.status,
           editor_warned=warned, deleted_counted_before=counted_before, found_after_catch_up=found,
           deleted_counted_after_catch_up=counted, seconds_until_caught_up=round(caught_up, 1),
           check_index_exit=check.returncode, repair_commands_run=0,
           logged="could not update the search index" in s.log_text())
    assert resp.status == 302 and removed.status == 302, (resp.text[:300], removed.text[:300])
    assert warned == (True, True), (shown.text[:2000], shown_after_delete.text[:2000])
    assert counted_before >= 1
    assert found == 1 and counted == counted_before - 1, (found, counted, counted_before)
    assert check.returncode == 0 and "in step" in check.stdout, check.stdout + check.stderr
