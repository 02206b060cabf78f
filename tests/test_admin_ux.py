"""The editor's side of issue 19: essays edited by hand are kept on
re-upload (and can be overwritten), the preview-and-confirm upload, formats
the archive does not read, title-less HTML, and the admin list's search,
columns and branding."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from essays.importing import import_essay_bytes
from essays.models import Essay

from .conftest import essay_file
from .test_admin import good_file, html, report_rows, upload

pytestmark = pytest.mark.django_db

UPLOAD_URL = reverse("admin:essays_essay_upload")


def edit_in_admin(client, essay, **changes):
    """Save the change form as an editor would, with `changes`."""
    data = {"number": essay.number or "", "title": essay.title, "date": "", "source": essay.source,
            "author": essay.author, "column": essay.column, "source_url": essay.source_url,
            "paragraphs": "\n\n".join(essay.paragraphs), **changes}
    response = client.post(reverse("admin:essays_essay_change", args=[essay.pk]), data)
    assert response.status_code == 302, html(response)[:2000]
    essay.refresh_from_db()
    return essay


def preview_rows(response):
    table = re.search(r'<table id="upload-preview">.*?<tbody>(.*?)</tbody>', html(response), re.S)
    assert table is not None, "no preview table"
    return [tuple(re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S))
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)]


def test_reupload_after_a_hand_edit_says_so_and_overwrite_restores_the_file(admin_client):
    upload(admin_client, good_file())
    essay = edit_in_admin(admin_client, Essay.objects.get(), title="编辑改过的标题")
    assert essay.edited

    again = upload(admin_client, good_file())
    [row] = report_rows(again)
    assert row[:3] == ("21.txt", "保留后台修改", "编辑改过的标题")
    assert "手工修改" in row[3] and "覆盖后台的修改" in row[3]
    assert "保留后台修改 1" in html(again)
    assert Essay.objects.get().title == "编辑改过的标题"

    # A new version of the file does not silently replace the edit either.
    newer = upload(admin_client, good_file(paragraphs=["文件的新版本。"]))
    assert report_rows(newer)[0][1] == "保留后台修改" and "文件有新内容" in report_rows(newer)[0][3]
    assert Essay.objects.get().title == "编辑改过的标题"

    restored = admin_client.post(UPLOAD_URL, {"files": [good_file()], "overwrite": "on"})
    assert report_rows(restored)[0][:4] == ("21.txt", "更新", "上传的好文章", "已用文件内容覆盖后台的修改")
    essay = Essay.objects.get()
    assert (essay.title, essay.edited) == ("上传的好文章", False)
    assert essay.paragraphs == ["第一段：上传测试独有句子甲乙丙。", "第二段。"]
    # Back in step with its file: unchanged from now on.
    assert report_rows(upload(admin_client, good_file()))[0][1] == "未变"


def test_metadata_only_edit_is_not_a_hand_edit_of_the_text(admin_client):
    upload(admin_client, good_file())
    essay = edit_in_admin(admin_client, Essay.objects.get(), source="人民日报")
    assert not essay.edited
    assert report_rows(upload(admin_client, good_file()))[0][1] == "未变"


def test_import_command_keeps_edits_unless_told(tmp_path, capsys):
    from django.core.management import call_command

    essay_file(5, "命令导入", ["原文。"], name="5.txt", directory=tmp_path)
    call_command("import_essays", str(tmp_path))
    Essay.objects.update(title="手改", edited=True)
    call_command("import_essays", str(tmp_path))
    assert Essay.objects.get().title == "手改"
    assert "KEPT" in capsys.readouterr().err
    call_command("import_essays", str(tmp_path), "--overwrite-edits")
    assert Essay.objects.values_list("title", "edited").get() == ("命令导入", False)


def test_preview_imports_nothing_then_confirm_imports_what_was_shown(admin_client, settings):
    import_essay_bytes(essay_file(21, "上传的好文章", ["第一段：上传测试独有句子甲乙丙。", "第二段。"]), "21.txt")
    manifest = SimpleUploadedFile("metadata.csv", "file,date,source\n22.txt,2019年7月1日,人民日报\n".encode())
    docx = SimpleUploadedFile("报告.docx", b"PK\x03\x04\x14\x00\x06\x00word/document.xml")
    untitled = SimpleUploadedFile("0023无标题网页.html", "<div>只有正文的网页。</div>".encode())
    response = admin_client.post(UPLOAD_URL, {
        "files": [good_file(), good_file("22.txt", 22, "第二篇", ["甲。", "乙。", "丙。"]), docx, untitled],
        "manifest": manifest, "action": "preview"})
    assert response.status_code == 200
    rows = preview_rows(response)
    assert rows[0][:5] == ("21.txt", "未变", "21", "上传的好文章", "2")
    assert rows[1][:6] == ("22.txt", "新建", "22", "第二篇", "3", "日期：2019年7月1日；来源：人民日报")
    assert rows[2][:2] == ("报告.docx", "失败") and rows[2][6].startswith("不支持的文件格式（Word 文档（.docx））")
    assert rows[3][:5] == ("0023无标题网页.html", "新建", "23", "无标题网页", "1")
    assert "预览（尚未导入）：将新建 2，更新 0，未变 1，失败 1" in html(response)
    assert Essay.objects.count() == 1  # nothing imported yet
    token = re.search(r'name="token" value="([0-9a-f]{32})"', html(response)).group(1)
    assert (settings.DATA_DIR / "upload-staging" / token).is_dir()

    confirmed = admin_client.post(UPLOAD_URL, {"action": "confirm", "token": token})
    rows = report_rows(confirmed)
    assert [r[:2] for r in rows] == [("21.txt", "未变"), ("22.txt", "新建"), ("报告.docx", "失败"),
                                     ("0023无标题网页.html", "新建")]
    second = Essay.objects.get(source_name="22.txt")
    assert (second.title, second.source, second.date.iso()) == ("第二篇", "人民日报", "2019-07-01")
    assert Essay.objects.get(source_name="0023无标题网页.html").title == "无标题网页"
    assert not (settings.DATA_DIR / "upload-staging" / token).exists()
    # The same confirmation again (a double click, the back button) imports nothing twice.
    again = admin_client.post(UPLOAD_URL, {"action": "confirm", "token": token}, follow=True)
    assert "这次预览已经导入过或已过期" in html(again)
    assert Essay.objects.count() == 3


@pytest.mark.parametrize("token", ["", "../../etc", "0" * 31, "g" * 32, "0" * 32])
def test_confirm_with_a_bad_token_imports_nothing(admin_client, token):
    response = admin_client.post(UPLOAD_URL, {"action": "confirm", "token": token})
    assert response.status_code == 200
    assert "这次预览已经导入过或已过期" in html(response)
    assert Essay.objects.count() == 0


def test_upload_form_explains_formats_with_an_example(admin_client):
    body = html(admin_client.get(UPLOAD_URL))
    assert ".txt 和 .html" in body and "Word（.docx）、PDF 和图片不能直接导入" in body
    assert "71本报讯：让抓落实成为党员干部的鲜明特质.txt" in body  # the example's first line
    assert 'value="preview"' in body and 'value="import"' in body
    assert "js/upload-drop.js" in body and "<script>" not in body


def test_admin_list_searches_paragraphs_and_file_names_and_links_public_pages(admin_client):
    import_essay_bytes(essay_file(1, "甲文", ["正文里有一句独特的话叫做青山绿水。"]), "batch-a/0001.txt")
    import_essay_bytes(essay_file(1, "乙文", ["普通的正文。"]), "batch-b-0001.txt")
    changelist = reverse("admin:essays_essay_changelist")

    def found(q):
        body = html(admin_client.get(changelist, {"q": q}))
        return sorted(re.findall(r'<th class="field-title"><a href="[^"]+">([^<]+)</a>', body))

    assert found("青山绿水") == ["甲文"]  # a paragraph's text
    assert found("batch-b") == ["乙文"]  # the file name
    assert found("文") == ["乙文", "甲文"]
    body = html(admin_client.get(changelist))
    assert "0001.txt" in body and "batch-b-0001.txt" in body  # the source file tells the two 1s apart
    for essay in Essay.objects.all():
        assert f'href="{essay.get_absolute_url()}" target="_blank"' in body
    assert "在标题、正文段落和来源文件名中查找" in body


def test_admin_is_branded_as_the_archive(admin_client):
    body = html(admin_client.get(reverse("admin:index")))
    assert "政论文章库 管理" in body and "Django 管理" not in body
