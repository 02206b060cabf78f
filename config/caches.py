"""A file-based cache that creates its directory on its first write.

Django's FileBasedCache creates its directory when it is opened, and
Django's system checks open every configured cache (caches.W002): with a
read-only data directory every manage.py command would then fail before
doing anything. Writes create the directory anyway (FileBasedCache.set), and
reads of a missing directory find nothing."""
import os

from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.filebased import FileBasedCache


class LazyFileBasedCache(FileBasedCache):
    def __init__(self, dir, params):
        BaseCache.__init__(self, params)
        self._dir = os.path.abspath(dir)
