"""Atom feed of the newest essays."""
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

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
        # Plain text, escaped by the feed generator.
        return "\n\n".join((item.paragraphs or [])[:2])

    def item_pubdate(self, item):
        return item.created

    def item_updateddate(self, item):
        return item.updated
