"""The index follows the database (signals on commit, batches, check_index,
rebuild_index), and a missing or damaged index is reported, never a 500."""
import io

import pytest
from django.core.management import call_command

from essays.models import Essay
from search import service

from .conftest import essay_file

pytestmark = pytest.mark.django_db(transaction=True)


def run(command, *args):
    """(exit code, stdout, stderr) of a management command."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def ids(query):
    result = service.search(query, per_page=100)
    return sorted(h.id for h in result.hits)


def import_one(number, title, paragraphs):
    from essays.importing import import_essay_bytes

    outcome = import_essay_bytes(essay_file(number, title, paragraphs), f"{number}.txt")
    assert outcome.status in ("created", "updated"), outcome
    return Essay.objects.get(pk=outcome.essay_id)


def assert_in_step():
    code, out, err = run("check_index")
    assert code == 0, (out, err)
    assert "in step" in out and "missing" not in out and "stale" not in out


def test_import_edit_delete_keep_the_index_in_step():
    first = import_one(1, "第一篇", ["狠抓落实。"])
    second = import_one(2, "第二篇", ["不忘初心。"])
    assert ids("落实") == [first.pk] and ids('"初心"') == [second.pk]
    assert_in_step()

    first.paragraphs = ["改成了牢记使命。"]
    first.save()
    assert ids("落实") == [] and ids("使命") == [first.pk]
    assert_in_step()

    import_one(2, "第二篇改", ["初心与使命。"])  # a re-import updates the row
    assert ids("使命") == sorted([first.pk, second.pk])
    assert_in_step()

    second.delete()
    assert ids("使命") == [first.pk]
    assert_in_step()
    assert service.indexed_digests().keys() == {first.pk}


def test_entry_missing_from_the_index_is_reported_and_fixed():
    keep = import_one(1, "保留", ["调查研究。"])
    lost = import_one(2, "丢失", ["调查研究，实事求是。"])
    service.remove_essays([lost.pk])  # behind the database's back
    assert ids("调查研究") == [keep.pk]

    code, out, _ = run("check_index")
    assert code == 1
    assert f"1 essays missing from the index: {lost.pk}" in out and "--fix" in out

    code, out, _ = run("check_index", "--fix")
    assert code == 0 and "repaired" in out
    assert ids("调查研究") == sorted([keep.pk, lost.pk])
    assert_in_step()


def test_stale_entry_is_reported_and_fixed():
    essay = import_one(1, "旧标题", ["旧的内容。"])
    Essay.objects.filter(pk=essay.pk).update(title="新标题", paragraphs=["新的内容。"])  # no signal
    assert ids('"旧的内容"') == [essay.pk]  # the index still has the old text

    code, out, _ = run("check_index")
    assert code == 1 and f"1 essays stale in the index: {essay.pk}" in out

    code, out, _ = run("check_index", "--fix")
    assert code == 0 and "repaired" in out
    assert ids('"旧的内容"') == [] and ids('"新的内容"') == [essay.pk]
    assert ids("title:新标题") == [essay.pk]
    assert_in_step()


def test_orphan_entry_is_reported_and_removed():
    essay = import_one(1, "将被删除", ["孤儿条目。"])
    Essay.objects.filter(pk=essay.pk).delete()  # queryset delete does send post_delete...
    service.index_essays([essay])  # ...so put the entry back by hand
    code, out, _ = run("check_index")
    assert code == 1 and "in the index but not in the database" in out
    code, out, _ = run("check_index", "--fix")
    assert code == 0
    assert service.indexed_digests() == {}


def test_rebuild_index_rebuilds_from_the_database():
    a = import_one(1, "甲", ["实干兴邦。"])
    b = import_one(2, "乙", ["空谈误国，实干兴邦。"])
    Essay.objects.filter(pk=b.pk).update(paragraphs=["只剩空谈。"])  # stale
    service.remove_essays([a.pk])  # missing
    code, out, _ = run("rebuild_index")
    assert code == 0 and "indexed 2 essays" in out
    assert ids("实干") == [a.pk] and ids("空谈") == [b.pk]
    assert_in_step()


def test_batched_import_command_indexes_everything(tmp_path):
    (tmp_path / "in").mkdir()
    for n in range(1, 6):
        essay_file(n, f"第{n}篇", [f"批量导入第{n}段。"], directory=tmp_path / "in")
    code, out, _ = run("import_essays", str(tmp_path / "in"))
    assert code == 0 and "created 5" in out
    assert len(ids('"批量导入"')) == 5
    assert_in_step()


# -- a missing or damaged index --------------------------------------------------

def assert_unavailable(client):
    with pytest.raises(service.IndexUnavailable):
        service.search("落实")
    page = client.get("/search/", {"q": "落实"})
    assert page.status_code == 503
    assert "rebuild_index" in page.content.decode()
    api = client.get("/api/search", {"q": "落实"})
    assert api.status_code == 503
    assert "rebuild_index" in api.json()["error"]
    code, _, err = run("check_index")
    assert code == 2 and "rebuild_index" in err


def test_deleted_index_directory_answers_503_until_rebuilt(client, settings):
    import shutil

    essay = import_one(1, "甲", ["狠抓落实。"])
    assert ids("落实") == [essay.pk]  # the process now holds the index open
    shutil.rmtree(settings.SEARCH["PATH"])
    assert_unavailable(client)

    code, out, _ = run("rebuild_index")
    assert code == 0 and "indexed 1 essays" in out
    assert ids("落实") == [essay.pk]
    assert client.get("/api/search", {"q": "落实"}).json()["count"] == 1
    assert_in_step()


def test_writes_after_the_index_was_lost_do_not_hide_the_loss(client, settings, caplog, tmp_path):
    """An edit or an import while the index directory is gone must not
    create a fresh index holding only that essay (searches would then give
    confident wrong counts): searches keep answering 503 until rebuilt."""
    import shutil

    first = import_one(1, "甲", ["狠抓落实。"])
    # An essay nothing touches afterwards: only a full rebuild restores it.
    import_one(4, "丁", ["落实到底。"])
    shutil.rmtree(settings.SEARCH["PATH"])
    second = import_one(2, "乙", ["也要落实。"])  # signal -> _apply
    first.title = "甲改"
    first.save()
    (tmp_path / "in").mkdir()
    essay_file(3, "丙", ["还是落实。"], directory=tmp_path / "in")
    code, _, err = run("import_essays", str(tmp_path / "in"))  # batched -> reconcile(ids)
    # The essay is saved, but the operator is told the index needs rebuilding.
    assert code == 1 and "rebuild_index" in err
    assert "rebuild_index" in caplog.text
    assert not settings.SEARCH["PATH"].exists() or not service.index_exists()
    assert_unavailable(client)

    code, out, _ = run("rebuild_index")
    assert code == 0 and "indexed 4 essays" in out
    assert len(ids("落实")) == 4 and ids("title:甲改") == [first.pk] and second.pk in ids("落实")
    assert_in_step()


def test_first_import_into_an_empty_archive_creates_the_index(settings, tmp_path):
    assert not settings.SEARCH["PATH"].exists()
    (tmp_path / "in").mkdir()
    for n in (1, 2):
        essay_file(n, f"第{n}篇", ["首次导入。"], directory=tmp_path / "in")
    assert run("import_essays", str(tmp_path / "in"))[0] == 0
    assert len(ids('"首次导入"')) == 2
    assert_in_step()


def test_first_essay_saved_creates_the_index(settings):
    assert not settings.SEARCH["PATH"].exists()
    essay = import_one(1, "唯一", ["第一篇文章。"])
    assert ids('"第一篇"') == [essay.pk]


def corrupt_toc(settings):
    tocs = list(settings.SEARCH["PATH"].glob("_essays_*.toc"))
    assert tocs
    for toc in tocs:
        toc.write_bytes(b"this is not a table of contents" * 10)


def test_corrupted_index_answers_503_until_rebuilt(client, settings):
    essay = import_one(1, "甲", ["狠抓落实。"])
    assert ids("落实") == [essay.pk]
    corrupt_toc(settings)
    service.reset_index()  # as a worker started after the damage: nothing cached
    assert_unavailable(client)

    code, out, err = run("rebuild_index")
    assert code == 0 and "indexed 1 essays" in out and "damaged" in err
    assert ids("落实") == [essay.pk]
    assert_in_step()


def test_running_worker_survives_a_corrupted_index_and_rebuild_repairs_it(client, settings, caplog):
    essay = import_one(1, "甲", ["狠抓落实。"])
    assert ids("落实") == [essay.pk]
    corrupt_toc(settings)
    # A worker that already read the index keeps answering from its
    # in-memory snapshot; the failed update is logged, not raised.
    other = import_one(2, "乙", ["也要落实。"])
    assert "check_index --fix" in caplog.text
    assert client.get("/api/search", {"q": "落实"}).status_code in (200, 503)

    code, out, err = run("rebuild_index")
    assert code == 0 and "indexed 2 essays" in out, err
    assert ids("落实") == sorted([essay.pk, other.pk])
    assert_in_step()


def test_empty_archive_without_an_index_searches_nothing(client, settings):
    assert not settings.SEARCH["PATH"].exists()
    assert service.search("落实").count == 0
    assert client.get("/api/search", {"q": "落实"}).status_code == 200


def test_an_edit_shows_in_the_next_results_title_and_snippets():
    """Results, titles and snippets are cached per index version: an edit
    (a new version) must show at once, whatever was searched before."""
    essay = import_one(3, "旧标题", ["这里讲抓落实。", "别的段落。"])
    before = service.search("落实")
    assert [(h.title, h.occurrences, h.snippets[0].paragraph) for h in before.hits] == [("旧标题", 1, 1)]
    assert service.search("落实").hits[0].snippets == before.hits[0].snippets  # served again

    essay.title = "新标题落实"
    essay.paragraphs = ["别的段落。", "这里讲抓落实，再讲落实。"]
    essay.save()
    after = service.search("落实")
    assert [(h.title, h.occurrences) for h in after.hits] == [("新标题落实", 3)]
    assert [s.paragraph for s in after.hits[0].snippets] == [0, 2, 2]
