"""Atom feed of the newest essays."""
import datetime

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html_join

from .models import Essay


class LatestEssaysFeed(Feed):
    feed_type = Atom1Feed
    title = "政论文章库：最新文章"
    subtitle = "最近加入文章库的文章"

    def link(self):
        return reverse("essays:list")

    def items(self):
        return Essay.objects.order_by("-created", "-id")[:30]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        # Atom1Feed declares the summary type="html": a reader un-escapes the
        # XML and then renders the result as HTML. So the description must be
        # HTML with the plain-text paragraphs escaped, or a paragraph reading
        # "<img src=x onerror=...>" would become live markup in the reader.
        return format_html_join("", "<p>{}</p>", ((p,) for p in (item.paragraphs or [])[:2]))

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
