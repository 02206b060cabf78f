"""Storage that refuses writes: the editor and the operator are told, and
nothing is half-saved. (The same faults against a real server, with real
read-only directories, are in test_reliability_faults.py.)"""
import io

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import OperationalError, connections
from django.db.models.sql.compiler import SQLCompiler
from django.urls import reverse

from essays.models import Essay
from search import service
from search.backends.whoosh.store import WhooshIndex

from .conftest import essay_file


@pytest.fixture
def editor(client, db):
    User.objects.create_superuser("editor", "e@example.org", "pw-for-tests-only")
    client.login(username="editor", password="pw-for-tests-only")
    return client


def upload(client, *files):
    return client.post(reverse("admin:essays_essay_upload"), {"files": list(files)})


def test_upload_refused_whole_when_index_cannot_be_written(editor, monkeypatch):
    monkeypatch.setattr(WhooshIndex, "writable", lambda self: False)
    good = SimpleUploadedFile("1.txt", essay_file(1, "不可写时上传", ["一段。"]))
    response = upload(editor, good)
    body = response.content.decode()
    assert response.status_code == 200
    assert "失败" in body and "搜索索引目前不可写" in body
    assert Essay.objects.count() == 0


def test_writable_probe_is_real(tmp_path):
    index = WhooshIndex(tmp_path / "index")
    assert index.writable()
    assert list(tmp_path.iterdir()) == []  # the probe leaves nothing behind


@pytest.mark.django_db(transaction=True)
def test_index_failure_after_save_is_reported_and_repairable(client, monkeypatch):
    User.objects.create_superuser("editor", "e@example.org", "pw-for-tests-only")
    client.login(username="editor", password="pw-for-tests-only")
    real_write = WhooshIndex.write

    def failing_write(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(WhooshIndex, "write", failing_write)
    response = upload(client, SimpleUploadedFile("2.txt", essay_file(2, "索引写失败", ["独一无二的索引失败句子。"])))
    body = response.content.decode()
    assert response.status_code == 200
    assert "新建" in body and "check_index --fix" in body and "No space left" in body
    assert Essay.objects.filter(title="索引写失败").count() == 1
    monkeypatch.setattr(WhooshIndex, "write", real_write)
    out = io.StringIO()
    call_command("check_index", "--fix", stdout=out)
    assert "repaired" in out.getvalue()
    assert service.search('"独一无二的索引失败句子"').count == 1


@pytest.mark.django_db(transaction=True)
def test_import_command_reports_index_failure_with_exit_1(tmp_path, monkeypatch):
    essay_file(3, "命令行索引失败", ["段落。"], directory=tmp_path)
    monkeypatch.setattr(WhooshIndex, "write", lambda self, *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_essays", str(tmp_path), stdout=out, stderr=err)
    assert exit_.value.code == 1
    assert "check_index --fix" in err.getvalue() and "created 1" in out.getvalue()
    assert Essay.objects.count() == 1


@pytest.mark.parametrize("url", ["/", "/api/essays"])
def test_unusable_database_answers_503_with_a_message(client, db, monkeypatch, url):
    def broken(*args, **kwargs):
        raise OperationalError("attempt to write a readonly database")

    # Every query the page makes fails, as with a read-only data directory.
    monkeypatch.setattr(SQLCompiler, "execute_sql", broken)
    closed = []
    # A connection kept between requests may be the broken part: dropped.
    monkeypatch.setattr(connections, "close_all", lambda: closed.append(True))
    response = client.get(url)
    assert response.status_code == 503
    assert "存储暂时不可用" in response.content.decode()
    assert closed




@pytest.mark.parametrize("unwritable", [None, "db.sqlite3", "data", "db.sqlite3-shm"])
def test_a_connection_opened_on_unwritable_storage_is_not_kept(tmp_path, monkeypatch, unwritable):
    """config.workers (production, CONN_MAX_AGE): a worker keeps its
    connection between requests, except one opened while the database, its
    directory or an existing -wal/-shm could not be written (SQLite opens
    it read-only for good): that one is closed when its request ends, so the
    next request sees storage made writable again. (The tests' database is
    in memory, which Django never closes: a stand-in connection here; the
    reliability tests do it with a real server and chmod.)"""
    from django.core.signals import request_finished

    from config import workers

    data = tmp_path / "data"
    data.mkdir()
    (data / "db.sqlite3").touch()
    (data / "db.sqlite3-shm").touch()
    denied = {None: None, "data": str(data)}.get(unwritable, str(data / str(unwritable)))
    monkeypatch.setattr(workers.os, "access", lambda path, mode: str(path) != denied)

    class Connection:
        vendor = "sqlite"
        settings_dict = {"NAME": data / "db.sqlite3"}
        closed = False

        def close(self):
            self.closed = True

        def close_if_unusable_or_obsolete(self):  # Django's own check (close_old_connections): keeps it
            pass

    conn = Connection()
    monkeypatch.setattr(connections, "all", lambda initialized_only=False: [conn])
    workers.keep_only_writable_connections()
    workers._note_writability(sender=None, connection=conn)  # as connection_created does
    request_finished.send(sender=None)
    assert conn.closed == (unwritable is not None)


def test_idle_close_closes_every_threads_connection(monkeypatch):
    """config.workers under gthread: Django keeps a connection per thread,
    and the worker's main loop closes them all once no request is in
    flight, each with Django's thread sharing allowed for the close (it
    refuses to close another thread's connection otherwise). Stand-in
    connections, as above."""
    import threading

    from config import workers

    class Connection:
        def __init__(self):
            self.sharing, self.closed_with_sharing = 0, None

        def inc_thread_sharing(self):
            self.sharing += 1

        def dec_thread_sharing(self):
            self.sharing -= 1

        def close(self):
            self.closed_with_sharing = self.sharing > 0

    monkeypatch.setattr(connections, "close_all", lambda: None)
    opened = [Connection() for _ in range(4)]
    threads = [threading.Thread(target=workers._note_opened, kwargs={"sender": None, "connection": c})
               for c in opened]  # as connection_created does, in each request thread
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    workers.close_connections()
    assert [c.closed_with_sharing for c in opened] == [True] * 4
    assert all(c.sharing == 0 for c in opened)
    assert not workers._opened  # nothing left to close at the next idle second
