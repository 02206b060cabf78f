"""The database server going away, on a real PostgreSQL server: the site
under gunicorn (config.production, connections kept between requests)
answers 503 in Chinese while it cannot connect, drops a kept connection the
server cut instead of failing on it, and an import whose connection is
terminated mid-way (pg_terminate_backend) leaves no half-written essay and
converges when run again."""
import json
import subprocess
import sys
import time

import pytest

from tests.conftest import SEED_TITLE, essay_file
from tests.postgres_site import ROOT, Browser, Gunicorn, fresh_database, manage, prepare, site_env, sql

pytestmark = pytest.mark.slow


def _terminate(cluster, database):
    """pg_terminate_backend for every connection to `database` but ours."""
    return sql(cluster, database, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE datname = %s AND pid <> pg_backend_pid()", [database])[0][0]


def _connected(cluster, database):
    return sql(cluster, database, "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                                  "AND pid <> pg_backend_pid()", [database])[0][0]


def test_a_cut_connection_is_replaced_and_an_unreachable_server_answers_503(tmp_path, postgres_cluster):
    primary = postgres_cluster.primary
    url = fresh_database(primary, "faults")
    env = site_env(tmp_path, url, ARCHIVE_CATCH_UP_SECONDS=0)  # no background thread's connection
    prepare(env)
    server = Gunicorn(env, tmp_path / "gunicorn.log")
    try:
        reader = Browser(server.url)
        assert SEED_TITLE in reader.get("/").text
        # config.workers: the worker keeps its connection while busy and
        # closes it after a second without a request, on PostgreSQL too.
        assert _connected(primary, "faults") >= 1
        time.sleep(2.5)
        assert _connected(primary, "faults") == 0
        # The worker keeps its connections while busy (CONN_MAX_AGE): cut them
        # under it. The next requests reconnect instead of failing.
        for _ in range(3):
            assert reader.get("/").status == 200
            assert _terminate(primary, "faults") >= 1
            page = reader.get("/")
            assert page.status == 200 and SEED_TITLE in page.text, page.text[:400]
            api = reader.get("/api/essays")
            assert api.status == 200 and json.loads(api.text)["results"], api.text[:400]

        # The server refuses connections (as while it restarts): 503 in
        # Chinese, for pages and the API, never a 500.
        sql(primary, "postgres", 'ALTER DATABASE "faults" ALLOW_CONNECTIONS false')
        try:
            sql(primary, "postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'faults'")
            page = reader.get("/")
            assert page.status == 503, page.text[:400]
            assert "数据库暂时不可用" in page.text and "Traceback" not in page.text
            api = reader.get("/api/essays")
            assert api.status == 503 and "数据库暂时不可用" in json.loads(api.text)["error"]
            essay = reader.get("/essays/1/")
            assert essay.status == 503
        finally:
            sql(primary, "postgres", 'ALTER DATABASE "faults" ALLOW_CONNECTIONS true')
        page = reader.get("/")
        assert page.status == 200 and SEED_TITLE in page.text
    finally:
        server.stop()


def _essay(i):
    return f"第{i}篇中断测试文章", [f"第{i}篇的第{k}段，说明导入中断时不会留下半篇文章。" for k in range(1, 31)]


def test_an_import_cut_mid_way_leaves_no_half_essay_and_converges(tmp_path, postgres_cluster):
    primary = postgres_cluster.primary
    url = fresh_database(primary, "interrupted")
    env = site_env(tmp_path / "data", url)
    prepare(env, seeds=False)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    total = 300
    for i in range(1, total + 1):
        title, paragraphs = _essay(i)
        essay_file(i, title, paragraphs, directory=corpus)

    run = subprocess.Popen([sys.executable, "manage.py", "import_essays", str(corpus)], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cuts = 0
    deadline = time.monotonic() + 120
    while run.poll() is None and time.monotonic() < deadline:
        [[n]] = sql(primary, "interrupted", "SELECT count(*) FROM essays_essay")
        if n >= 40 * (cuts + 1) and cuts < 3:
            cuts += _terminate(primary, "interrupted") > 0
        time.sleep(0.01)
    out, err = run.communicate(timeout=300)
    assert cuts >= 1, f"the import ended before its connection could be cut: {out}\n{err}"
    assert run.returncode == 1, f"{out}\n{err}"
    assert "Traceback" not in err, err[-3000:]
    failed = [line for line in err.splitlines() if line.startswith("FAILED")]
    assert failed and all("数据库错误" in line for line in failed), err[-2000:]
    # Only the files in flight when the connection was cut failed: each
    # later file opened a fresh connection.
    assert len(failed) <= cuts, failed

    # Every essay written is whole: its title and all 30 paragraphs, as in its file.
    rows = sql(primary, "interrupted", "SELECT number, title, paragraphs::text FROM essays_essay ORDER BY number")
    assert len(rows) == total - len(failed)
    for number, title, paragraphs in rows:
        assert (title, json.loads(paragraphs)) == _essay(number)

    again = manage(env, "import_essays", str(corpus))
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"created {len(failed)}" in again.stdout and f"unchanged {total - len(failed)}" in again.stdout, again.stdout
    assert sql(primary, "interrupted", "SELECT count(*), count(DISTINCT number) FROM essays_essay") == [(total, total)]
    check = manage(env, "check_index")
    assert check.returncode == 0, check.stdout + check.stderr
    search = manage(env, "shell", "-c", "from search import service; print(service.search('\"说明导入中断时不会留下半篇文章\"').count)")
    assert search.stdout.strip().splitlines()[-1] == str(total), search.stdout + search.stderr
