"""Alerts per query: /search/feed/?q=… is an Atom feed of the newest
essays matching the query, each entry with its matching snippets.

"Newest" is the time an essay entered the archive (import order), not its
publication date: a feed exists to tell a reader what is new *to them*, and
an essay of 2005 imported today is exactly that; ordered by publication
date it would land below the feed's window and never be seen. Each entry's
`published` is the publication date when known (else the import time), and
`updated` the time the essay last changed, so readers show the right date
and notice edits.

ETag and Last-Modified come from what the feed holds (ids and update times
of its entries), so a conditional request answers 304 when nothing new
matched or changed; a reader polling every few minutes then costs one
search (usually answered from the result cache) and no rendering.
"""
import datetime
import hashlib

from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join
from django.utils.http import http_date, quote_etag, urlencode

from . import documents, service
from .forms import SearchForm
from .highlight import marked_html

ENTRIES = 30


class QueryFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, state):
        return state

    def title(self, state):
        return f"政论文章库：「{state['q']}」的新结果"

    def subtitle(self, state):
        return f"文章库中新收录的、符合「{state['q']}」的文章（共 {state['count']} 篇符合）"

    def link(self, state):
        return reverse("search") + "?" + urlencode({"q": state["q"]})

    def feed_url(self, state):
        return reverse("search-feed") + "?" + urlencode({"q": state["q"]})

    def items(self, state):
        return state["entries"]

    def item_title(self, entry):
        return entry["hit"].title

    def item_link(self, entry):
        return entry["hit"].url

    def item_guid(self, entry):
        return entry["hit"].url

    def item_description(self, entry):
        hit = entry["hit"]
        items = format_html_join(
            "", "<li>{}{}</li>",
            ((format_html("第 {} 段：", s.paragraph) if s.paragraph else "标题：", marked_html(s.text, s.highlights))
             for s in hit.snippets))
        more = format_html("<p>本文共出现 {} 处。</p>", hit.occurrences) if hit.occurrences else ""
        return format_html("<ul>{}</ul>{}", items, more)

    def item_pubdate(self, entry):
        row = entry["row"]
        if row["date_start"] is not None:
            return timezone.make_aware(datetime.datetime.combine(row["date_start"], datetime.time()))
        return row["created"]

    def item_updateddate(self, entry):
        return entry["row"]["updated"]

    def item_author_name(self, entry):
        return entry["row"]["author"] or entry["row"]["source"] or None

    def item_categories(self, entry):
        return [c for c in (entry["row"]["source"], entry["row"]["column"]) if c]


_feed = QueryFeed()


def _message(text, status):
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def query_feed(request):
    """The feed of ?q= (400 with a Chinese message for a missing or bad
    query, 503 while the index is unavailable)."""
    form = SearchForm(request.GET)
    if not form.is_valid() or not form.cleaned_data["q"]:
        return _message("请用 ?q= 给出要订阅的搜索，例如 /search/feed/?q=抓落实", 400)
    q = form.cleaned_data["q"]
    try:
        result = service.search(q, sort="newest", page=1, per_page=ENTRIES)
    except service.QueryError as err:
        return _message(f"无法订阅这个搜索：{err}", 400)
    except service.IndexUnavailable:
        return _message("搜索暂时不可用：搜索索引缺失或损坏。", 503)
    rows = documents.feed_rows([h.id for h in result.hits])
    entries = [{"hit": h, "row": rows[h.id]} for h in result.hits if h.id in rows]
    stamp = "|".join(f"{e['hit'].id}:{e['row']['updated'].timestamp()}" for e in entries)
    etag = quote_etag(hashlib.sha256(f"{q}|{result.count}|{stamp}".encode()).hexdigest()[:32])
    last_modified = max((e["row"]["updated"] for e in entries), default=None)
    last_modified_ts = int(last_modified.timestamp()) if last_modified else None
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified_ts)
    if not_modified is not None:
        return not_modified
    response = _feed(request, state={"q": q, "count": result.count, "entries": entries})
    response["ETag"] = etag
    if last_modified_ts is not None:
        response["Last-Modified"] = http_date(last_modified_ts)
    response["Cache-Control"] = "max-age=300"
    return response
