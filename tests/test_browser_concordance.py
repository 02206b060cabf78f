"""Issue 16's journeys in headless Chromium at 1280 and 390 px: from a
results page to the concordance (rows with the matches in one column, the
total the service counts, a neighbour word narrowing the rows, a row leading
to its paragraph), and 上一处 / 下一处 (buttons and keys n / p) on the essay
page opened from a search, with and without JavaScript. Screenshots go to
test-artifacts/screenshots/."""
import re

import pytest
from playwright.sync_api import expect

from .browser_support import open_at, QUOTE_ESSAY, create_essays, screenshot
from .test_browser import DESKTOP, PHONE, browser, open_page, texts  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def essays(db):
    return create_essays()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_concordance_from_results_page(open_page, live_server, essays, request, width):  # noqa: F811
    from search import service

    expected = service.concordance("抓落实", per_page=50)
    watched = open_at(open_page, width)
    page = watched.page
    page.goto(f"{live_server.url}/search/?q=抓落实")
    page.get_by_role("link", name="逐条列出全部出现（语境）").click()
    page.wait_for_url(re.compile(r"/search/concordance/\?q="))
    expect(page.locator(".concordance-total")).to_have_text(str(expected["total"]))
    matches = page.locator("a.kwic-match")
    expect(matches).to_have_count(len(expected["rows"]))
    assert set(texts(page, "a.kwic-match")) == {"抓落实"}
    xs = {round(b["x"]) for b in (matches.nth(i).bounding_box() for i in range(min(10, matches.count())))}
    assert len(xs) == 1, f"the matches are not in one column: {xs}"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, request, suffix=f"-{width}")

    word, n = expected["neighbours"]["right"][0]
    page.locator(".neighbours .facet").nth(1).get_by_role("link", name=word, exact=True).first.click()
    page.wait_for_url(re.compile(r"side=right"))
    expect(page.locator(".concordance-total")).to_have_text(str(n))
    row = service.concordance("抓落实", neighbour=service.Neighbour("right", word))["rows"][0]
    page.locator("a.kwic-match").first.click()
    page.wait_for_url(re.compile(rf"/essays/{row['essay_id']}/"))
    if row["paragraph"]:
        expect(page.locator(f"#p{row['paragraph']} mark").first).to_be_visible()
    watched.assert_clean()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_previous_and_next_occurrence_on_the_essay_page(open_page, live_server, essays, request, width):  # noqa: F811
    essay = essays[QUOTE_ESSAY]
    marks = sum(p.count("抓落实") for p in essay.paragraphs)
    assert marks >= 3
    watched = open_at(open_page, width)
    page = watched.page
    page.goto(f"{live_server.url}{essay.get_absolute_url()}?q=抓落实")
    nav = page.locator(".occurrence-nav")
    expect(nav).to_contain_text(f"本文出现 {marks} 处")
    expect(page.locator("mark[id^=m]")).to_have_count(marks)
    nav.get_by_role("link", name="下一处").click()
    expect(page.locator("mark.current")).to_have_attribute("id", "m1")
    assert page.url.endswith("#m1")
    page.keyboard.press("n")
    expect(page.locator("mark.current")).to_have_attribute("id", "m2")
    expect(nav.locator(".occ-position")).to_have_text(f"第 2 / {marks} 处")
    page.keyboard.press("n")
    expect(page.locator("mark.current")).to_have_attribute("id", "m3")
    assert page.locator("mark.current").is_visible()
    page.keyboard.press("p")
    expect(page.locator("mark.current")).to_have_attribute("id", "m2")
    nav.get_by_role("link", name="上一处").click()
    expect(page.locator("mark.current")).to_have_attribute("id", "m1")
    expect(page.locator("mark.current")).to_have_count(1)
    screenshot(page, request, suffix=f"-{width}")
    watched.assert_clean()


def test_next_occurrence_without_javascript(open_page, live_server, essays, request):  # noqa: F811
    essay = essays[QUOTE_ESSAY]
    watched = open_page(viewport=DESKTOP, java_script_enabled=False)
    page = watched.page
    page.goto(f"{live_server.url}{essay.get_absolute_url()}?q=抓落实")
    page.locator(".occurrence-nav").get_by_role("link", name="下一处").click()
    assert page.url.endswith("#m1")
    page.locator(".occurrence-nav").get_by_role("link", name="上一处").click()
    assert re.search(r"#m\d+$", page.url) and not page.url.endswith("#m1")
