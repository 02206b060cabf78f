"""Issue 19's journeys in headless Chromium at 1280 and 390 px: the empty
state, finding an essay by title filter and page jump, sort menus that
apply at once (and their no-JavaScript fallback), returning to results with
page and sort kept, the phone layout (no horizontal scroll, no 48 px
indent), contrast measured from computed styles, and an editor's preview
and confirmed upload of good, broken, .docx and title-less HTML files.
Screenshots of the key pages at both widths go to test-artifacts/screenshots/."""
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from .browser_support import open_at, KEYWORD, create_essays, screenshot, title_for
from .conftest import essay_file
from .test_browser import DESKTOP, PHONE, browser, open_page, texts  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture
def essays(db):
    return create_essays()


def no_horizontal_scroll(page):
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{page.url}: {scroll_width}px wide in a {inner_width}px window"


# ------------------------------------------------------------- readers

@pytest.mark.parametrize("width", WIDTHS)
def test_empty_archive_says_how_to_add_essays(open_page, live_server, db, request, width):  # noqa: F811
    w = open_at(open_page, width)
    page = w.page
    page.goto(live_server.url + "/")
    box = page.locator(".getting-started")
    expect(box).to_be_visible()
    expect(box.locator("h2")).to_have_text("文章库还是空的")
    expect(box).to_contain_text("python manage.py import_essays 目录/")
    expect(box).to_contain_text("python manage.py createsuperuser")
    expect(box).to_contain_text("make demo")
    expect(box.get_by_role("link", name="管理后台")).to_have_attribute("href", "/admin/essays/essay/upload/")
    expect(page.locator(".list-summary")).to_contain_text("共 0 篇")
    no_horizontal_scroll(page)
    screenshot(page, request, full_page=True)
    w.assert_clean()


@pytest.mark.parametrize("width", WIDTHS)
def test_find_an_essay_by_title_filter_and_page_jump(open_page, live_server, essays, request, width):  # noqa: F811
    w = open_at(open_page, width)
    page = w.page
    page.goto(live_server.url + "/")
    # The home page shows what came in last (essay 45 was imported last).
    recent = page.locator("section.recent")
    expect(recent.locator("h2")).to_have_text("最近收录")
    assert texts(page, ".recent-list a") == [title_for(n) for n in range(45, 40, -1)]
    screenshot(page, request, suffix="-home", full_page=True)

    box = page.locator(".filters input[name=title]")
    box.fill("调查研究")
    box.press("Enter")
    page.wait_for_url(re.compile(r"title=%E8%B0%83"))
    expected = [title_for(n) for n in range(1, 46) if "调查研究" in title_for(n)]
    assert texts(page, ".essay-list a") == expected and len(expected) == 9
    expect(page.locator(".list-summary")).to_contain_text("共 9 篇（已筛选）")
    expect(page.locator("section.recent")).to_have_count(0)
    expect(box).to_have_value("调查研究")
    expect(page).to_have_title("筛选结果 · 政论文章库")
    screenshot(page, request, suffix="-filtered")

    page.goto(live_server.url + "/")
    jump = page.locator("form.page-jump")
    jump.locator("input[name=page]").fill("3")
    jump.get_by_role("button", name="跳转").click()
    page.wait_for_url(re.compile(r"page=3"))
    expect(page.locator(".list-summary")).to_contain_text("第 3 / 3 页")
    assert texts(page, ".essay-list a") == [title_for(n) for n in range(41, 46)]
    expect(page.locator("nav.pagination [aria-current=page]")).to_have_text("3")
    no_horizontal_scroll(page)
    w.assert_clean()


def test_list_sort_applies_at_once(open_page, live_server, essays, request):  # noqa: F811
    w = open_page()
    page = w.page
    page.goto(live_server.url + "/?page=2")
    page.locator(".filters select[name=sort]").select_option("newest")
    page.wait_for_url(re.compile(r"sort=newest"))  # no button pressed
    assert texts(page, ".essay-list a")[:3] == [title_for(n) for n in (45, 44, 43)]
    w.assert_clean()


@pytest.mark.parametrize("width", WIDTHS)
def test_search_sort_applies_at_once_and_results_come_back_with_page_and_sort(open_page, live_server, essays,
                                                                              request, width):  # noqa: F811
    w = open_at(open_page, width)
    page = w.page
    page.goto(live_server.url + "/search/?q=" + KEYWORD)
    expect(page.locator(".search-options button")).to_be_hidden()  # JavaScript applies the menu itself
    page.locator("#sort").select_option("number")
    page.wait_for_url(re.compile(r"sort=number"))
    expect(page.locator(".result-count")).to_contain_text("第 1 / 2 页")
    page.locator("nav.pagination a[rel=next]").click()
    page.wait_for_url(re.compile(r"page=2"))
    expect(page).to_have_title(f"{KEYWORD}（第 2 页） · 搜索 · 政论文章库")
    # "71本报讯": the number and the title read apart.
    first_heading = page.locator(".hit h2").first.evaluate("e => e.textContent")
    assert re.match(r"^\d+ \S", first_heading), first_heading  # as copied or read aloud
    assert re.match(r"^\d+\s+\S", page.locator(".hit h2").first.inner_text())
    screenshot(page, request, suffix="-results", full_page=True)
    titles = texts(page, ".hit h2 a")
    page.locator(".hit h2 a").first.click()
    page.wait_for_url(re.compile(r"/essays/\d+/\?q="))
    expect(page.locator("h1")).to_have_text(titles[0])
    screenshot(page, request, suffix="-essay")
    page.get_by_role("link", name="返回搜索结果").click()
    page.wait_for_url(re.compile(r"/search/\?"))
    assert "sort=number" in page.url and "page=2" in page.url
    expect(page.locator("#sort")).to_have_value("number")
    expect(page.locator(".result-count")).to_contain_text("第 2 / 2 页")
    assert texts(page, ".hit h2 a") == titles
    w.assert_clean()


def test_search_sort_without_javascript_uses_the_button(open_page, live_server, essays, request):  # noqa: F811
    w = open_page(java_script_enabled=False)
    page = w.page
    page.goto(live_server.url + "/search/?q=" + KEYWORD)
    button = page.locator(".search-options button")
    expect(button).to_be_visible()
    page.locator("#sort").select_option("number")
    page.wait_for_timeout(300)
    assert "sort=number" not in page.url  # nothing happens by itself
    button.click()
    page.wait_for_url(re.compile(r"sort=number"))
    expect(page.locator("#sort")).to_have_value("number")
    w.assert_clean()


def test_no_sort_control_when_nothing_is_found(open_page, live_server, essays, request):  # noqa: F811
    w = open_page()
    page = w.page
    page.goto(live_server.url + "/search/?q=完全不存在的词语组合")
    expect(page.locator(".notice")).to_contain_text("没有找到")
    expect(page.locator("#sort")).to_have_count(0)
    expect(page.locator(".header-help")).to_be_visible()
    w.assert_clean()


@pytest.mark.parametrize("width", WIDTHS)
def test_layout_spacing_no_indent_and_no_horizontal_scroll(open_page, live_server, essays, request, width):  # noqa: F811
    w = open_at(open_page, width)
    page = w.page
    for path in ["/", "/search/?q=" + KEYWORD, essays[8].get_absolute_url(), "/search/?q=-形式主义"]:
        page.goto(live_server.url + path)
        no_horizontal_scroll(page)
        # main's own top padding survives .wrap: the first line keeps clear of the red header.
        gap = page.evaluate("""() => document.querySelector('main').firstElementChild.getBoundingClientRect().top
                               - document.querySelector('.site-header').getBoundingClientRect().bottom""")
        assert gap >= 12, (path, gap)
    page.goto(live_server.url + "/search/?q=" + KEYWORD)
    hit = page.locator(".hit").first
    indent = hit.evaluate("e => parseFloat(getComputedStyle(e).paddingLeft)")
    number_position = hit.locator(".essay-number").evaluate("e => getComputedStyle(e).position")
    if width == "phone":
        assert indent == 0 and number_position == "static", (indent, number_position)
        title_box, hit_box = hit.locator("h2 a").bounding_box(), hit.bounding_box()
        assert title_box["x"] - hit_box["x"] < 48  # the number inline, not a 48 px hanging column
    else:
        assert indent == 48 and number_position == "absolute"  # the number hangs in the margin
    screenshot(page, request, suffix="-results")
    w.assert_clean()


CONTRAST = """(args) => {
  const [selector, pseudo] = args;
  const el = document.querySelector(selector);
  const parse = c => { const m = c.match(/[\\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; };
  const lum = ({r, g, b}) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
                               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  let bg = null;
  for (let node = el; node; node = node.parentElement) {
    const c = parse(getComputedStyle(node).backgroundColor);
    if (c.a > 0) { bg = c; break; }
  }
  bg = bg || {r: 255, g: 255, b: 255, a: 1};
  const fg = parse(getComputedStyle(el, pseudo || null).color);
  for (let node = el; node; node = node.parentElement) fg.a *= Number(getComputedStyle(node).opacity);
  const mix = {r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a)};
  const [hi, lo] = [lum(mix), lum(bg)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_contrast_of_paragraph_numbers_placeholder_and_muted_text(open_page, live_server, essays, request,
                                                                  width):  # noqa: F811
    w = open_at(open_page, width)
    page = w.page
    page.goto(live_server.url + essays[7].get_absolute_url())
    measured = {
        "paragraph number": page.evaluate(CONTRAST, [".para-number", None]),
        "search placeholder": page.evaluate(CONTRAST, ["#header-q", "::placeholder"]),
        "meta line": page.evaluate(CONTRAST, [".essay-header .meta", None]),
    }
    measured["paragraph's 引用 link"] = page.evaluate(CONTRAST, [".para-cite", None])
    page.goto(live_server.url + essays[7].get_absolute_url() + "?cite=3#p3")  # a targeted, cited paragraph
    measured["targeted paragraph number"] = page.evaluate(CONTRAST, ["#p3 .para-number", None])
    page.goto(live_server.url + "/search/?q=" + KEYWORD)
    measured["hit number"] = page.evaluate(CONTRAST, [".hit .essay-number", None])
    measured["paragraph reference"] = page.evaluate(CONTRAST, [".para-ref", None])
    low = {name: round(ratio, 2) for name, ratio in measured.items() if ratio < 4.5}
    assert not low, f"below WCAG AA 4.5:1: {low}"
    w.assert_clean()


# ------------------------------------------------------------- editors

def log_in(page, live_server):
    page.goto(live_server.url + "/admin/login/")
    page.locator("#id_username").fill("editor")
    page.locator("#id_password").fill("correct-horse-battery-9")
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url(live_server.url + "/admin/")


def logged_in(w, live_server):
    """Log in; what the login page itself did (the browser's favicon.ico
    probe is a 404) is forgotten: the pages after it must be clean."""
    log_in(w.page, live_server)
    w.reset()


@pytest.fixture
def editor(db, settings):
    from django.contrib.auth import get_user_model

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return get_user_model().objects.create_superuser("editor", "editor@example.org", "correct-horse-battery-9")


def test_editor_previews_then_confirms_an_upload_with_chinese_reasons(open_page, live_server, editor, tmp_path,
                                                                      request):  # noqa: F811
    good = tmp_path / "0101上传的好文件.txt"
    good.write_bytes(essay_file(101, "上传的好文件", ["第一段普通文字。", "第二段：预览之后才导入的独有句子。"]))
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"102\x00\x01 binary junk\x00")
    docx = tmp_path / "会议纪要.docx"
    docx.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00word/document.xml" + b"\x00" * 40)
    untitled = tmp_path / "0103没有标题的网页.html"
    untitled.write_bytes("<html><body><div>　　只有正文的网页第一段。</div><p>第二段。</p></body></html>".encode())

    w = open_page()
    page = w.page
    logged_in(w, live_server)
    expect(page.locator("#site-name")).to_have_text("政论文章库 管理")
    page.goto(live_server.url + reverse("admin:essays_essay_upload"))
    expect(page.locator("#content-main")).to_contain_text("接受 .txt 和 .html 文件")
    expect(page.locator(".format-example")).to_contain_text("71本报讯：让抓落实成为党员干部的鲜明特质.txt")
    page.locator("input[type=file][name=files]").set_input_files([str(good), str(broken), str(docx), str(untitled)])
    expect(page.locator("#chosen-files")).to_contain_text("共 4 个文件")
    page.get_by_role("button", name="预览").click()

    preview = page.locator("#upload-preview")
    expect(preview).to_be_visible()
    expect(page.locator("#content-main h2").first).to_contain_text("预览（尚未导入）：将新建 2，更新 0，未变 0，失败 2")
    rows = {r[0]: r[1:] for r in (row.split("\t") for row in preview.locator("tbody tr").all_inner_texts())}
    assert rows[good.name][:4] == ["新建", "101", "上传的好文件", "2"]
    assert rows[untitled.name][:4] == ["新建", "103", "没有标题的网页", "2"]
    assert rows[broken.name][0] == "失败" and "NUL 字节" in rows[broken.name][-1]
    assert rows[docx.name][0] == "失败" and rows[docx.name][-1].startswith("不支持的文件格式（Word 文档（.docx））")
    for name, cells in rows.items():
        assert all(re.search(r"[\u4e00-\u9fff]", c) for c in cells[-1:] if c), (name, cells)
    screenshot(page, request, suffix="-preview", full_page=True)
    from essays.models import Essay

    assert Essay.objects.count() == 0  # nothing imported by the preview

    page.get_by_role("button", name="确认导入").click()
    report = page.locator("#upload-report")
    expect(report).to_be_visible()
    expect(page.locator("#content-main h2").first).to_contain_text("新建 2，更新 0，未变 0，失败 2")
    cells = {r[0]: r[1:] for r in (row.split("\t") for row in report.locator("tbody tr").all_inner_texts())}
    assert cells[good.name][:2] == ["新建", "上传的好文件"]
    assert cells[untitled.name][:2] == ["新建", "没有标题的网页"]
    assert cells[docx.name][0] == "失败" and "请另存为纯文本" in cells[docx.name][2]
    screenshot(page, request, suffix="-report", full_page=True)

    # The report's public link shows the essay as readers see it.
    with page.context.expect_page() as opened:
        report.locator("tr", has_text=good.name).locator("a.public-link").click()
    public = opened.value
    public.wait_for_load_state()
    expect(public.locator("h1")).to_have_text("上传的好文件")
    w.assert_clean()


def test_editor_drops_files_on_the_upload_form(open_page, live_server, editor, request):  # noqa: F811
    w = open_page()
    page = w.page
    logged_in(w, live_server)
    page.goto(live_server.url + reverse("admin:essays_essay_upload"))
    expect(page.locator(".drop-hint")).to_be_visible()
    transfer = page.evaluate_handle("""() => {
        const dt = new DataTransfer();
        dt.items.add(new File(["201拖放的文章.txt\\n<div>拖放上传的第一段。</div>"], "0201.txt", {type: "text/plain"}));
        dt.items.add(new File(["202第二篇拖放.txt\\n<div>第二篇的段落。</div>"], "0202.txt", {type: "text/plain"}));
        return dt;
    }""")
    page.dispatch_event("#drop-zone", "dragenter", {"dataTransfer": transfer})
    expect(page.locator("#drop-zone")).to_have_class(re.compile("dragging"))
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": transfer})
    expect(page.locator("#chosen-files")).to_contain_text("0201.txt")
    expect(page.locator("#chosen-files")).to_contain_text("共 2 个文件")
    screenshot(page, request, suffix="-dropped")
    page.get_by_role("button", name="直接上传").click()  # the one-step upload stays
    expect(page.locator("#content-main h2").first).to_contain_text("新建 2")
    from essays.models import Essay

    assert sorted(Essay.objects.values_list("title", flat=True)) == ["拖放的文章", "第二篇拖放"]
    w.assert_clean()


def test_editor_pages_at_phone_width(open_page, live_server, editor, essays, request):  # noqa: F811
    w = open_at(open_page, "phone")
    page = w.page
    logged_in(w, live_server)
    page.goto(live_server.url + reverse("admin:essays_essay_upload"))
    expect(page.locator("#upload-form")).to_be_visible()
    screenshot(page, request, suffix="-upload", full_page=True)
    page.goto(live_server.url + reverse("admin:essays_essay_changelist") + "?q=" + KEYWORD)
    expect(page.locator("#result_list")).to_be_visible()
    expect(page.locator("#changelist-search")).to_contain_text("在标题、正文段落和来源文件名中查找")
    screenshot(page, request, suffix="-changelist", full_page=True)
    w.assert_clean()
