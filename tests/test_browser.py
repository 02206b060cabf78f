"""End-to-end journeys in headless Chromium (Debian's /usr/bin/chromium,
driven by Playwright's sync API; no browser is ever downloaded).

Each journey asserts what a person sees: text, visible elements, the URL.
The final state of each is saved to test-artifacts/screenshots/<test>.png.
Without Chromium these tests FAIL with the install command; they never skip.
"""
import os
import re
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from .browser_support import (  # DESKTOP, PHONE: also imported from here by the other browser tests
    DESKTOP, PHONE, KEYWORD, LONG_DIGITS, LONG_ESSAY, LONG_LATIN, QUOTE, QUOTE_ELSEWHERE, QUOTE_ESSAY,
    QUOTE_PARAGRAPH, create_essays, hostile_essay_bytes, normalize, screenshot, title_for,
)
from .conftest import essay_file

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
INSTALL_HINT = ("run `make browser-deps` (as root: apt-get install chromium chromium-driver) "
                "to install Debian's Chromium for the end-to-end browser tests")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the whole module (a new context, i.e. a fresh
    profile with no cookies or cache, per test). Returns a failure message
    instead of a browser when Chromium is missing or does not start, so that
    each test FAILS with it rather than being skipped."""
    # Why DJANGO_ALLOW_ASYNC_UNSAFE: Playwright's sync API runs an asyncio
    # event loop in this (the test) thread for as long as it is started.
    # Django's ORM refuses to run in a thread with a running event loop
    # (SynchronousOnlyOperation), a guard meant for async views. Here the
    # ORM calls (creating test data, pytest-django's flush after each test)
    # are plain blocking calls made between browser steps, never while the
    # loop is doing anything, and the live server answers in its own thread,
    # so the guard is a false alarm. It is set for this module's lifetime
    # only (before any browser starts and any ORM call of these tests), and
    # restored afterwards so that the rest of the suite keeps the guard.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        if not Path(CHROMIUM).exists():
            yield f"{CHROMIUM} is missing: {INSTALL_HINT}"
            return
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        try:
            # launch() gives Chromium a fresh temporary user-data dir, which
            # Playwright deletes on close; each test's new_context() is a
            # further clean (incognito-like) profile.
            try:
                chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            except Exception as err:  # noqa: BLE001 - reported as a test failure
                yield f"{CHROMIUM} did not start ({err}); {INSTALL_HINT}"
                return
            yield chromium
            chromium.close()
        finally:
            playwright.stop()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Watched:
    """A page plus what went wrong on it: dialogs, console errors, uncaught
    exceptions and requests to other origins."""

    def __init__(self, page, origin):
        self.page = page
        self.dialogs, self.console_errors, self.page_errors, self.foreign = [], [], [], []

        def on_dialog(dialog):
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(
            f"{msg.text} ({page.url})"))
        page.on("pageerror", lambda err: self.page_errors.append(str(err)))
        page.on("request", lambda req: req.url.startswith((origin, "data:")) or self.foreign.append(req.url))

    def reset(self):
        for found in (self.dialogs, self.console_errors, self.page_errors, self.foreign):
            found.clear()

    def assert_clean(self):
        assert self.dialogs == [], "a dialog opened: script ran"
        assert self.page_errors == [], "uncaught exceptions in the page"
        assert self.console_errors == [], "console errors (CSP violations show up here)"
        assert self.foreign == [], "requests to other origins (fonts, CDNs…)"


@pytest.fixture
def open_page(browser, live_server):
    """open_page(viewport=…) -> Watched page in a new browser context."""
    contexts = []

    def open_(viewport=DESKTOP, **options):
        if isinstance(browser, str):
            pytest.fail(browser, pytrace=False)
        context = browser.new_context(viewport=viewport, locale="zh-CN", **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return Watched(context.new_page(), live_server.url)

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def essays(db):
    return create_essays()


def texts(page, selector):
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def search_from_header(page, text):
    box = page.locator("header form[role=search] input[name=q]")
    box.fill(text)
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?"))


# ------------------------------------------------------------------ journeys

def test_browse_list_pages_and_essay_neighbours(open_page, live_server, essays, request):
    w = open_page()
    page = w.page
    page.goto(live_server.url + "/")
    expect(page).to_have_title("政论文章库")
    # Keyboard users: the first Tab shows the skip link, the focus is outlined.
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert skip.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    expect(page.locator("h1")).to_have_text("全部文章")
    expect(page.locator(".list-summary")).to_contain_text("共 45 篇，第 1 / 3 页")
    assert texts(page, ".essay-list a") == [title_for(n) for n in range(1, 21)]

    page.locator("nav.pagination").get_by_role("link", name="2", exact=True).click()
    page.wait_for_url(re.compile(r"/\?page=2$"))
    expect(page.locator(".list-summary")).to_contain_text("第 2 / 3 页")
    expect(page.locator("nav.pagination [aria-current=page]")).to_have_text("2")
    assert texts(page, ".essay-list a") == [title_for(n) for n in range(21, 41)]
    assert texts(page, ".essay-list .essay-number") == [str(n) for n in range(21, 41)]
    expect(page).to_have_title(re.compile("^第 2 页"))

    page.get_by_role("link", name=title_for(25), exact=True).click()
    page.wait_for_url(live_server.url + essays[25].get_absolute_url())
    expect(page.locator("h1")).to_have_text(title_for(25))
    expect(page.locator(".essay-header .meta")).to_contain_text("第 25 篇")
    expect(page).to_have_title(f"{title_for(25)} · 政论文章库")

    nav = page.locator("nav.essay-nav")
    expect(nav.locator("a[rel=next]")).to_contain_text(title_for(26))
    nav.locator("a[rel=next]").click()
    page.wait_for_url(live_server.url + essays[26].get_absolute_url())
    expect(page.locator("h1")).to_have_text(title_for(26))
    for number in (25, 24):
        nav.locator("a[rel=prev]").click()
        page.wait_for_url(live_server.url + essays[number].get_absolute_url())
        expect(page.locator("h1")).to_have_text(title_for(number))
        expect(page.locator(".essay-header .meta")).to_contain_text(f"第 {number} 篇")
    expect(nav.locator("a[rel=prev]")).to_contain_text(title_for(23))
    expect(nav.locator("a[rel=next]")).to_contain_text(title_for(25))
    screenshot(page, request)
    w.assert_clean()


def test_quotation_search_to_highlighted_paragraph(open_page, live_server, essays, request):
    w = open_page()
    page = w.page
    page.goto(live_server.url + "/")
    search_from_header(page, f"“{QUOTE}”")
    expect(page.locator(".result-count")).to_contain_text("原文引用")
    expect(page.locator(".result-count")).to_contain_text("共 3 篇")
    expect(page).to_have_title(re.compile(QUOTE))
    found = sorted(texts(page, ".hit h2 a"))
    assert found == sorted(title_for(n) for n in (QUOTE_ESSAY, *QUOTE_ELSEWHERE))
    marks = texts(page, ".hits mark")
    assert len(marks) >= 3 and all(normalize(m) == QUOTE for m in marks), marks
    # The header box keeps the query, so it can be refined.
    expect(page.locator("#header-q")).to_have_value(f"“{QUOTE}”")

    hit = page.locator(".hit").filter(has=page.get_by_role("link", name=title_for(QUOTE_ESSAY), exact=True))
    snippet = hit.locator(".snippets a").first
    expect(snippet).to_contain_text(f"第 {QUOTE_PARAGRAPH} 段")
    snippet.click()
    page.wait_for_url(re.compile(rf"/essays/{essays[QUOTE_ESSAY].pk}/\?q=.+#p{QUOTE_PARAGRAPH}$"))
    assert unquote(page.url.split("?q=")[1].split("#")[0]) == f"“{QUOTE}”"
    expect(page.locator("h1")).to_have_text(title_for(QUOTE_ESSAY))

    target = page.locator(f"#p{QUOTE_PARAGRAPH}")
    expect(target.locator("mark")).to_have_count(1)
    assert normalize(target.locator("mark").inner_text()) == QUOTE
    page.wait_for_function("window.scrollY > 0")  # the browser scrolled to the fragment
    box = target.bounding_box()
    viewport = page.viewport_size
    assert box is not None and 0 <= box["y"] and box["y"] + 20 <= viewport["height"], box
    # Only the matched paragraph is highlighted, and the note says so.
    expect(page.locator(".essay-body mark")).to_have_count(1)
    expect(page.locator(".query-note")).to_contain_text(QUOTE)
    screenshot(page, request)
    w.assert_clean()


def test_keyword_search_sorted_by_number_across_pages(open_page, live_server, essays, request):
    w = open_page()
    page = w.page
    page.goto(live_server.url + "/")
    search_from_header(page, KEYWORD)
    expected = [n for n in range(1, 46) if n % 2 == 1]  # 23 essays: pages of 20 and 3
    expect(page.locator(".result-count")).to_contain_text("关键词")
    expect(page.locator(".result-count")).to_contain_text(f"共 {len(expected)} 篇")

    page.locator("#sort").select_option("number")  # applies at once (static/js/autosubmit.js)
    page.wait_for_url(re.compile(r"sort=number"))
    expect(page.locator("#sort")).to_have_value("number")
    expect(page.locator(".result-count")).to_contain_text("第 1 / 2 页")
    seen = texts(page, ".hit h2 a")
    assert len(seen) == 20

    page.locator("nav.pagination a[rel=next]").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert "sort=number" in page.url
    expect(page.locator(".result-count")).to_contain_text("第 2 / 2 页")
    expect(page.locator("nav.pagination [aria-current=page]")).to_have_text("2")
    seen += texts(page, ".hit h2 a")
    assert seen == [title_for(n) for n in expected]
    assert [int(n) for n in texts(page, ".hit .essay-number")] == expected[20:]
    expect(page.locator(".hits mark").first).to_be_visible()
    screenshot(page, request)
    w.assert_clean()


def test_staff_upload_two_files_then_search_finds_the_new_essay(open_page, live_server, db, tmp_path, request,
                                                                settings):
    from django.contrib.auth import get_user_model

    # A real login, without a second of PBKDF2 for each hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_user_model().objects.create_superuser("editor", "editor@example.org", "correct-horse-battery-9")
    unique = "浏览器上传测试所独有的一句话必须立刻可以查到"
    good = tmp_path / "0101上传的好文件.txt"
    good.write_bytes(essay_file(101, "上传的好文件", ["第一段普通文字。", f"第二段：{unique}。"]))
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"102\x00\x01 binary junk\x00")

    w = open_page()
    page = w.page
    page.goto(live_server.url + "/admin/login/")
    page.locator("#id_username").fill("editor")
    page.locator("#id_password").fill("correct-horse-battery-9")
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url(live_server.url + "/admin/")
    page.goto(live_server.url + reverse("admin:essays_essay_changelist"))
    page.get_by_role("link", name="上传文章文件").click()
    page.wait_for_url(live_server.url + reverse("admin:essays_essay_upload"))

    page.locator("input[type=file][name=files]").set_input_files([str(good), str(broken)])
    page.get_by_role("button", name="直接上传").click()  # the one-step upload
    report = page.locator("#upload-report")
    expect(report).to_be_visible()
    expect(page.locator("#content-main h2")).to_contain_text("新建 1")
    expect(page.locator("#content-main h2")).to_contain_text("失败 1")
    rows = report.locator("tbody tr")
    expect(rows).to_have_count(2)
    cells = {r[0]: r[1:] for r in (row.split("\t") for row in rows.all_inner_texts())}
    assert cells[good.name][0] == "新建" and cells[good.name][1] == "上传的好文件"
    assert cells[broken.name][0] == "失败"
    assert "NUL" in cells[broken.name][2], cells[broken.name]
    screenshot(page, request, suffix="-report")

    # At once: no rebuild, no wait.
    w.reset()  # from here on, the public site: it must be clean
    page.goto(live_server.url + "/")
    search_from_header(page, f"“{unique}”")
    expect(page.locator(".result-count")).to_contain_text("共 1 篇")
    expect(page.locator(".hit h2 a")).to_have_text("上传的好文件")
    expect(page.locator(".hits mark")).to_have_text(unique)
    screenshot(page, request)
    w.assert_clean()


def test_hostile_essay_runs_no_script(open_page, live_server, db, request):
    from essays.importing import import_essay_bytes
    from search.sync import batched_indexing

    with batched_indexing() as batch:
        outcome = import_essay_bytes(hostile_essay_bytes(1), "hostile.txt")
        assert outcome.status == "created", outcome
        batch.touch(outcome.essay_id)
        neighbour = import_essay_bytes(essay_file(2, "普通邻居", ["普通段落，恶意内容测试。"]), "2.txt")
        batch.touch(neighbour.essay_id)
    title = "<script>alert(1)</script>恶意标题"

    w = open_page()
    page = w.page
    essay_url = live_server.url + f"/essays/{outcome.essay_id}/"
    for url in [essay_url, essay_url + "?q=" + quote("<script>alert(3)</script>恶意"), live_server.url + "/"]:
        page.goto(url)
        page.wait_for_load_state("load")
        expect(page.locator("h1").first).to_be_visible()
    page.goto(essay_url)
    expect(page.locator("h1")).to_have_text(title)  # shown as text, not run
    expect(page).to_have_title(f"{title} · 政论文章库")
    body = page.locator(".essay-body")
    expect(body).to_contain_text("字面的<script>alert(2)</script>与<img src=x onerror=alert(3)>文字。")
    expect(body).to_contain_text("链接在这里")
    assert page.locator("main script, main img, main iframe, a[href^='javascript:']").count() == 0

    search_from_header(page, "恶意")
    expect(page.locator(".result-count")).to_contain_text("共 2 篇")
    expect(page.locator(".hit h2 a").filter(has_text="恶意标题")).to_have_text(title)
    expect(page.locator(".hits mark").first).to_have_text("恶意")
    assert page.locator("main script, main img, a[href^='javascript:']").count() == 0
    # A hostile query is reflected as text too.
    page.goto(live_server.url + "/search/?q=" + quote("<img src=x onerror=alert(1)>恶意"))
    expect(page.locator("#header-q")).to_have_value("<img src=x onerror=alert(1)>恶意")
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)  # let any late error or dialog surface
    screenshot(page, request)
    w.assert_clean()


def test_phone_width_has_no_horizontal_scrolling(open_page, live_server, essays, request):
    w = open_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = w.page
    long_essay = essays[LONG_ESSAY]
    pages = {
        "list": "/",
        "essay": long_essay.get_absolute_url(),
        "essay-highlighted": long_essay.get_absolute_url() + "?q=" + quote(f"“{LONG_LATIN[:30]}”") + "#p2",
        "results": "/search/?q=" + quote(f"“{LONG_LATIN[:30]}”"),
        "results-long-title": "/search/?sort=number&q=" + quote(KEYWORD),  # essay 3 on page 1
        "search-help": "/search/",
    }
    for name, path in pages.items():
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        expect(page.locator("#header-q")).to_be_visible()
        scroll_width, inner_width, client_width = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth, document.documentElement.clientWidth]")
        # A mobile browser zooms out to fit content that is too wide, and
        # innerWidth grows with it: so the window must also still be the
        # phone's 390 px, or the first comparison would prove nothing.
        assert inner_width == client_width == PHONE["width"], (name, inner_width, client_width)
        assert scroll_width <= inner_width, f"{name}: page is {scroll_width}px wide in a {inner_width}px window"
        screenshot(page, request, suffix=f"-{name}", full_page=name in ("list", "essay"))
    # The long strings are really on the page (not cut away), and wrapped.
    page.goto(live_server.url + long_essay.get_absolute_url())
    paragraph = page.locator("#p2")
    expect(paragraph).to_contain_text(LONG_LATIN)
    expect(paragraph).to_contain_text(LONG_DIGITS)
    box = paragraph.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    expect(page.locator("h1")).to_contain_text(LONG_LATIN[:52])
    screenshot(page, request)
    w.assert_clean()
