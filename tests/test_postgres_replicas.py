"""Read replicas on real servers: a streaming replica made with
pg_basebackup -R from the session's throwaway primary, on its own port, and
the site under gunicorn with ARCHIVE_DATABASE_REPLICA_URLS naming it.

To see where reads go, the replica's replay is paused
(pg_wal_replay_pause()): a write then exists on the primary only, so a page
that shows it was read from the primary and one that does not, from the
replica. Each response also names the database its reads used
(X-Archive-Read-From, config.routers)."""
import time

import pytest

from tests.conftest import SEED_TITLE, essay_file
from tests.postgres_site import Browser, Gunicorn, fresh_database, prepare, site_env, sql

pytestmark = pytest.mark.slow

DB = "replicas"


@pytest.fixture(scope="module")
def replica(postgres_cluster):
    cluster = postgres_cluster.add_replica()
    yield cluster
    postgres_cluster.stop_cluster(cluster, mode="immediate")


def _wait(condition, seconds=20, what="condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"no {what} within {seconds} s")


def _caught_up(primary, replica, database):
    """The replica has replayed everything the primary wrote so far."""
    [[lsn]] = sql(primary, "postgres", "SELECT pg_current_wal_lsn()::text")
    _wait(lambda: sql(replica, database, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])[0][0],
          what="replay on the replica")


@pytest.fixture
def site(tmp_path, postgres_cluster, replica):
    """gunicorn on primary + replica, seeds imported, an editor account;
    the replica trusted with any lag here (the lag test starts its own)."""
    primary = postgres_cluster.primary
    url = fresh_database(primary, DB)
    prepare(site_env(tmp_path, url))
    _caught_up(primary, replica, DB)
    servers = []

    def start(**extra):
        env = site_env(tmp_path, url, ARCHIVE_DATABASE_REPLICA_URLS=replica.url(DB), **{
            "ARCHIVE_REPLICA_CHECK_SECONDS": 0.2, "ARCHIVE_REPLICA_RETRY_SECONDS": 1,
            "ARCHIVE_REPLICA_MAX_LAG": 3600, **extra})
        server = Gunicorn(env, tmp_path / f"gunicorn{len(servers)}.log")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
    if sql(replica, "postgres", "SELECT pg_is_wal_replay_paused()")[0][0]:
        sql(replica, "postgres", "SELECT pg_wal_replay_resume()")


def _titles(response):
    assert response.status == 200, response.text[:500]
    return response.text


def test_reads_go_to_the_replica_writes_to_the_primary_and_a_writer_reads_its_own_write(
        site, postgres_cluster, replica):
    server = site()
    reader = Browser(server.url)
    first = reader.get("/")
    assert first.read_from == "replica1" and SEED_TITLE in _titles(first)
    assert reader.get("/search/?q=抓落实").read_from == "replica1"

    sql(replica, "postgres", "SELECT pg_wal_replay_pause()")
    editor = Browser(server.url)
    editor.login()
    report = editor.upload(("900.txt", essay_file(900, "副本暂停时上传的文章", ["只在主库里的一段话。"])))
    # The upload report is the admin's, read from the primary.
    assert report.status == 200 and "副本暂停时上传的文章" in report.text and "新建" in report.text, report.text[:800]
    assert report.read_from == "default"
    # The write went to the primary; the paused replica does not have it.
    title = "副本暂停时上传的文章"
    assert sql(postgres_cluster.primary, DB, "SELECT count(*) FROM essays_essay WHERE title = %s", [title]) == [(1,)]
    assert sql(replica, DB, "SELECT count(*) FROM essays_essay WHERE title = %s", [title]) == [(0,)]

    # The editor, pinned to the primary for a while, sees the new essay on
    # the public list; a reader, on the replica, does not yet.
    assert editor.has_cookie("archive_primary")
    mine = editor.get("/")
    assert mine.read_from == "default" and title in _titles(mine)
    theirs = reader.get("/")
    assert theirs.read_from == "replica1" and title not in _titles(theirs)

    sql(replica, "postgres", "SELECT pg_wal_replay_resume()")
    _wait(lambda: title in reader.get("/").text, what="the new essay on the replica")
    assert reader.get("/").read_from == "replica1"


def test_a_lagging_replica_is_skipped(site, postgres_cluster, replica):
    server = site(ARCHIVE_REPLICA_MAX_LAG=1)
    reader = Browser(server.url)
    assert reader.get("/").read_from == "replica1"
    sql(replica, "postgres", "SELECT pg_wal_replay_pause()")
    sql(postgres_cluster.primary, DB, "UPDATE essays_essay SET title = title")  # WAL the replica will not replay
    time.sleep(1.5)
    # More than a second behind (and the health answer older than 0.2 s).
    _wait(lambda: reader.get("/").read_from == "default", seconds=10, what="fallback to the primary")
    page = reader.get("/")
    assert page.status == 200 and SEED_TITLE in page.text
    sql(replica, "postgres", "SELECT pg_wal_replay_resume()")
    _wait(lambda: reader.get("/").read_from == "replica1", seconds=15, what="the replica back in use")


def test_reads_fall_back_to_the_primary_while_the_replica_is_down(site, postgres_cluster, replica):
    # Its last health answer is still trusted when it stops: the request
    # itself must find the replica gone.
    server = site(ARCHIVE_REPLICA_CHECK_SECONDS=60)
    reader = Browser(server.url)
    assert reader.get("/").read_from == "replica1"
    postgres_cluster.stop_cluster(replica)
    try:
        started = time.monotonic()
        pages = [reader.get("/") for _ in range(5)]
        assert [p.status for p in pages] == [200] * 5, [p.text[:300] for p in pages]
        assert all(SEED_TITLE in p.text for p in pages)
        # Even the first request after the stop: its kept connection to the
        # replica is found dead before the request relies on it.
        assert [p.read_from for p in pages] == ["default"] * 5
        assert time.monotonic() - started < 10
        assert "replica replica1 skipped" in server.log()
    finally:
        postgres_cluster.start_cluster(replica)
    _wait(lambda: reader.get("/").read_from == "replica1", seconds=20, what="the replica back in use")
