"""The durable to-do list of index updates (search.queue, search.sync): a
saved essay becomes searchable even when whatever saved it died before the
index write, or the index refused it; uploads report within their time
budget; editors are told when a change has not reached the index yet."""
import io
import os

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from essays.importing import import_essay_bytes
from essays.models import Essay
from search import indexing, queue, service, sync
from search.backends.whoosh.store import WhooshIndex
from search.models import PendingIndex

from .conftest import essay_file

pytestmark = pytest.mark.django_db(transaction=True)


def found(quote):
    return sorted(h.id for h in service.search(f'"{quote}"', per_page=100).hits)


def import_one(number, title, paragraph):
    outcome = import_essay_bytes(essay_file(number, title, [paragraph]), f"{number}.txt")
    assert outcome.status in ("created", "updated"), outcome
    return outcome.essay_id


def refuse_writes(monkeypatch):
    def failing_write(self, *args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(WhooshIndex, "write", failing_write)


@pytest.fixture(autouse=True)
def index_exists():
    """An existing (empty) index, as on any site past its first import."""
    service.create_index()


@pytest.fixture
def editor(client):
    User.objects.create_superuser("editor", "e@example.org", "pw-for-tests-only")
    client.login(username="editor", password="pw-for-tests-only")
    return client


def test_a_successful_save_leaves_nothing_listed():
    pk = import_one(1, "甲", "一句只在甲里的话。")
    assert found("一句只在甲里的话") == [pk]
    assert PendingIndex.objects.count() == 0


def test_a_save_whose_process_died_before_the_index_write_is_caught_up(monkeypatch):
    """The commit happened, the on-commit index write never ran (the worker
    was killed): the row written in the save's transaction remembers it."""
    monkeypatch.setattr(sync, "_apply", lambda pk: None)
    pk = import_one(2, "乙", "进程死在提交之后的句子。")
    assert found("进程死在提交之后的句子") == []
    assert queue.pending_essays() == {pk}
    repair = sync.catch_up()
    assert repair.missing == [pk] and repair.left == []
    assert found("进程死在提交之后的句子") == [pk]
    assert PendingIndex.objects.count() == 0
    assert sync.catch_up() is None  # nothing left to do


def test_edits_and_deletes_refused_by_the_index_catch_up_later(monkeypatch):
    keep = import_one(3, "丙", "编辑之前的句子。")
    gone = import_one(4, "丁", "删除之前的句子。")
    real_write = WhooshIndex.write
    refuse_writes(monkeypatch)
    essay = Essay.objects.get(pk=keep)
    essay.paragraphs = ["编辑之后的句子。"]
    essay.save()
    Essay.objects.get(pk=gone).delete()
    assert queue.pending_essays() == {keep, gone}
    # Behind, and listed: the deleted essay still counts (its hit is dropped).
    assert found("编辑之后的句子") == [] and service.search('"删除之前的句子"').count == 1
    with pytest.raises(OSError):
        sync.catch_up()  # still refused: nothing is cleared
    assert queue.pending_essays() == {keep, gone}

    monkeypatch.setattr(WhooshIndex, "write", real_write)
    repair = sync.catch_up()
    assert repair.stale == [keep] and repair.orphans == [gone]
    assert found("编辑之后的句子") == [keep] and service.search('"删除之前的句子"').count == 0
    assert PendingIndex.objects.count() == 0


def test_a_change_listed_while_a_drain_runs_stays_listed(monkeypatch):
    """A drain clears only the rows it read before indexing: a save that
    commits meanwhile keeps its row for the next drain."""
    monkeypatch.setattr(sync, "_apply", lambda pk: None)
    first = import_one(5, "戊", "先排队的句子。")
    later = {}
    real_index = indexing.index_essays

    def index_and_meanwhile_save(essays, progress=None):
        real_index(essays, progress=progress)
        later["pk"] = import_one(6, "己", "排空时才保存的句子。")

    monkeypatch.setattr(indexing, "index_essays", index_and_meanwhile_save)
    sync.catch_up()
    assert queue.pending_essays() == {later["pk"]}
    monkeypatch.setattr(indexing, "index_essays", real_index)
    sync.catch_up()
    assert found("先排队的句子") == [first] and found("排空时才保存的句子") == [later["pk"]]
    assert PendingIndex.objects.count() == 0


def test_catch_up_leaves_rows_younger_than_asked(monkeypatch):
    monkeypatch.setattr(sync, "_apply", lambda pk: None)
    pk = import_one(7, "庚", "刚刚保存的句子。")
    assert sync.catch_up(older_than=3600) is None
    assert queue.pending_essays() == {pk}


def test_one_process_at_a_time_catches_up(tmp_path, monkeypatch):
    import fcntl

    monkeypatch.setattr(sync, "_apply", lambda pk: None)
    pk = import_one(8, "辛", "只由一个进程补做的句子。")
    lock = tmp_path / "catch-up.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        # flock locks belong to the open file description: another open of
        # the same file, as another process makes, is refused.
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert sync.catch_up_once(str(lock), 0) is None
        assert queue.pending_essays() == {pk}
    finally:
        os.close(fd)
    assert sync.catch_up_once(str(lock), 0).missing == [pk]
    assert found("只由一个进程补做的句子") == [pk]


def test_upload_reports_within_its_budget_and_the_rest_is_caught_up(editor, settings):
    settings.ESSAY_UPLOAD_INDEX_SECONDS = 0  # no time at all: everything is left for the catch-up
    files = [SimpleUploadedFile(f"{n}.txt", essay_file(n, f"预算{n}", [f"预算之外第{n}篇的句子。"]))
             for n in range(10, 14)]
    response = editor.post(reverse("admin:essays_essay_upload"), {"files": files}, follow=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("新建") >= 4 and body.count("已保存，搜索索引稍后在后台更新") == 4
    assert "其中 4 篇的搜索索引仍在后台更新" in body
    pks = sorted(Essay.objects.values_list("pk", flat=True))
    assert len(pks) == 4 and queue.pending_essays() == set(pks)
    assert found("预算之外第10篇的句子") == []
    sync.catch_up()
    assert [found(f"预算之外第{n}篇的句子") for n in range(10, 14)] == [[pk] for pk in pks]


def test_upload_with_time_indexes_everything_at_once(editor):
    files = [SimpleUploadedFile(f"{n}.txt", essay_file(n, f"及时{n}", [f"及时索引第{n}篇的句子。"]))
             for n in range(20, 23)]
    body = editor.post(reverse("admin:essays_essay_upload"), {"files": files}).content.decode()
    assert "稍后在后台更新" not in body and "仍在后台更新" not in body
    assert [len(found(f"及时索引第{n}篇的句子")) for n in range(20, 23)] == [1, 1, 1]
    assert PendingIndex.objects.count() == 0


def test_an_edit_the_index_refused_is_reported_to_the_editor(editor, monkeypatch):
    pk = import_one(30, "壬", "编辑者会被告知的句子。")
    refuse_writes(monkeypatch)
    url = reverse("admin:essays_essay_change", args=[pk])
    response = editor.post(url, {"number": "30", "title": "壬改", "paragraphs": "改过的句子。"}, follow=True)
    body = response.content.decode()
    assert response.status_code == 200 and Essay.objects.get(pk=pk).title == "壬改"
    assert "改动已保存，但搜索索引暂时无法更新" in body


def test_a_delete_the_index_refused_is_reported_to_the_editor(editor, monkeypatch):
    pk = import_one(31, "癸", "删除时会被告知的句子。")
    refuse_writes(monkeypatch)
    url = reverse("admin:essays_essay_delete", args=[pk])
    body = editor.post(url, {"post": "yes"}, follow=True).content.decode()
    assert not Essay.objects.filter(pk=pk).exists()
    assert "改动已保存，但搜索索引暂时无法更新" in body


def test_a_bulk_delete_the_index_refused_is_reported(editor, monkeypatch):
    pks = [import_one(n, f"批{n}", f"批量删除第{n}篇。") for n in (32, 33)]
    refuse_writes(monkeypatch)
    response = editor.post(reverse("admin:essays_essay_changelist"),
                           {"action": "delete_selected", "_selected_action": pks, "post": "yes"}, follow=True)
    assert Essay.objects.count() == 0
    assert "改动已保存，但搜索索引暂时无法更新" in response.content.decode()


def test_an_edit_the_index_took_is_not_reported(editor):
    pk = import_one(34, "子", "正常编辑的句子。")
    url = reverse("admin:essays_essay_change", args=[pk])
    body = editor.post(url, {"number": "34", "title": "子改", "paragraphs": "正常改过的句子。"},
                       follow=True).content.decode()
    assert "搜索索引暂时无法更新" not in body
    assert found("正常改过的句子") == [pk]


def test_check_index_reports_listed_essays_and_fix_clears_them(monkeypatch):
    monkeypatch.setattr(sync, "_apply", lambda pk: None)
    pk = import_one(40, "丑", "等着检查的句子。")
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("check_index", stdout=out)
    assert exit_.value.code == 1
    assert f"1 essays waiting for an index update: {pk}" in out.getvalue()
    out = io.StringIO()
    call_command("check_index", "--fix", stdout=out, stderr=io.StringIO())
    assert "repaired" in out.getvalue()
    assert PendingIndex.objects.count() == 0 and found("等着检查的句子") == [pk]


def test_rebuild_index_clears_the_list(monkeypatch):
    monkeypatch.setattr(sync, "_apply", lambda pk: None)
    import_one(41, "寅", "重建会清空待办。")
    call_command("rebuild_index", stdout=io.StringIO(), stderr=io.StringIO())
    assert PendingIndex.objects.count() == 0


def test_an_import_takes_along_what_earlier_work_left(tmp_path, monkeypatch):
    monkeypatch.setattr(sync, "_apply", lambda pk: None)
    left = import_one(42, "卯", "早先遗留的句子。")
    monkeypatch.undo()
    essay_file(43, "辰", ["这次导入的句子。"], directory=tmp_path)
    call_command("import_essays", str(tmp_path), stdout=io.StringIO(), stderr=io.StringIO())
    assert found("早先遗留的句子") == [left] and len(found("这次导入的句子")) == 1
    assert PendingIndex.objects.count() == 0
