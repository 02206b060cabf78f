"""The Atom feed of the newest essays."""
import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from essays.models import Essay

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def feed(client):
    response = client.get("/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == "application/atom+xml"
    return response, ET.fromstring(response.content)


def entries(root):
    return [{
        "title": e.findtext(f"{ATOM}title"),
        "link": e.find(f"{ATOM}link").get("href"),
        "summary": e.findtext(f"{ATOM}summary"),
        "id": e.findtext(f"{ATOM}id"),
    } for e in root.findall(f"{ATOM}entry")]


def _age(essay, days):
    Essay.objects.filter(pk=essay.pk).update(created=timezone.now() - dt.timedelta(days=days))


def test_feed_is_atom_with_newest_first(client, make_essay):
    old = make_essay(1, "最早的文章", ["旧的第一段。", "旧的第二段。", "旧的第三段。"])
    new = make_essay(2, "最新的文章", ["新的第一段。"])
    mid = make_essay(3, "中间的文章", ["中间段落。"])
    _age(old, 30)
    _age(mid, 10)
    response, root = feed(client)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title") == "政论文章库：最新文章"
    items = entries(root)
    assert [i["title"] for i in items] == ["最新的文章", "中间的文章", "最早的文章"]
    assert items[0]["link"] == f"http://testserver/essays/{new.pk}/"
    # The summary is the first two paragraphs, as HTML (type="html").
    assert root.find(f"{ATOM}entry/{ATOM}summary").get("type") == "html"
    assert items[2]["summary"] == "<p>旧的第一段。</p><p>旧的第二段。</p>"
    assert len({i["id"] for i in items}) == 3
    assert "最新的文章".encode("utf-8") in response.content


def test_feed_ties_on_created_go_newest_id_first(client, make_essay):
    a = make_essay(1, "甲", ["一。"])
    b = make_essay(2, "乙", ["二。"])
    same = timezone.now() - dt.timedelta(days=1)
    Essay.objects.filter(pk__in=[a.pk, b.pk]).update(created=same)
    _, root = feed(client)
    assert [i["title"] for i in entries(root)] == ["乙", "甲"]


def test_feed_lists_at_most_30(client):
    Essay.objects.bulk_create([
        Essay(number=n, title=f"第{n}篇", paragraphs=["段。"], source_name=f"{n}.txt", content_hash=str(n))
        for n in range(1, 36)
    ])
    _, root = feed(client)
    titles = [i["title"] for i in entries(root)]
    assert len(titles) == 30
    assert titles[0] == "第35篇" and titles[-1] == "第6篇"


def test_empty_feed_is_valid(client):
    _, root = feed(client)
    assert entries(root) == []


def test_feed_escapes_hostile_titles_and_text(client, make_essay):
    title = "<script>alert(1)</script>&标题"
    # The file holds the paragraph as HTML entities: its text is "<b>段落</b> & 更多".
    make_essay(1, title, ["&lt;b&gt;段落&lt;/b&gt; &amp; 更多", "第二段。"], name="h.txt")
    response, root = feed(client)
    raw = response.content.decode("utf-8")
    assert "<script>" not in raw and "<b>" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;标题" in raw
    item = entries(root)[0]
    # The title is an Atom text construct: parsed back, it is the essay's text.
    assert root.find(f"{ATOM}entry/{ATOM}title").get("type") in (None, "text")
    assert item["title"] == title
    # The summary is type="html": after XML parsing it is HTML that a reader
    # renders, so the paragraph's "<b>" must still be escaped there.
    assert item["summary"] == "<p>&lt;b&gt;段落&lt;/b&gt; &amp; 更多</p><p>第二段。</p>"
    assert "<b>" not in item["summary"]


def test_feed_summary_cannot_carry_live_markup(client, make_essay):
    make_essay(1, "标题", ["&lt;img src=x onerror=alert(1)&gt;", "&lt;script&gt;alert(2)&lt;/script&gt;"],
               name="x.txt")
    _, root = feed(client)
    summary = entries(root)[0]["summary"]
    assert "<img" not in summary and "<script" not in summary
    assert summary == "<p>&lt;img src=x onerror=alert(1)&gt;</p><p>&lt;script&gt;alert(2)&lt;/script&gt;</p>"


def test_feed_is_linked_from_every_page(client, make_essay):
    essay = make_essay(1, "文章", ["段。"])
    for url in ["/", essay.get_absolute_url()]:
        body = client.get(url).content.decode("utf-8")
        links = re.findall(r"<link\b[^>]*>", body)
        assert any('rel="alternate"' in link and 'type="application/atom+xml"' in link
                   and 'href="/feed/"' in link for link in links), links


def test_entries_are_dated_by_publication_date_when_known(client, make_essay):
    import datetime
    import xml.etree.ElementTree as ET

    from essays.dates import PartialDate

    dated = make_essay(1, "有日期", ["段。"])
    dated.date, dated.source, dated.author, dated.column = PartialDate(2019, 7), "人民日报", "任仲平", "评论"
    dated.save()
    undated = make_essay(2, "无日期", ["段。"])
    root = ET.fromstring(client.get("/feed/").content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = {e.find("a:title", ns).text: e for e in root.findall("a:entry", ns)}
    assert entries["有日期"].find("a:published", ns).text.startswith("2019-07-01T00:00:00")
    assert entries["有日期"].find("a:author/a:name", ns).text == "任仲平"
    assert sorted(c.get("term") for c in entries["有日期"].findall("a:category", ns)) == ["人民日报", "评论"]
    published = datetime.datetime.fromisoformat(entries["无日期"].find("a:published", ns).text)
    assert abs((published - undated.created).total_seconds()) < 1


def test_control_characters_in_an_upload_never_break_the_feed(client, make_essay):
    """&#1; in an uploaded body is dropped at import."""
    essay = make_essay(4, "上传的文章", ["正文&#1;含控制&#x1f;字符。", "第二段。"])
    assert essay.paragraphs == ["正文含控制字符。", "第二段。"]
    _response, root = feed(client)
    assert [i["summary"] for i in entries(root)] == ["<p>正文含控制字符。</p><p>第二段。</p>"]


def test_feed_answers_for_rows_stored_with_control_characters(client, make_essay):
    """Rows stored before imports stripped them (or written another way)."""
    essay = make_essay(5, "旧的文章", ["旧段落。"])
    from django.db import connection

    nul = "\x00" if connection.vendor == "sqlite" else ""  # PostgreSQL stores no NUL in text or jsonb
    Essay.objects.filter(pk=essay.pk).update(title="旧\x01的\x0b文章\ufffe", paragraphs=["旧\x02段落\x1b。", "二" + nul])
    _response, root = feed(client)
    [item] = entries(root)
    assert item["title"] == "旧的文章"
    assert item["summary"] == "<p>旧段落。</p><p>二</p>"
