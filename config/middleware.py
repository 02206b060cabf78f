"""Site-wide middleware: security headers, and storage failures as 503s."""
import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from search import sync


class SecurityHeadersMiddleware:
    """Add a Content-Security-Policy to every response that lacks one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class StorageUnavailableMiddleware:
    """Turn a database that cannot be read or written (a read-only or full
    data directory, a locked file) into a clear 503 instead of a 500 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import DatabaseError, connections

        if not isinstance(exception, DatabaseError):
            return None
        logging.getLogger("config.storage").error(
            "database unavailable for %s: %s", request.path, exception, exc_info=exception)
        # A connection kept between requests (config.production) may be the
        # cause, e.g. opened read-only while the data directory was: the
        # next request opens a fresh one.
        try:
            connections.close_all()
        except DatabaseError:
            pass
        message = ("存储暂时不可用：数据库无法读取或写入（数据目录可能只读或磁盘已满）。"
                   "没有保存任何改动。请稍后再试，或联系管理员。")
        if request.path.startswith("/api/"):
            return JsonResponse({"error": message}, status=503, json_dumps_params={"ensure_ascii": False})
        return HttpResponse(render_to_string("503.html", {"message": message}), status=503)


class CatchUpMiddleware:
    """Start this server process's background catch-up of the search index
    (search.sync.start_catching_up) with its first request: in a forking
    server that is the worker, never the master whose threads a fork would
    not keep."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sync.start_catching_up()
        return self.get_response(request)
