from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "搜索"

    def ready(self):
        from django.conf import settings

        from . import analysis, index, sync

        analysis.CACHE_DIR = settings.DATA_DIR / "cache"
        index.RESULT_CACHE_SIZE = settings.SEARCH_RESULT_CACHE
        sync.connect()
