"""Alerts per query (/search/feed/?q=…): the newest matching essays with
their snippets, valid Atom, conditional requests answered 304."""
import xml.etree.ElementTree as ET

import pytest

from essays.dates import PartialDate
from essays.importing import import_essay_bytes
from essays.models import Essay

from .conftest import essay_file

pytestmark = pytest.mark.django_db(transaction=True)
NS = {"a": "http://www.w3.org/2005/Atom"}


def add(number, title, text):
    outcome = import_essay_bytes(essay_file(number, title, [text]), f"{number}.txt")
    assert outcome.status == "created"
    return Essay.objects.get(pk=outcome.essay_id)


def feed(client, q, **headers):
    return client.get("/search/feed/", {"q": q}, **headers)


def titles(response):
    root = ET.fromstring(response.content)
    return [e.find("a:title", NS).text for e in root.findall("a:entry", NS)]


def test_the_feed_lists_new_matches_and_not_other_essays(client):
    add(1, "第一篇", "坚持抓落实的句子。")
    add(2, "无关", "完全无关的句子。")
    response = feed(client, "抓落实")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    assert titles(response) == ["第一篇"]
    newer = add(3, "新来的", "又一次抓落实。")
    newer.date = PartialDate(2005, 3)
    newer.save()
    add(4, "也无关", "还是无关。")
    response = feed(client, "抓落实")
    assert titles(response) == ["新来的", "第一篇"]  # newest in the archive first, whatever its date
    root = ET.fromstring(response.content)
    entry = root.findall("a:entry", NS)[0]
    assert entry.find("a:published", NS).text.startswith("2005-03-01")
    summary = entry.find("a:summary", NS).text
    assert "<mark>抓落实</mark>" in summary and "第 1 段" in summary
    assert root.find("a:link[@rel='self']", NS).get("href").startswith("http://testserver/search/feed/?q=")
    # What RFC 4287 requires of a feed and of each entry.
    assert all(root.find(f"a:{name}", NS) is not None for name in ("id", "title", "updated"))
    for e in root.findall("a:entry", NS):
        assert all(e.find(f"a:{name}", NS) is not None for name in ("id", "title", "updated", "link"))


def test_a_conditional_request_answers_304_until_something_new_matches(client):
    add(5, "已有", "条件请求的句子。")
    first = feed(client, '"条件请求"')
    etag, modified = first["ETag"], first["Last-Modified"]
    assert feed(client, '"条件请求"', HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert feed(client, '"条件请求"', HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    add(6, "无关的新文章", "与条件无关。")
    assert feed(client, '"条件请求"', HTTP_IF_NONE_MATCH=etag).status_code == 304  # nothing new matched
    add(7, "新的匹配", "又一个条件请求的句子。")
    again = feed(client, '"条件请求"', HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and titles(again)[0] == "新的匹配"


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 600}])
def test_a_missing_or_bad_query_answers_400_in_chinese(client, params):
    response = client.get("/search/feed/", params)
    assert response.status_code == 400 and "订阅" in response.content.decode()


def test_the_results_page_offers_the_feed(client):
    add(8, "订阅", "可以订阅的句子。")
    body = client.get("/search/", {"q": "订阅"}).content.decode()
    assert 'href="/search/feed/?q=%E8%AE%A2%E9%98%85"' in body and "订阅此搜索" in body
