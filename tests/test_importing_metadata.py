"""Importing with a metadata manifest (import_essays --metadata, a
directory's metadata.csv): rows set the essays' metadata, bad rows are
reported with their line and change nothing, files are always imported."""
import datetime
import io

import pytest
from django.core.management import call_command

from essays.dates import PartialDate
from essays.models import Essay

from .conftest import essay_file

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_essays", *map(str, args), stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def corpus(tmp_path, manifest=None, encoding="utf-8"):
    d = tmp_path / "in"
    d.mkdir(exist_ok=True)
    essay_file(1, "第一篇", ["甲段落。"], name="0001.txt", directory=d)
    essay_file(2, "第二篇", ["乙段落。"], name="0002.txt", directory=d)
    if manifest is not None:
        (d / "metadata.csv").write_bytes(manifest.encode(encoding))
    return d


def meta(name):
    e = Essay.objects.get(source_name=name)
    return (e.date, e.source, e.author, e.column, e.source_url)


def test_a_directorys_manifest_sets_the_metadata(tmp_path):
    d = corpus(tmp_path, "file,date,source,author,column,url\n"
                         "0001.txt,2019年7月1日,人民日报,任仲平,评论,https://example.org/1\n"
                         "0002.txt,2019-07,求是,,,\n")
    code, out, err = run(d)
    assert code == 0, err
    assert "created 2" in out
    assert meta("0001.txt") == (PartialDate(2019, 7, 1), "人民日报", "任仲平", "评论", "https://example.org/1")
    assert meta("0002.txt") == (PartialDate(2019, 7), "求是", "", "", "")
    e = Essay.objects.get(source_name="0002.txt")
    assert (e.date_start, e.date_end, e.date_precision) == (datetime.date(2019, 7, 1), datetime.date(2019, 7, 31),
                                                            "month")


def test_re_import_with_a_changed_manifest_updates_and_counts_it(tmp_path):
    d = corpus(tmp_path, "file,source\n0001.txt,人民日报\n0002.txt,求是\n")
    run(d)
    code, out, _ = run(d)
    assert "unchanged 2" in out and code == 0
    (d / "metadata.csv").write_text("file,source,date\n0001.txt,新华社,2020\n0002.txt,求是,\n", "utf-8")
    updated = Essay.objects.get(source_name="0001.txt").updated
    code, out, err = run(d)
    assert code == 0, err
    assert "updated 1" in out and "unchanged 1" in out
    assert meta("0001.txt")[:2] == (PartialDate(2020), "新华社")
    assert Essay.objects.get(source_name="0001.txt").updated > updated


def test_bad_rows_are_reported_and_leave_their_essays_metadata_as_it_was(tmp_path):
    d = corpus(tmp_path, "file,source\n0001.txt,人民日报\n0002.txt,求是\n")
    run(d)
    (d / "metadata.csv").write_text("file,source,date\n"
                                    "0001.txt,新华社,2019-02-30\n"
                                    "0002.txt,光明日报,2019\n"
                                    "9999.txt,无此文,2019\n", "utf-8")
    code, out, err = run(d)
    assert code == 1
    assert "第 2 行（0001.txt）" in err and "不存在" in err
    assert "第 4 行（9999.txt）" in err and "没有这个文件" in err
    assert "2 metadata problems" in out and "updated 1" in out
    assert meta("0001.txt")[1] == "人民日报"  # unchanged
    assert meta("0002.txt")[:2] == (PartialDate(2019), "光明日报")


def test_a_malformed_manifest_stops_nothing(tmp_path):
    d = corpus(tmp_path, "file,publisher\n0001.txt,人民日报\n")
    code, out, err = run(d)
    assert code == 1
    assert "未知的列「publisher」" in err and "not used" in err
    assert "created 2" in out and Essay.objects.count() == 2


def test_metadata_option_gb18030_with_columns_left_alone(tmp_path):
    d = corpus(tmp_path, "file,author\n0001.txt,本报评论员\n")
    run(d)
    other = tmp_path / "extra.csv"
    other.write_bytes("文件,来源\n0001.txt,人民日报\n".encode("gb18030"))
    code, out, err = run(d, "--metadata", other)
    assert code == 0, err
    # The option's manifest has no author column: the directory's author stays.
    assert meta("0001.txt")[1:3] == ("人民日报", "本报评论员")


def test_dry_run_writes_no_metadata(tmp_path):
    d = corpus(tmp_path, "file,source\n0001.txt,人民日报\n")
    run(d)
    (d / "metadata.csv").write_text("file,source\n0001.txt,新华社\n", "utf-8")
    code, out, _ = run(d, "--dry-run")
    assert "updated 1" in out and meta("0001.txt")[1] == "人民日报"
