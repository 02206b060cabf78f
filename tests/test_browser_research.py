"""Issue 15's journey in headless Chromium: a researcher searches a quote,
reads the year chart and the facets, narrows the answer by a facet (the
count follows exactly), removes the filter again, and opens the full
timeline, whose table agrees with the chart. Screenshots at 1280 and 390 px."""
import pytest
from playwright.sync_api import expect

from .test_browser import DESKTOP, PHONE, browser, open_page  # noqa: F401  (fixtures)
from .browser_support import screenshot
from .test_research import make_corpus, matches

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_filter_by_a_facet_and_read_the_chart(open_page, live_server, request, viewport):  # noqa: F811
    corpus = make_corpus(60)
    w = open_page(viewport=viewport)
    page = w.page
    page.goto(live_server.url + '/search/?q="抓落实"')
    expected = [e for e in corpus if matches(e, "抓落实")]
    expect(page.locator(".result-count strong")).to_have_text(str(len(expected)))
    chart = page.locator(".mini-chart svg.chart")
    expect(chart).to_be_visible()
    years = sorted({e.date_start.year for e in expected if e.date})
    assert chart.locator("rect").count() == years[-1] - years[0] + 1  # every year, zeros included
    screenshot(page, request, suffix="results", full_page=True)

    source = max({e.source for e in expected}, key=lambda s: sum(e.source == s for e in expected))
    page.locator(".facet").filter(has_text="来源").get_by_role("link", name=source, exact=True).click()
    narrowed = [e for e in expected if e.source == source]
    expect(page.locator(".result-count strong")).to_have_text(str(len(narrowed)))
    expect(page.locator(".active-filters")).to_contain_text(f"{source} ×")
    sources = page.locator(".hit .meta").all_inner_texts()
    assert sources and all(source in text for text in sources)
    screenshot(page, request, suffix="narrowed", full_page=True)
    page.locator(".filter-chip").click()
    expect(page.locator(".result-count strong")).to_have_text(str(len(expected)))

    page.get_by_role("link", name="完整时间线").click()
    expect(page.locator(".timeline-table")).to_be_visible()
    rows = page.locator(".timeline-table tbody tr")
    assert rows.count() == years[-1] - years[0] + 1
    first = rows.first.locator("td").first.inner_text()
    assert int(first) == sum(1 for e in expected if e.date and e.date_start.year == years[0])
    screenshot(page, request, suffix="timeline", full_page=True)
    w.assert_clean()
