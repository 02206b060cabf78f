"""Atom feed of the newest essays."""
from django.contrib.syndication.views import Feed
from django.urls import reverse
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
        return item.created

    def item_updateddate(self, item):
        return item.updated
