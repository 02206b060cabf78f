"""Every message a reader, an API user or an editor sees is Chinese and
names no raw field: the list's and the search's form errors, the API's
errors, the admin forms' errors, the upload handler's and the importer's
reasons, and every parser refusal (issue 19). Each message is produced by
the real code path from bad input, not read from a constant."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.urls import reverse

from essays.forms import EssayListForm
from essays.parsing import EssayParseError, parse_essay_bytes
from search.forms import SearchForm

from .conftest import essay_file

CHINESE = re.compile(r"[\u4e00-\u9fff]")
# Parameter and model field names, as whole ASCII words: a message must call
# a field by its Chinese label instead.
FIELD_NAMES = ("q", "page", "per_page", "sort", "from", "to", "source", "author", "column", "title", "files",
               "manifest", "overwrite", "paragraphs", "number", "source_url", "date", "url")
RAW_FIELD = re.compile(r"(?<![A-Za-z_])(" + "|".join(FIELD_NAMES) + r")(?![A-Za-z_])(?!\s*[（(])")
# English phrases the old messages used.
ENGLISH = re.compile(r"required|not found|must be|does not exist|invalid|empty file|NUL bytes|binary data|"
                     r"undecodable|no title|Enter a|Select a|This field", re.I)


def assert_readable(message, fields=True):
    assert isinstance(message, str) and message.strip(), repr(message)
    assert CHINESE.search(message), f"no Chinese in {message!r}"
    assert not ENGLISH.search(message), f"English in {message!r}"
    if fields:
        assert not RAW_FIELD.search(message), f"a raw field name in {message!r}"


def query(**params):
    data = QueryDict(mutable=True)
    for key, value in params.items():
        data.setlist("from" if key == "from_" else key, value if isinstance(value, list) else [value])
    return data


SEARCH_INPUTS = [dict(q="落" * 600), dict(q="落\x00实"), dict(q="落实", page="abc"), dict(q="落实", page="0"),
                 dict(q="落实", page="1e9"), dict(q="落实", page="9" * 30), dict(q="落实", per_page="0"),
                 dict(q="落实", per_page="x"), dict(q="落实", per_page="101"), dict(q="落实", sort="magic"),
                 dict(q="落" * 600, page="x", per_page="y", sort="z")]


@pytest.mark.parametrize("params", SEARCH_INPUTS)
def test_search_form_errors(params):
    form = SearchForm(query(**params))
    assert not form.is_valid()
    assert_readable(form.error_text())


LIST_INPUTS = [dict(from_="明年"), dict(to="2019-13"), dict(from_="2020", to="2019"), dict(source=["x"] * 21),
               dict(author=["长" * 101]), dict(column=["长" * 101]), dict(sort="magic"), dict(title="长" * 101),
               dict(title="a\x00b"), dict(from_="x" * 30)]


@pytest.mark.parametrize("params", LIST_INPUTS)
def test_list_form_errors(params):
    form = EssayListForm(query(**params))
    assert not form.is_valid()
    assert_readable(form.error_text())


@pytest.mark.django_db
@pytest.mark.parametrize("path, params", [
    ("/api/search", {}), ("/api/search", {"q": " "}), ("/api/search", {"q": '"，。"'}),
    *[("/api/search", p) for p in SEARCH_INPUTS],
    ("/api/essays", {"page": "x"}), ("/api/essays", {"page": "0"}), ("/api/essays", {"page": "7"}),
    ("/api/essays/424242", {}),
])
def test_api_errors(client, path, params):
    response = client.get(path, params)
    assert response.status_code in (400, 404)
    data = response.json()
    assert_readable(data["error"])
    assert re.fullmatch(r"[a-z_]+", data["code"])


@pytest.mark.django_db
@pytest.mark.parametrize("params", [*SEARCH_INPUTS, {"q": '"，。"'}])
def test_search_page_errors(client, params):
    body = client.get("/search/", params).content.decode()
    notice = re.search(r'<p class="notice" role="alert">(.*?)</p>', body, re.S)
    assert notice, body[:500]
    assert_readable(notice.group(1))


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{k: v for k, v in p.items()} for p in LIST_INPUTS])
def test_list_page_errors(client, params):
    params = {("from" if k == "from_" else k): v for k, v in params.items()}
    response = client.get("/", params)
    assert response.status_code == 400
    error = re.search(r'<p class="error" role="alert">(.*?)</p>', response.content.decode(), re.S).group(1)
    assert_readable(error)


# ------------------------------------------------------------------ parser
PARSER_INPUTS = {
    "empty.txt": b"", "nul.txt": b"1\x00\x01 junk\x00", "blank.txt": b" \n\t\n",
    "control.txt": "1标题.txt\n正文\x01\x02".encode(), "undecodable.txt": bytes(range(128, 256)) * 4,
    "truncated.txt": "1标题.txt\n<div>正文</div>".encode() + "落".encode()[:2],
    "damaged.txt": "1标题.txt\n<div>正文</div>\n".encode() * 30 + b"\xff\xfe" + "<div>正文</div>".encode() * 30,
    "no_body.txt": "1标题.txt\n<div>&nbsp;</div>".encode(), "doc.docx": b"PK\x03\x04\x14\x00word/",
    "paper.pdf": b"%PDF-1.4\n", "photo.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF", "old.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    "long.txt": ("1长段.txt\n<div>" + "长" * 30 + "</div>").encode(),
    "many.txt": ("1多段.txt\n" + "<p>段。</p>" * 12).encode(), "big.txt": b"x" * 2000,
}


@pytest.mark.parametrize("name", PARSER_INPUTS)
def test_parser_reasons(name):
    with pytest.raises(EssayParseError) as info:
        parse_essay_bytes(PARSER_INPUTS[name], name, max_bytes=1000 if name == "big.txt" else 5_000_000,
                          max_paragraphs=10, max_paragraph_chars=20)
    assert_readable(info.value.reason)


# ------------------------------------------------------------------ editors
@pytest.mark.django_db
def test_upload_and_admin_form_messages(admin_client, settings):
    from essays.importing import import_essay_bytes
    from essays.models import Essay

    url = reverse("admin:essays_essay_upload")
    body = admin_client.post(url, {}).content.decode()
    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', body, re.S)
    assert errors
    for error in errors:
        assert_readable(re.sub(r"<[^>]+>", "", error))

    settings.ESSAY_MAX_BYTES = 100
    settings.ESSAY_MAX_UPLOAD_TOTAL = 400
    # too big; good; no body; a Word file; past the request's total
    files = [SimpleUploadedFile("big.txt", b"x" * 120), SimpleUploadedFile("a.txt", essay_file(1, "甲", ["段。"])),
             SimpleUploadedFile("b.txt", b"y" * 90), SimpleUploadedFile("c.docx", b"PK\x03\x04"),
             SimpleUploadedFile("d.txt", b"z" * 99)]
    body = admin_client.post(url, {"files": files}).content.decode()
    reasons = [re.sub(r"<[^>]+>", "", r).strip()
               for r in re.findall(r'<tr class="outcome-failed">(?:\s*<td>.*?</td>){3}\s*<td>(.*?)</td>', body, re.S)]
    assert len(reasons) == 4, body[:6000]
    for reason in reasons:
        assert_readable(reason)

    essay = Essay.objects.get(source_name="a.txt")
    Essay.objects.filter(pk=essay.pk).update(edited=True)
    kept = import_essay_bytes(essay_file(1, "甲", ["段。"]), "a.txt")
    assert kept.status == "kept"
    assert_readable(kept.reason)
    assert_readable(kept.label)

    change = reverse("admin:essays_essay_change", args=[essay.pk])
    body = admin_client.post(change, {"number": "x", "title": " ", "date": "明年", "source_url": "ftp://x",
                                      "paragraphs": ""}).content.decode()
    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', body, re.S)
    assert len(errors) >= 4, errors
    for error in errors:
        assert_readable(re.sub(r"<[^>]+>", "", error))
