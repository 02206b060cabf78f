"""Atom feed of the newest essays."""
import datetime
import re

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html_join

from .models import Essay

# What XML 1.0 cannot hold (its Char production): a title or paragraph with
# one of these made the whole feed answer 500 (Django's XML writer refuses
# them) until newer essays pushed it out.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text):
    """`text` without the characters XML cannot hold. Imports and the admin
    strip control characters already (essays.parsing); this keeps the feed
    working for rows stored before that, or written some other way."""
    return _NOT_XML.sub("", text or "")


class LatestEssaysFeed(Feed):
    feed_type = Atom1Feed
    title = "政论文章库：最新文章"
    subtitle = "最近加入文章库的文章"

    def link(self):
        return reverse("essays:list")

    def items(self):
        return Essay.objects.order_by("-created", "-id")[:30]

    def item_title(self, item):
        return xml_safe(item.title)

    def item_description(self, item):
        # Atom1Feed declares the summary type="html": a reader un-escapes the
        # XML and then renders the result as HTML. So the description must be
        # HTML with the plain-text paragraphs escaped, or a paragraph reading
        # "<img src=x onerror=...>" would become live markup in the reader.
        return format_html_join("", "<p>{}</p>", ((xml_safe(p),) for p in (item.paragraphs or [])[:2]))

    def item_pubdate(self, item):
        """The publication date when known (its first day, at midnight in
        the site's time zone), else the time the essay was added."""
        if item.date_start is not None:
            return timezone.make_aware(datetime.datetime.combine(item.date_start, datetime.time()))
        return item.created

    def item_author_name(self, item):
        return item.author or item.source or None

    def item_categories(self, item):
        return [c for c in (item.source, item.column) if c]

    def item_updateddate(self, item):
        return item.updated
