"""Per-client throttles: failed admin logins, and the search rate.

Logins: after LOGIN_FAILURE_LIMIT failed attempts from one client address,
or for one username, within LOGIN_FAILURE_WINDOW seconds of each other,
further login POSTs from that address or for that username are answered
429 until the window has passed since the last failure. The refusal comes
before the form is validated, so a refused attempt costs no password hash
(some 250 ms of CPU each with Django's PBKDF2). A successful login clears
its username's count, not its address's: an attacker with an account of
their own cannot reset the count of the address they guess from. The counts
live in the "throttle" cache, a file-based cache under the data directory
shared by all gunicorn workers (a per-process count would give an attacker
one allowance per worker); they are written only on failures. Two workers
recording a failure at the same instant may count it once: a lock for an
off-by-one in a count of ten is not worth it. Counting per username lets
anyone lock an editor out for the window by guessing; an operator can end it
early by emptying the throttle directory (ARCHIVE_DATA_DIR/throttle/).

Searches: a token bucket per client address (SEARCH_RATE a second, bursts
of SEARCH_BURST), kept per worker process in the "search-rate" local-memory
cache. A shared cache would cost a file write and a directory listing per
search (0.5–4.6 ms measured, as much as the search itself); per process, a
client gets at most workers × SEARCH_RATE, which is what the limit is for:
keeping one client from taking every worker. SEARCH_RATE 0 turns it off.

A cache that cannot be written (a read-only or full data directory) lets
requests through and logs it: a throttle must not take the site down.
"""
import functools
import hashlib
import logging
import math
import time

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import caches
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

log = logging.getLogger("config.throttle")


def client_ip(request):
    """The client's address: REMOTE_ADDR, or, behind a proxy that appends
    the address it saw to X-Forwarded-For (THROTTLE_TRUST_FORWARDED), the
    last entry of that header: earlier entries are whatever the client sent."""
    if getattr(settings, "THROTTLE_TRUST_FORWARDED", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:64]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def too_many_requests(request, message, retry_after):
    """A 429 with a Retry-After header: JSON for /api/, else templates/429.html."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": message, "code": "rate_limited"}, status=429, json_dumps_params={"ensure_ascii": False})
    else:
        response = HttpResponse(render_to_string("429.html", {"message": message}), status=429)
    response["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response


def _wait_text(seconds):
    seconds = max(1, math.ceil(seconds))
    return f"{math.ceil(seconds / 60)} 分钟" if seconds >= 60 else f"{seconds} 秒"


# ------------------------------------------------------------------ logins

def _login_keys(ip, username):
    # Hashed: a username may hold any character, and cache keys should not.
    user = hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()
    return f"login-failures:ip:{ip}", f"login-failures:user:{user}"


def login_wait(ip, username):
    """Seconds until a login attempt from `ip` for `username` is allowed
    again (0: allowed now)."""
    limit = settings.LOGIN_FAILURE_LIMIT
    if limit <= 0:
        return 0
    try:
        states = caches["throttle"].get_many(_login_keys(ip, username)).values()
    except OSError:
        log.warning("login throttle cache unreadable; attempt allowed", exc_info=True)
        return 0
    now = time.time()
    waits = [until - now for count, until in states if count >= limit and until > now]
    return max(waits, default=0)


def login_failed(ip, username):
    """Count one failed login for `ip` and for `username`."""
    if settings.LOGIN_FAILURE_LIMIT <= 0:
        return
    window = settings.LOGIN_FAILURE_WINDOW
    until = time.time() + window
    try:
        cache = caches["throttle"]
        for key in _login_keys(ip, username):
            count, _until = cache.get(key, (0, 0))
            cache.set(key, (count + 1, until), timeout=window)
    except OSError:
        log.warning("login throttle cache unwritable; failure not counted", exc_info=True)


def login_succeeded(username):
    """Forget the failures of `username` (not those of the address)."""
    try:
        caches["throttle"].delete(_login_keys("", username)[1])
    except OSError:
        log.warning("login throttle cache unwritable", exc_info=True)


@receiver(user_login_failed, dispatch_uid="config.throttle.failed")
def _on_login_failed(sender, credentials, request=None, **kwargs):
    if request is not None:
        login_failed(client_ip(request), str(credentials.get("username", "")))


@receiver(user_logged_in, dispatch_uid="config.throttle.succeeded")
def _on_logged_in(sender, request, user, **kwargs):
    login_succeeded(user.get_username())


def login_refused(request, wait):
    return too_many_requests(
        request, f"登录失败次数过多，已暂停登录。请 {_wait_text(wait)}后再试；忘记密码请联系管理员。", wait)


# ------------------------------------------------------------------ searches

def search_wait(request):
    """Take one search from the client's bucket; seconds to wait if it is
    empty (0: go ahead)."""
    rate = settings.SEARCH_RATE
    if rate <= 0:
        return 0
    burst = max(1, settings.SEARCH_BURST)
    cache, key, now = caches["search-rate"], f"search:{client_ip(request)}", time.monotonic()
    state = cache.get(key)
    tokens = burst if state is None else min(burst, state[0] + (now - state[1]) * rate)
    if tokens < 1:
        return (1 - tokens) / rate
    cache.set(key, (tokens - 1, now), timeout=math.ceil(burst / rate) + 1)
    return 0


def search_refused(request, wait):
    return too_many_requests(request, f"搜索请求过于频繁，请 {_wait_text(wait)}后再试。", wait)


def throttled_search(view):
    """Decorate a search view with the per-client search rate."""
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        wait = search_wait(request)
        if wait:
            return search_refused(request, wait)
        return view(request, *args, **kwargs)

    return wrapped
