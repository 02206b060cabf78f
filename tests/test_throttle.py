"""Throttles (config.throttle) and the request body limit
(config.middleware.RequestBodyLimitMiddleware), with Django's test client."""
import pytest
from django.contrib.auth.signals import user_login_failed
from django.test import RequestFactory

from config import throttle

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_WINDOW = 600


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("editor", password="right-password-1", is_staff=True, is_superuser=True)


@pytest.fixture
def attempts():
    """The login attempts that reached authentication (and so hashed)."""
    seen = []

    def count(sender, credentials, **kwargs):
        seen.append(credentials.get("username"))

    user_login_failed.connect(count)
    yield seen
    user_login_failed.disconnect(count)


def login(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip)


def test_failed_logins_from_one_address_are_refused_before_hashing(client, editor, attempts):
    for _ in range(5):
        assert login(client, "editor", "wrong").status_code == 200  # the form's "wrong password"
    assert len(attempts) == 5
    refused = login(client, "editor", "wrong")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 590
    body = refused.content.decode()
    assert "登录失败次数过多" in body and "10 分钟" in body
    # The right password is refused too while the lock lasts, and nothing
    # more reaches the password check.
    assert login(client, "editor", "right-password-1").status_code == 429
    assert login(client, "someone-else", "x").status_code == 429
    assert len(attempts) == 5


def test_failures_for_one_username_lock_it_from_every_address(client, editor, attempts):
    for n in range(5):
        login(client, "editor", "wrong", ip=f"10.0.1.{n}")
    assert login(client, "editor", "right-password-1", ip="10.0.2.1").status_code == 429
    # Another username from a fresh address is not affected.
    assert login(client, "other", "wrong", ip="10.0.2.2").status_code == 200
    assert attempts == ["editor"] * 5 + ["other"]


def test_a_successful_login_clears_its_username_and_the_limit_can_be_off(client, editor, settings):
    for n in range(4):
        login(client, "editor", "wrong", ip=f"10.0.3.{n}")
    assert login(client, "editor", "right-password-1", ip="10.0.4.1").status_code == 302
    client.logout()
    for n in range(4):  # four more: the count started again
        login(client, "editor", "wrong", ip=f"10.0.5.{n}")
    assert login(client, "editor", "right-password-1", ip="10.0.6.1").status_code == 302
    settings.LOGIN_FAILURE_LIMIT = 0
    client.logout()
    for _ in range(8):
        assert login(client, "editor", "wrong", ip="10.0.7.1").status_code == 200


def test_an_unwritable_throttle_cache_lets_logins_through(client, editor, settings, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    settings.CACHES = {**settings.CACHES, "throttle": {**settings.CACHES["throttle"], "LOCATION": blocker / "c"}}
    for _ in range(7):
        assert login(client, "editor", "wrong").status_code == 200
    assert login(client, "editor", "right-password-1").status_code == 302


def test_search_rate_per_address_with_a_burst(client, settings):
    settings.SEARCH_RATE, settings.SEARCH_BURST = 0.1, 3  # one more search every 10 s
    for _ in range(3):
        assert client.get("/api/search", {"q": "落实"}, REMOTE_ADDR="10.1.0.1").status_code == 200
    api = client.get("/api/search", {"q": "落实"}, REMOTE_ADDR="10.1.0.1")
    assert api.status_code == 429 and api["Content-Type"].startswith("application/json")
    wait = int(api["Retry-After"])
    assert 5 <= wait <= 10 and api.json() == {"error": f"搜索请求过于频繁，请 {wait} 秒后再试。", "code": "rate_limited"}
    page = client.get("/search/", {"q": "落实"}, REMOTE_ADDR="10.1.0.1")
    assert page.status_code == 429 and "搜索请求过于频繁" in page.content.decode()
    # Another client is not held up.
    assert client.get("/search/", {"q": "落实"}, REMOTE_ADDR="10.1.0.2").status_code == 200
    settings.SEARCH_RATE = 0
    assert all(client.get("/api/search", {"q": "落实"}, REMOTE_ADDR="10.1.0.1").status_code == 200
               for _ in range(10))


def test_client_address_behind_a_proxy_is_the_last_forwarded_one(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8")
    assert throttle.client_ip(request) == "10.9.9.9"
    settings.THROTTLE_TRUST_FORWARDED = True
    assert throttle.client_ip(request) == "5.6.7.8"


# -- request bodies ----------------------------------------------------------

BIG = 3 * 1024 * 1024  # over DATA_UPLOAD_MAX_MEMORY_SIZE (2 MB)


def multipart(size):
    boundary = "XyZ"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\n").encode() + b"a" * size + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_anonymous_large_bodies_are_refused_before_parsing(client, monkeypatch):
    from django.http import multipartparser

    def never(*args, **kwargs):
        raise AssertionError("the body was parsed")

    monkeypatch.setattr(multipartparser.MultiPartParser, "parse", never)
    body, ctype = multipart(BIG)
    for path in ("/admin/essays/essay/upload/", "/admin/login/", "/search/", "/"):
        response = client.generic("POST", path, body, content_type=ctype)
        assert response.status_code == 413, path
        assert "请求内容过大（3.0 MB，上限 2 MB）" in response.content.decode()
    api = client.generic("POST", "/api/search", body, content_type=ctype)
    assert api.status_code == 413 and "请求内容过大" in api.json()["error"]


def test_staff_may_post_large_bodies_to_the_upload_page_only(client, editor, django_user_model):
    body, ctype = multipart(BIG)
    client.force_login(editor)
    upload = client.generic("POST", "/admin/essays/essay/upload/", body, content_type=ctype)
    assert upload.status_code == 200  # the upload report (the file fails to parse or is too large)
    assert "big.txt" in upload.content.decode()
    assert client.generic("POST", "/admin/essays/essay/add/", body, content_type=ctype).status_code == 413
    reader = django_user_model.objects.create_user("reader", password="pw-reader-1")
    client.force_login(reader)
    assert client.generic("POST", "/admin/essays/essay/upload/", body, content_type=ctype).status_code == 413


def test_small_anonymous_posts_are_untouched(client):
    body, ctype = multipart(1000)
    response = client.generic("POST", "/admin/essays/essay/upload/", body, content_type=ctype)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
