"""Editors and metadata in the admin: the edit form edits every field
(partial dates included), the list shows and filters by date, source and
column, and an upload takes an optional manifest under the import's rules."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from essays.dates import PartialDate
from essays.models import Essay

from .conftest import essay_file

pytestmark = pytest.mark.django_db(transaction=True)


def form_values(essay, **changes):
    values = {"number": essay.number or "", "title": essay.title, "date": "", "source": "", "author": "",
              "column": "", "source_url": "", "paragraphs": "\n\n".join(essay.paragraphs)}
    values.update(changes)
    return values


def test_the_edit_form_edits_every_field(admin_client, make_essay):
    essay = make_essay(1, "可编辑", ["第一段。"])
    url = reverse("admin:essays_essay_change", args=[essay.pk])
    response = admin_client.post(url, form_values(essay, date="2019年7月", source="求是", author="任仲平",
                                                  column="评论", source_url="https://example.org/x"))
    assert response.status_code == 302, response.content.decode()[:2000]
    essay.refresh_from_db()
    assert (essay.date, essay.source, essay.author, essay.column, essay.source_url) == (
        PartialDate(2019, 7), "求是", "任仲平", "评论", "https://example.org/x")
    page = admin_client.get(url).content.decode()
    assert 'name="date" value="2019-07"' in page  # shown as precise as known
    response = admin_client.post(url, form_values(essay, date=""))
    essay.refresh_from_db()
    assert essay.date is None and essay.date_start is None and essay.source == ""


@pytest.mark.parametrize("changes, says", [
    ({"date": "2019-02-30"}, "不存在"),
    ({"date": "去年"}, "无法识别的日期"),
    ({"source_url": "javascript:alert(1)"}, "请输入有效的网址"),
    ({"source_url": "ftp://example.org/x"}, "须以 http:// 或 https:// 开头"),
])
def test_bad_metadata_is_refused_with_a_chinese_reason(admin_client, make_essay, changes, says):
    essay = make_essay(2, "坏元数据", ["段落。"])
    response = admin_client.post(reverse("admin:essays_essay_change", args=[essay.pk]),
                                 form_values(essay, **changes))
    assert response.status_code == 200 and says in response.content.decode()
    essay.refresh_from_db()
    assert essay.date is None and essay.source_url == ""


def test_the_list_shows_and_filters_by_year_source_and_column(admin_client, make_essay):
    for n, (date, source, column) in enumerate([(PartialDate(2019, 7, 1), "人民日报", "社论"),
                                                (PartialDate(2020), "求是", "评论"),
                                                (None, "人民日报", "评论")], start=1):
        e = make_essay(n, f"列表{n}", ["段。"])
        e.date, e.source, e.column = date, source, column
        e.save()
    changelist = reverse("admin:essays_essay_changelist")
    body = admin_client.get(changelist).content.decode()
    assert "2019年7月1日" in body and "2020年" in body and "发表年份" in body

    def shown(**params):
        page = admin_client.get(changelist, params).content.decode()
        return sorted(re.findall(r">(列表\d)</a>", page))

    assert shown(year="2020") == ["列表2"]
    assert shown(year="none") == ["列表3"]
    assert shown(source="人民日报") == ["列表1", "列表3"]
    assert shown(column="评论") == ["列表2", "列表3"]


def test_an_upload_with_a_manifest(admin_client):
    files = [SimpleUploadedFile(f"{n}.txt", essay_file(n, f"清单{n}", [f"清单第{n}篇。"])) for n in (1, 2)]
    manifest = SimpleUploadedFile("metadata.csv", "文件,日期,来源\n1.txt,2019-07-01,人民日报\n"
                                  "2.txt,2019-02-30,求是\n3.txt,2019,新华社\n".encode("gb18030"))
    response = admin_client.post(reverse("admin:essays_essay_upload"), {"files": files, "manifest": manifest})
    body = response.content.decode()
    assert response.status_code == 200 and body.count("新建") >= 2
    assert "第 3 行（2.txt）" in body and "不存在" in body and "第 4 行（3.txt）" in body
    one, two = Essay.objects.get(source_name="1.txt"), Essay.objects.get(source_name="2.txt")
    assert (one.date, one.source) == (PartialDate(2019, 7, 1), "人民日报")
    assert (two.date, two.source) == (None, "")


def test_an_unusable_manifest_still_imports_the_files(admin_client):
    files = [SimpleUploadedFile("5.txt", essay_file(5, "坏清单", ["段。"]))]
    manifest = SimpleUploadedFile("m.csv", b"file,publisher\n5.txt,x\n")
    body = admin_client.post(reverse("admin:essays_essay_upload"), {"files": files, "manifest": manifest}
                             ).content.decode()
    assert "未知的列「publisher」" in body and "文章照常导入" in body
    assert Essay.objects.filter(source_name="5.txt").exists()


def test_re_uploading_with_a_changed_manifest_counts_as_updated(admin_client):
    def upload(source):
        files = [SimpleUploadedFile("7.txt", essay_file(7, "再传", ["段。"]))]
        manifest = SimpleUploadedFile("m.csv", f"file,source\n7.txt,{source}\n".encode())
        return admin_client.post(reverse("admin:essays_essay_upload"), {"files": files, "manifest": manifest}
                                 ).content.decode()

    assert "新建 1" in upload("人民日报")
    assert "未变 1" in upload("人民日报")
    assert "更新 1" in upload("求是")
    assert Essay.objects.get(source_name="7.txt").source == "求是"
