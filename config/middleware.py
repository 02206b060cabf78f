"""Site-wide middleware: security headers, storage failures as 503s,
large request bodies refused before parsing, and the login throttle."""
import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse

from . import throttle

from search import service


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
    data directory, a locked file; a PostgreSQL server that is down,
    restarting or has cut the connection) into a clear 503 instead of a 500
    page. Django wraps psycopg's errors in its own (OperationalError for a
    dropped connection), all DatabaseErrors."""

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
        # cause, e.g. opened read-only while the data directory was, or cut
        # by a server restart: the next request opens a fresh one (if one
        # fails to close, the others are closed one by one all the same).
        server = any(conn.vendor == "postgresql" for conn in connections.all(initialized_only=True))
        try:
            connections.close_all()
        except DatabaseError:
            for conn in connections.all(initialized_only=True):
                try:
                    conn.close()
                except DatabaseError:
                    pass
        if server:
            message = ("数据库暂时不可用：无法连接数据库服务器，或连接已中断。"
                       "没有保存任何改动。请稍后再试，或联系管理员。")
        else:
            message = ("存储暂时不可用：数据库无法读取或写入（数据目录可能只读或磁盘已满）。"
                       "没有保存任何改动。请稍后再试，或联系管理员。")
        if request.path.startswith("/api/"):
            return JsonResponse({"error": message}, status=503, json_dumps_params={"ensure_ascii": False})
        return HttpResponse(render_to_string("503.html", {"message": message}), status=503)


class CatchUpMiddleware:
    """Start this server process's background catch-up of the search index
    (search.service.start_catching_up) with its first request: in a forking
    server that is the worker, never the master whose threads a fork would
    not keep."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        service.start_catching_up()
        return self.get_response(request)


class RequestBodyLimitMiddleware:
    """Refuse (413) a request whose declared body is larger than
    DATA_UPLOAD_MAX_MEMORY_SIZE before anything reads it, unless it is a
    POST to the essay upload page from a logged-in staff user: only that
    page takes large bodies (up to ESSAY_MAX_UPLOAD_TOTAL of files, limited
    as they stream in by essays.uploads). Without this, anyone could make a
    worker read and parse a 64 MB multipart body before CSRF refused it.

    It must come after the session and authentication middleware (it asks
    who the user is, reading the session only for large bodies) and before
    anything that reads request.POST (CSRF reads it in process_view, which
    runs after every middleware's __call__ has begun, so its place in the
    list does not matter for that)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._upload_path = None

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE and not self._allowed(request):
            return self._refuse(request, length)
        return self.get_response(request)

    def _allowed(self, request):
        if self._upload_path is None:
            self._upload_path = reverse("admin:essays_essay_upload")
        if request.method != "POST" or request.path != self._upload_path:
            return False
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_active and user.is_staff)

    def _refuse(self, request, length):
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        message = (f"请求内容过大（{length / (1024 * 1024):.1f} MB，上限 {limit_mb:g} MB），未被处理。"
                   "只有已登录的编辑在“上传文章文件”页面才能提交大文件。")
        # The body is not read: the connection closes after the answer.
        if request.path.startswith("/api/"):
            response = JsonResponse({"error": message}, status=413, json_dumps_params={"ensure_ascii": False})
        else:
            response = HttpResponse(render_to_string("413.html", {"message": message}), status=413)
        response["Connection"] = "close"
        return response


class LoginThrottleMiddleware:
    """Answer 429 to a login POST from a client address or for a username
    with too many recent failures (config.throttle), before the login form
    validates, that is before any password is hashed."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._login_path = None

    def __call__(self, request):
        if request.method == "POST":
            if self._login_path is None:
                self._login_path = reverse("admin:login")
            if request.path == self._login_path:
                wait = throttle.login_wait(throttle.client_ip(request), request.POST.get("username", ""))
                if wait:
                    return throttle.login_refused(request, wait)
        return self.get_response(request)
