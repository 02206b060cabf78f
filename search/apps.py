from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "搜索"

    def ready(self):
        from django.conf import settings

        from . import analysis, sync

        # jieba's caches: the one module-level setting left, since
        # search.analysis also runs without Django (bench.jieba_alone).
        analysis.CACHE_DIR = settings.DATA_DIR / "cache"
        sync.connect()
