from django.contrib import admin
from django.urls import include, path

from essays import views as essay_views
from essays.feeds import LatestEssaysFeed
from search import concordance_views
from search import feeds as search_feeds
from search import quotes as search_quotes
from search import views as search_views

urlpatterns = [
    path("", include("essays.urls")),
    path("search/", search_views.search_page, name="search"),
    path("search/feed/", search_feeds.query_feed, name="search-feed"),
    path("search/concordance/", concordance_views.concordance_page, name="search-concordance"),
    path("api/concordance", concordance_views.concordance_api, name="api-concordance"),
    path("search/timeline/", search_views.timeline_page, name="search-timeline"),
    path("search/quote/", search_quotes.quote_page, name="search-quote"),
    path("api/timeline", search_views.timeline_api, name="api-timeline"),
    path("api/search", search_views.search_api, name="api-search"),
    path("api/essays", essay_views.api_essay_list, name="api-essays"),
    path("api/essays/<int:pk>", essay_views.api_essay_detail, name="api-essay"),
    path("api/essays/<int:pk>/parallels", essay_views.api_essay_parallels, name="api-essay-parallels"),
    path("feed/", LatestEssaysFeed(), name="feed"),
    path("admin/", admin.site.urls),
]
