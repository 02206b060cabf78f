"""The import function and the import_essays command."""
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from essays.importing import clean_source_name, import_essay_bytes, import_essay_file
from essays.models import Essay

from .conftest import SEED, SEED_TITLE, essay_file

pytestmark = pytest.mark.django_db


def test_seed_imports_with_number_title_and_paragraphs():
    outcome = import_essay_file(SEED)
    assert outcome.status == "created"
    essay = Essay.objects.get(pk=outcome.essay_id)
    assert (essay.number, essay.title) == (10, SEED_TITLE)
    assert essay.source_name == SEED.name
    assert len(essay.paragraphs) > 5
    assert essay.paragraphs[0].startswith("反对空谈、强调实干")
    assert all("<" not in p and "&nbsp;" not in p for p in essay.paragraphs)


def test_reimport_is_unchanged_then_updated_never_duplicated():
    data = essay_file(3, "标题", ["第一段。", "第二段。"])
    first = import_essay_bytes(data, "3.txt")
    again = import_essay_bytes(data, "3.txt")
    changed = import_essay_bytes(essay_file(3, "新标题", ["第一段。"]), "3.txt")
    assert [first.status, again.status, changed.status] == ["created", "unchanged", "updated"]
    assert first.essay_id == again.essay_id == changed.essay_id
    essay = Essay.objects.get()
    assert (essay.title, essay.paragraphs) == ("新标题", ["第一段。"])


def test_update_saves_every_field_and_the_update_time():
    import_essay_bytes(essay_file(3, "标题", ["第一段。", "第二段。"]), "3.txt")
    before = Essay.objects.get()
    changed = essay_file(7, "新标题", ["改过的段。"])
    assert import_essay_bytes(changed, "3.txt").status == "updated"
    after = Essay.objects.get()
    assert (after.number, after.title, after.paragraphs) == (7, "新标题", ["改过的段。"])
    assert after.content_hash != before.content_hash
    assert after.updated > before.updated and after.created == before.created
    assert import_essay_bytes(changed, "3.txt").status == "unchanged"


def test_same_content_under_another_name_is_not_duplicated():
    data = essay_file(4, "同一篇", ["内容。"])
    assert import_essay_bytes(data, "a.txt").status == "created"
    twin = import_essay_bytes(data, "b.txt")
    assert twin.status == "unchanged" and "a.txt" in twin.reason
    assert Essay.objects.count() == 1


def test_bad_file_fails_with_reason_and_writes_nothing():
    outcome = import_essay_bytes(b"", "empty.txt")
    assert outcome.status == "failed" and outcome.reason
    assert import_essay_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00junk", "x.png").status == "failed"
    assert Essay.objects.count() == 0


def test_dry_run_writes_nothing():
    outcome = import_essay_bytes(essay_file(1, "试运行", ["段落。"]), "1.txt", dry_run=True)
    assert outcome.status == "created" and outcome.essay_id is None
    assert Essay.objects.count() == 0


@pytest.mark.parametrize("raw, clean", [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\x\\essay.txt", "essay.txt"),
    ("..", "unnamed.txt"),
    ("a\x00b.txt", "ab.txt"),
])
def test_source_names_lose_directories_and_control_characters(raw, clean):
    assert clean_source_name(raw) == clean


def run_import(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_essays", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


@pytest.mark.django_db(transaction=True)
def test_command_imports_directories_recursively_and_reports_failures(tmp_path):
    sub = tmp_path / "in" / "nested"
    sub.mkdir(parents=True)
    essay_file(1, "第一篇", ["甲。"], directory=tmp_path / "in")
    essay_file(2, "第二篇", ["乙。"], directory=sub)
    (sub / "broken.txt").write_bytes(b"   \n  ")
    code, out, err = run_import(str(tmp_path / "in"))
    assert code == 1
    assert "created 2, updated 0, unchanged 0, failed 1" in out
    assert "broken.txt" in err and "文件只有空白，没有内容" in err
    assert sorted(Essay.objects.values_list("title", flat=True)) == ["第一篇", "第二篇"]
    # Running it again changes nothing and is still safe.
    code, out, _ = run_import(str(tmp_path / "in"))
    assert "created 0, updated 0, unchanged 2, failed 1" in out


@pytest.mark.django_db(transaction=True)
def test_command_dry_run_and_exit_status_zero_when_all_good(tmp_path):
    essay_file(5, "好文章", ["丙。"], directory=tmp_path)
    code, out, _ = run_import("--dry-run", str(tmp_path))
    assert code == 0 and "dry run" in out and "created 1" in out
    assert Essay.objects.count() == 0
    code, out, err = run_import(str(tmp_path))
    assert code == 0 and "created 1" in out
    assert "importing" in err and "indexing [" in err  # both progress bars
    code, out, err = run_import(str(tmp_path))
    assert "unchanged 1" in out and "indexing [" not in err  # nothing left to index


@pytest.mark.django_db(transaction=True)
def test_command_missing_path_is_a_failed_file(tmp_path):
    code, out, err = run_import(str(tmp_path / "nope.txt"))
    assert code == 1 and "nope.txt" in err and "failed 1" in out


def test_size_limit_is_checked_before_reading(tmp_path, settings):
    settings.ESSAY_MAX_BYTES = 100
    big = tmp_path / "big.txt"
    big.write_bytes(essay_file(1, "大", ["很长的段落。" * 50]))
    outcome = import_essay_file(big)
    assert outcome.status == "failed" and "超过上限 100 字节" in outcome.reason
    assert Path(big).exists() and Essay.objects.count() == 0
