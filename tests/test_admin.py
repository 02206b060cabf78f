"""The essay admin: access control, the changelist, the change form with
paragraphs edited as plain text, and the multi-file upload page."""
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from essays.models import Essay

from .conftest import essay_file

pytestmark = pytest.mark.django_db

UPLOAD_URL = "admin:essays_essay_upload"


def html(response):
    return response.content.decode("utf-8")


def upload(client, *files, **extra):
    return client.post(reverse(UPLOAD_URL), {"files": list(files)}, **extra)


def good_file(name="21.txt", number=21, title="上传的好文章", paragraphs=None):
    paragraphs = paragraphs or ["第一段：上传测试独有句子甲乙丙。", "第二段。"]
    return SimpleUploadedFile(name, essay_file(number, title, paragraphs), content_type="text/plain")


def report_rows(response):
    """(file, status label, title, reason) of each row in the upload report."""
    body = html(response)
    table = re.search(r'<table id="upload-report">.*?<tbody>(.*?)</tbody>', body, re.S)
    assert table is not None, "no upload report"
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        rows.append(tuple(cells))
    return rows


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Users are created in most tests: hash their passwords cheaply."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff_client(db, django_user_model):
    """A staff user with exactly the essay permissions (not a superuser)."""
    user = django_user_model.objects.create_user("editor", password="pw-editor-123", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="essays"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def essay(make_essay):
    return make_essay(10, "让抓落实成为党员干部的鲜明特质", ["第一段。", "第二段。", "第三段。"], name="10.txt")


# ---------------------------------------------------------- access control

def _admin_urls(essay):
    return [
        reverse("admin:essays_essay_changelist"),
        reverse("admin:essays_essay_change", args=[essay.pk]),
        reverse(UPLOAD_URL),
    ]


def test_anonymous_users_are_sent_to_login(client, essay):
    assert reverse(UPLOAD_URL) == "/admin/essays/essay/upload/"
    for url in _admin_urls(essay):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url
        assert "next=" in response["Location"]
    response = upload(client, good_file())
    assert response.status_code == 302
    assert Essay.objects.count() == 1


def test_logged_in_non_staff_user_is_refused(client, essay, django_user_model):
    user = django_user_model.objects.create_user("reader", password="pw-reader-123")
    client.force_login(user)
    for url in _admin_urls(essay):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url
    response = upload(client, good_file())
    assert response.status_code == 302
    assert Essay.objects.count() == 1


def test_staff_without_essay_permissions_is_forbidden(client, essay, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="pw-nobody-123", is_staff=True)
    client.force_login(user)
    for url in _admin_urls(essay):
        assert client.get(url).status_code == 403, url
    assert upload(client, good_file()).status_code == 403
    assert Essay.objects.count() == 1


def test_staff_who_may_only_view_cannot_upload(client, essay, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="pw-viewer-123", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_essay"))
    client.force_login(user)
    assert client.get(reverse("admin:essays_essay_changelist")).status_code == 200
    assert client.get(reverse(UPLOAD_URL)).status_code == 403
    assert upload(client, good_file()).status_code == 403
    assert Essay.objects.count() == 1


def test_staff_with_essay_permissions_can_use_every_page(staff_client, essay):
    for url in _admin_urls(essay):
        assert staff_client.get(url).status_code == 200, url
    response = upload(staff_client, good_file())
    assert report_rows(response)[0][:2] == ("21.txt", "新建")
    assert Essay.objects.count() == 2


# ------------------------------------------------------------- changelist

def test_changelist_shows_number_title_and_paragraph_count(admin_client, make_essay):
    make_essay(3, "第三篇文章", ["一。", "二。"], name="3.txt")
    make_essay(1, "第一篇文章", ["一。", "二。", "三。", "四。"], name="1.txt")
    make_essay(None, "没有序号", ["一。"], name="n.txt")
    response = admin_client.get(reverse("admin:essays_essay_changelist"))
    assert response.status_code == 200
    body = html(response)
    assert "段落数" in body and "序号" in body and "标题" in body
    rows = re.findall(r'<tr[^>]*>\s*<td class="action-checkbox">.*?</tr>', body, re.S)
    cells = [[re.sub(r"<[^>]+>", "", c).strip()
              for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)] for row in rows]
    # number, title, date, source, column, paragraphs (after the checkbox)
    cells = [[c[1], c[2], c[6]] for c in cells]
    assert cells[:2] == [["1", "第一篇文章", "4"], ["3", "第三篇文章", "2"]]
    assert cells[2][1:] == ["没有序号", "1"]
    assert 'href="/admin/essays/essay/upload/"' in body  # the upload link


def test_changelist_search_by_title(admin_client, make_essay):
    make_essay(1, "论抓落实", ["一。"], name="1.txt")
    make_essay(2, "论担当", ["二。"], name="2.txt")
    make_essay(3, "再论抓落实", ["三。"], name="3.txt")
    response = admin_client.get(reverse("admin:essays_essay_changelist"), {"q": "抓落实"})
    assert response.status_code == 200
    shown = [e.title for e in response.context["cl"].result_list]
    assert shown == ["论抓落实", "再论抓落实"]
    assert "论担当" not in html(response)


def test_changelist_escapes_hostile_titles(admin_client, make_essay):
    make_essay(1, "<script>alert(1)</script>标题", ["一。"], name="x.txt")
    body = html(admin_client.get(reverse("admin:essays_essay_changelist")))
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;标题" in body


# ------------------------------------------------------------ change form

def _change_url(essay):
    return reverse("admin:essays_essay_change", args=[essay.pk])


def test_change_form_shows_paragraphs_as_plain_text(admin_client, essay):
    response = admin_client.get(_change_url(essay))
    assert response.status_code == 200
    body = html(response)
    textarea = re.search(r'<textarea[^>]*name="paragraphs"[^>]*>(.*?)</textarea>', body, re.S)
    assert textarea is not None
    assert textarea.group(1).strip() == "第一段。\n\n第二段。\n\n第三段。"
    assert "10.txt" in body  # source name, read only
    assert not re.search(r'<input[^>]*name="source_name"', body)


def test_change_form_edits_paragraphs(admin_client, essay):
    response = admin_client.post(_change_url(essay), {
        "number": "11",
        "title": "新的标题",
        "paragraphs": "第一段。\r\n\r\n第二段改过了，\r\n而且换了行。\r\n\r\n\r\n\r\n第三段。\r\n\r\n新的第四段。",
        "_save": "保存",
    })
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    essay.refresh_from_db()
    assert essay.number == 11
    assert essay.title == "新的标题"
    assert essay.paragraphs == ["第一段。", "第二段改过了， 而且换了行。", "第三段。", "新的第四段。"]
    assert essay.source_name == "10.txt"  # read only: unchanged


def test_saving_an_unchanged_form_keeps_the_text(admin_client, make_essay):
    """Opening an essay and saving it without edits must not alter its
    paragraphs (e.g. an ideographic space inside a paragraph)."""
    essay = make_essay(5, "原样保存", ["一是　二是　三是。", "第二段 有空格。"], name="5.txt")
    original = list(essay.paragraphs)
    assert original == ["一是　二是　三是。", "第二段 有空格。"]
    body = html(admin_client.get(_change_url(essay)))
    text = re.search(r'<textarea[^>]*name="paragraphs"[^>]*>(.*?)</textarea>', body, re.S).group(1)
    response = admin_client.post(_change_url(essay), {
        "number": "5", "title": "原样保存", "paragraphs": text.strip("\n"), "_save": "保存"})
    assert response.status_code == 302
    essay.refresh_from_db()
    assert essay.paragraphs == original


@pytest.mark.parametrize("paragraphs", ["", "   ", "\r\n\r\n  \r\n"])
def test_change_form_refuses_empty_paragraphs(admin_client, essay, paragraphs):
    response = admin_client.post(_change_url(essay), {
        "number": "10", "title": "标题", "paragraphs": paragraphs, "_save": "保存"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "paragraphs" in errors
    assert "文章至少需要一个段落。" in html(response)
    essay.refresh_from_db()
    assert essay.paragraphs == ["第一段。", "第二段。", "第三段。"]
    assert essay.title == "让抓落实成为党员干部的鲜明特质"


def test_add_form_creates_an_essay(admin_client):
    """Adding by hand works too (source_name is read only, so the essay
    needs a generated, unique reference)."""
    response = admin_client.post(reverse("admin:essays_essay_add"), {
        "number": "7", "title": "手工添加", "paragraphs": "一段。\n\n两段。", "_save": "保存"})
    assert response.status_code == 302
    essay = Essay.objects.get(title="手工添加")
    assert essay.paragraphs == ["一段。", "两段。"]
    assert essay.source_name
    response = admin_client.post(reverse("admin:essays_essay_add"), {
        "number": "8", "title": "再手工添加", "paragraphs": "别的。", "_save": "保存"})
    assert response.status_code == 302
    assert Essay.objects.count() == 2


# ----------------------------------------------------------------- upload

def test_upload_page_shows_a_multiple_file_form(admin_client):
    response = admin_client.get(reverse(UPLOAD_URL))
    assert response.status_code == 200
    body = html(response)
    assert 'enctype="multipart/form-data"' in body
    assert re.search(r'<input[^>]*type="file"[^>]*name="files"[^>]*multiple', body)
    assert "csrfmiddlewaretoken" in body
    assert 'id="upload-report"' not in body


def test_upload_good_and_broken_files_together(admin_client):
    broken = SimpleUploadedFile("broken.txt", b"", content_type="text/plain")
    binary = SimpleUploadedFile("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", content_type="image/png")
    response = upload(admin_client, good_file(), broken, binary)
    assert response.status_code == 200
    rows = report_rows(response)
    assert rows[0][:3] == ("21.txt", "新建", "上传的好文章")
    assert rows[1][:2] == ("broken.txt", "失败") and rows[1][3] == "文件是空的；请检查是否选错了文件"
    assert rows[2][:2] == ("image.png", "失败") and rows[2][3].startswith("不支持的文件格式（PNG 图片）")
    assert "上传结果：新建 1，更新 0，未变 0，失败 2" in html(response)
    essay = Essay.objects.get()
    assert (essay.number, essay.title, essay.source_name) == (21, "上传的好文章", "21.txt")
    assert essay.paragraphs == ["第一段：上传测试独有句子甲乙丙。", "第二段。"]
    # The report links the new essay to its change page and its public page.
    assert f'href="/admin/essays/essay/{essay.pk}/change/"' in html(response)
    assert f'class="public-link" href="{essay.get_absolute_url()}"' in html(response)


def test_reupload_reports_unchanged_then_updated(admin_client):
    upload(admin_client, good_file())
    again = upload(admin_client, good_file())
    assert report_rows(again)[0][:3] == ("21.txt", "未变", "上传的好文章")
    changed = upload(admin_client, good_file(title="改过的标题", paragraphs=["新的内容。"]))
    assert report_rows(changed)[0][:3] == ("21.txt", "更新", "改过的标题")
    essay = Essay.objects.get()
    assert (essay.title, essay.paragraphs) == ("改过的标题", ["新的内容。"])


def test_oversized_upload_fails_with_size_reason(admin_client, settings):
    settings.ESSAY_MAX_BYTES = 200
    big = good_file("big.txt", paragraphs=["很长的段落。" * 40])
    small = good_file("small.txt", number=1, title="小", paragraphs=["短。"])
    assert big.size > 200 > small.size
    response = upload(admin_client, big, small)
    rows = {row[0]: row for row in report_rows(response)}
    assert set(rows) == {"big.txt", "small.txt"}
    assert rows["big.txt"][1] == "失败"
    assert "超过 200 字节的上限" in rows["big.txt"][3]
    assert rows["small.txt"][1] == "新建"
    assert "上传结果：新建 1，更新 0，未变 0，失败 1" in html(response)
    assert list(Essay.objects.values_list("source_name", flat=True)) == ["small.txt"]


def test_upload_of_only_an_oversized_file_is_reported(admin_client, settings):
    settings.ESSAY_MAX_BYTES = 200
    big = good_file("big.txt", paragraphs=["很长的段落。" * 40])
    response = upload(admin_client, big)
    assert response.status_code == 200
    assert "请选择至少一个文件。" not in html(response)
    [row] = report_rows(response)
    assert row[:2] == ("big.txt", "失败") and "超过 200 字节的上限" in row[3]
    assert Essay.objects.count() == 0


def test_upload_over_the_total_limit_fails_the_rest(admin_client, settings):
    first = good_file("1.txt", number=1, title="一")
    second = good_file("2.txt", number=2, title="二", paragraphs=["另一篇的段落。"])
    settings.ESSAY_MAX_UPLOAD_TOTAL = first.size + 10
    response = upload(admin_client, first, second)
    rows = {row[0]: row for row in report_rows(response)}
    assert rows["1.txt"][1] == "新建"
    assert rows["2.txt"][1] == "失败" and "总量超过" in rows["2.txt"][3]
    assert list(Essay.objects.values_list("title", flat=True)) == ["一"]


def test_upload_names_lose_directories_and_nothing_is_written(admin_client, data_dir, tmp_path_factory):
    outside = tmp_path_factory.getbasetemp()
    before = {p for p in outside.rglob("evil.txt")}
    response = upload(admin_client, good_file("../../evil.txt"), good_file("..\\..\\win.txt", number=2))
    rows = report_rows(response)
    assert [r[:2] for r in rows] == [("evil.txt", "新建"), ("win.txt", "新建")]
    assert set(Essay.objects.values_list("source_name", flat=True)) == {"evil.txt", "win.txt"}
    assert {p for p in outside.rglob("evil.txt")} == before == set()
    base = Path(django_settings.BASE_DIR)
    for directory in [base, base.parent, base.parent.parent, data_dir.parent, data_dir.parent.parent]:
        assert not (directory / "evil.txt").exists(), directory
    assert not list(data_dir.rglob("evil.txt"))


def test_upload_without_files_shows_an_error(admin_client):
    response = admin_client.post(reverse(UPLOAD_URL), {"files": []})
    assert response.status_code == 200
    assert "请选择至少一个文件。" in html(response)
    assert Essay.objects.count() == 0


def test_upload_file_count_limit(admin_client, settings):
    settings.ESSAY_MAX_UPLOAD_FILES = 2
    files = [good_file(f"{n}.txt", number=n) for n in range(1, 4)]
    response = upload(admin_client, *files)
    assert response.status_code == 200
    assert "一次最多上传 2 个文件。" in html(response)
    assert Essay.objects.count() == 0


def test_upload_report_escapes_hostile_names_and_titles(admin_client):
    name = "<img src=x onerror=alert(1)>.txt"
    data = essay_file(3, "<script>alert(1)</script>", ["段落。"])
    response = upload(admin_client, SimpleUploadedFile(name, data))
    body = html(response)
    assert "<script>alert(1)</script>" not in body
    assert "<img src=x onerror" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert Essay.objects.get().title == "<script>alert(1)</script>"


def test_change_form_escapes_hostile_title(admin_client, make_essay):
    essay = make_essay(1, "<script>alert(1)</script>", ["段落。"], name="h.txt")
    body = html(admin_client.get(_change_url(essay)))
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


@pytest.mark.django_db(transaction=True)
def test_uploaded_essay_is_searchable_at_once(admin_client):
    from search import service

    response = upload(admin_client, good_file())
    essay = Essay.objects.get()
    assert report_rows(response)[0][1] == "新建"
    result = service.search('"上传测试独有句子甲乙丙"')
    assert result.count == 1
    assert [hit.id for hit in result.hits] == [essay.pk]
    # Keyword search finds it too, and the search page links to it.
    assert [hit.id for hit in service.search("上传测试").hits] == [essay.pk]
    body = html(admin_client.get("/search/", {"q": '"上传测试独有句子甲乙丙"'}))
    assert f'href="/essays/{essay.pk}/?q=' in body


@pytest.mark.django_db(transaction=True)
def test_admin_edit_and_delete_update_the_index(admin_client):
    from search import service

    upload(admin_client, good_file())
    essay = Essay.objects.get()
    admin_client.post(_change_url(essay), {
        "number": "21", "title": "上传的好文章", "paragraphs": "换成了另一句独特的话语。", "_save": "保存"})
    assert service.search('"上传测试独有句子甲乙丙"').count == 0
    assert [h.id for h in service.search('"另一句独特的话语"').hits] == [essay.pk]
    response = admin_client.post(reverse("admin:essays_essay_delete", args=[essay.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Essay.objects.exists()
    assert service.search('"另一句独特的话语"').count == 0


# ------------------------------------------------------------------- CSRF

def test_upload_without_csrf_token_is_refused(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = upload(client, good_file())
    assert response.status_code == 403
    assert Essay.objects.count() == 0
    # With the token from the form, the same upload works.
    page = client.get(reverse(UPLOAD_URL))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html(page)).group(1)
    response = client.post(reverse(UPLOAD_URL), {"files": [good_file()], "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert Essay.objects.count() == 1


def test_change_form_without_csrf_token_is_refused(admin_user, essay):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(_change_url(essay), {"number": "1", "title": "改", "paragraphs": "改。"})
    assert response.status_code == 403
    essay.refresh_from_db()
    assert essay.title == "让抓落实成为党员干部的鲜明特质"


def test_admin_pages_send_security_headers(admin_client, essay):
    for url in _admin_urls(essay):
        response = admin_client.get(url)
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "'unsafe-inline'" not in response["Content-Security-Policy"].split("script-src")[1].split(";")[0]
        # ... and the pages work under that policy: no inline script or handlers.
        body = html(response)
        assert not [tag for tag in re.findall(r"<script\b[^>]*>", body) if "src=" not in tag], url
        assert not re.search(r"\son[a-z]+=", body), url


# ------------------------------------------------------- control characters

def test_admin_form_strips_control_characters_and_the_feed_stays_xml(admin_client, essay, client):
    """\\x01 typed into the title made /feed/ answer 500 (XML cannot hold
    it) until newer essays pushed the essay out of the feed."""
    import xml.etree.ElementTree as ET

    response = admin_client.post(_change_url(essay), {
        "number": "10", "title": "控制\x01字符\x1f标题\x7f", "paragraphs": "第一\x02段。\r\n\r\n\x0b\r\n\r\n第二段\x9f。",
        "_save": "保存"})
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    essay.refresh_from_db()
    assert essay.title == "控制字符标题"
    assert essay.paragraphs == ["第一段。", "第二段。"]
    feed = client.get("/feed/")
    assert feed.status_code == 200
    titles = [e.findtext("{http://www.w3.org/2005/Atom}title") for e in ET.fromstring(feed.content)
              .findall("{http://www.w3.org/2005/Atom}entry")]
    assert titles == ["控制字符标题"]


def test_admin_form_refuses_a_title_of_only_control_characters(admin_client, essay):
    response = admin_client.post(_change_url(essay), {
        "number": "10", "title": "\x01\x02", "paragraphs": "一段。", "_save": "保存"})
    assert response.status_code == 200
    assert "标题不能为空。" in html(response)


def test_admin_form_applies_the_paragraph_limits(admin_client, essay, settings):
    settings.ESSAY_MAX_PARAGRAPHS = 3
    settings.ESSAY_MAX_PARAGRAPH_CHARS = 10
    response = admin_client.post(_change_url(essay), {
        "number": "10", "title": "标题", "paragraphs": "一\n\n二\n\n三\n\n四", "_save": "保存"})
    assert response.status_code == 200 and "段落超过 3 段的上限。" in html(response)
    response = admin_client.post(_change_url(essay), {
        "number": "10", "title": "标题", "paragraphs": "一\n\n" + "字" * 11, "_save": "保存"})
    assert response.status_code == 200 and "第 2 段有 11 字，超过每段 10 字的上限；请分段。" in html(response)
    essay.refresh_from_db()
    assert essay.paragraphs == ["第一段。", "第二段。", "第三段。"]
