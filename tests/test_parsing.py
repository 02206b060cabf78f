"""Tests of essays.parsing: plain pytest, no Django needed.

Run with: .venv/bin/python -m pytest -q -p no:django tests/test_parsing.py
"""
import dataclasses
import hashlib
import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Make `essays` importable however pytest is started (it needs no Django).
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from essays import parsing  # noqa: E402
from essays.parsing import (  # noqa: E402
    MAX_BYTES_DEFAULT,
    EssayParseError,
    ParsedEssay,
    parse_essay_bytes,
    parse_essay_file,
)

FIXTURES = ROOT / "tests" / "fixtures" / "parsing"

SEED_TITLE = "让抓落实成为党员干部的鲜明特质"
SEED_FIRST = (
    "反对空谈、强调实干、注重落实，是我们党的优良传统。从一定意义上讲，“不忘初心、牢记使命”"
    "主题教育提出的“守初心、担使命，找差距、抓落实”总要求，落脚点就在抓落实。有没有守好初心、"
    "担好使命，要靠抓落实来检验；有没有找准差距、解决问题，也要靠抓落实来体现。党员、干部不忘初心、"
    "牢记使命，带领人民群众干事创业，就要让抓落实成为自己的鲜明特质，始终着眼于实、立足于干，"
    "不断增强抓落实能力，推动党的大政方针落地生根。"
)
SEED_LAST = (
    "习近平同志指出，党的基层组织是确保党的路线方针政策和决策部署贯彻落实的基础。基层是各项工作的"
    "落脚点。各级政府部门在设定目标、分解任务的时候，要充分考虑基层的实际情况，高度关注抓落实的"
    "要素保障。注重调动基层干部的积极性主动性创造性，多为基层干部着想，给予基层干部更多的信任、"
    "关爱、支持和帮助，为他们创造更好工作条件、提供更大发展空间，让基层干部有尊严、有干劲，"
    "敢于和善于抓落实。"
)


def parse_fixture(name, **kwargs):
    return parse_essay_bytes((FIXTURES / name).read_bytes(), name, **kwargs)


def assert_clean(essay):
    """Invariants every parsed essay must satisfy."""
    assert essay.title and essay.title == essay.title.strip()
    assert essay.paragraphs
    for p in essay.paragraphs:
        assert p and p == p.strip() and not p.startswith("\u3000")
        assert "\xa0" not in p and "&nbsp;" not in p and "\n" not in p


# --- the real seed ---------------------------------------------------------

def test_seed_file():
    data = (FIXTURES / "seed.txt").read_bytes()
    essay = parse_essay_file(FIXTURES / "seed.txt")
    assert isinstance(essay, ParsedEssay)
    assert essay.number == 10
    assert essay.title == SEED_TITLE
    assert essay.original_name == "10让抓落实成为党员干部的鲜明特质.txt"
    assert essay.source_name == "seed.txt"
    assert essay.encoding == "utf-8"
    assert essay.content_hash == hashlib.sha256(data).hexdigest()
    assert len(essay.paragraphs) == 11
    assert essay.paragraphs[0] == SEED_FIRST
    assert essay.paragraphs[-1] == SEED_LAST
    for p in essay.paragraphs:
        assert "<" not in p and ">" not in p and "&nbsp;" not in p and "span" not in p
        assert not p.startswith("\u3000") and not p.startswith(" ")
    assert_clean(essay)


def test_seed_bytes_keep_source_name_and_are_deterministic():
    data = (FIXTURES / "seed.txt").read_bytes()
    a = parse_essay_bytes(data, "some dir/原名 10.txt")
    b = parse_essay_bytes(data, "some dir/原名 10.txt")
    assert a == b and a.source_name == "some dir/原名 10.txt"
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.title = "x"


# --- encodings and line endings --------------------------------------------

def test_utf8_with_bom():
    essay = parse_fixture("utf8_bom.txt")
    assert essay.encoding == "utf-8-sig"
    assert (essay.number, essay.title) == (21, "带BOM的文章")
    assert essay.original_name == "21带BOM的文章.txt"
    assert essay.paragraphs == ("第一段：带字节顺序标记。", "第二段。")


def test_gb18030_with_characters_outside_gbk():
    essay = parse_fixture("gb18030.txt")
    assert essay.encoding == "gb18030"
    assert (essay.number, essay.title) == (3, "关于学习的思考")
    assert essay.paragraphs == ("学而不思则罔，思而不学则殆。", "生僻字㐀与𠀀也要保留。")


def test_crlf_line_endings():
    essay = parse_fixture("crlf.txt")
    assert (essay.number, essay.title, essay.original_name) == (4, "换行符测试", "4换行符测试.txt")
    assert essay.paragraphs == ("第一段。", "第二段 跨行。")
    assert all("\r" not in p for p in essay.paragraphs)


def test_cr_only_line_endings():
    essay = parse_fixture("cr_only.txt")
    assert (essay.number, essay.title) == (5, "旧式换行")
    assert essay.paragraphs == ("第一段。", "第二段。")


# --- markup ------------------------------------------------------------------

def test_p_tags():
    essay = parse_fixture("p_tags.txt")
    assert essay.paragraphs == ("第一段。", "第二段。", "第三段。")


def test_entities_decoded_once():
    essay = parse_fixture("entities.txt")
    assert essay.paragraphs == ("“引号” A&B 中国 文字 &lt;b&gt;", "中文…")


def test_br_separates_paragraphs():
    essay = parse_fixture("br_paragraphs.txt")
    assert essay.paragraphs == ("第一段。", "第二段。", "第三段。")


def test_inline_tags_do_not_split():
    essay = parse_fixture("inline_tags.txt")
    assert essay.paragraphs == ("要抓落实，强调实干，链接字体。",)


def test_hostile_markup_is_reduced_to_text():
    essay = parse_fixture("hostile.txt")
    assert essay.paragraphs == ("正文第一段。", "链接在这里。", "点击这里。", "结尾段落。")
    joined = "\n".join(essay.paragraphs + (essay.title,))
    for bad in ("alert", "javascript", "onerror", "onclick", "color:red", "secret",
                "iframe", "noscript", "template", "object text", "svg", "injected", "<", ">"):
        assert bad not in joined
    assert any("链接" in p for p in essay.paragraphs)


def test_nested_blocks_lists_quotes_and_headings():
    html = ("题目.txt\n<div>外<div><span>内</span></div>尾</div>"
            "<ul><li>甲</li><li>乙<br>丙</li></ul><blockquote>引文</blockquote>"
            "<h2>小标题</h2><h6>六级</h6>")
    essay = parse_essay_bytes(html.encode(), "n.txt")
    assert essay.paragraphs == ("外", "内", "尾", "甲", "乙", "丙", "引文", "小标题", "六级")


def test_whitespace_rules():
    html = "题目.txt\n<p>\u3000\u3000 a \t\n b&nbsp;&nbsp;c\u3000d\u3000</p><p>&amp;nbsp;</p>"
    essay = parse_essay_bytes(html.encode(), "w.txt")
    assert essay.paragraphs == ("a b c\u3000d", "&nbsp;")


def test_plain_text_body_one_paragraph_per_line():
    essay = parse_fixture("plain_text.txt")
    assert (essay.number, essay.title) == (16, "纯文本文章")
    assert essay.paragraphs == ("第一段。", "第二段。", "第三段。")


# --- the first line ----------------------------------------------------------

def test_first_line_without_number():
    essay = parse_fixture("no_number.txt")
    assert (essay.number, essay.title) == (None, "没有序号的标题")
    assert essay.original_name == "没有序号的标题.txt"


def test_first_line_without_extension():
    essay = parse_fixture("no_extension.txt")
    assert (essay.number, essay.title) == (12, "没有扩展名的标题")


def test_full_width_number_and_upper_case_extension():
    essay = parse_fixture("fullwidth_number.txt")
    assert (essay.number, essay.title) == (13, "全角序号")


def test_name_line_with_only_a_number_falls_back_to_h1():
    essay = parse_fixture("name_only_number.txt")
    assert (essay.number, essay.title, essay.original_name) == (14, "来自标题标签", "14.txt")
    assert essay.paragraphs == ("正文段落。",)


@pytest.mark.parametrize("line, number, title", [
    ("10让抓落实.txt", 10, "让抓落实"),
    ("7.标题.txt", 7, "标题"),
    ("7、标题", 7, "标题"),
    ("7_标题.htm", 7, "标题"),
    ("7 - 标题.HTML", 7, "标题"),
    ("007标题.txt", 7, "标题"),
    ("标题2.txt", None, "标题2"),
    ("1234567890标题.txt", None, "1234567890标题"),  # too long to be a number
    ("<<书名>>读后感.txt", None, "<<书名>>读后感"),  # not markup
])
def test_name_line_split(line, number, title):
    essay = parse_essay_bytes(f"{line}\n<div>正文</div>".encode(), "x.txt")
    assert (essay.number, essay.title, essay.original_name) == (number, title, line)


def test_only_html_with_h1():
    essay = parse_fixture("html_h1.html")
    assert (essay.number, essay.title, essay.original_name) == (None, "只有HTML的文章", "")
    assert essay.paragraphs == ("第一段。", "第二段。")


def test_only_html_with_title_tag():
    essay = parse_fixture("html_title.html")
    assert (essay.number, essay.title) == (15, "只有标题标签")
    assert essay.paragraphs == ("第一段。", "第二段。")


# --- rejections --------------------------------------------------------------

UNDECODABLE = "undecodable bytes (not UTF-8 or GB18030 text)"


@pytest.mark.parametrize("name, reason", [
    ("empty.txt", "empty file"),
    ("whitespace.txt", "empty file (only whitespace)"),
    ("spacers_only.txt", "no paragraphs found"),
    ("no_title.html", "no title"),
    ("binary_junk.bin", UNDECODABLE),
    ("gb18030_mojibake.bin", UNDECODABLE),
    ("image.png", "contains NUL bytes (binary data, not text)"),
    ("nul_bytes.txt", "contains NUL bytes (binary data, not text)"),
    ("control_chars.txt", "contains control characters (binary data, not text)"),
])
def test_rejected_files(name, reason):
    with pytest.raises(EssayParseError) as info:
        parse_fixture(name)
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.source, err.reason) == (name, reason)
    assert str(err) == f"{name}: {reason}"
    with pytest.raises(EssayParseError) as info:
        parse_essay_file(FIXTURES / name)
    assert (info.value.source, info.value.reason) == (name, reason)


def test_non_bytes_input_is_rejected():
    with pytest.raises(EssayParseError) as info:
        parse_essay_bytes("text, not bytes", "s.txt")
    assert info.value.source == "s.txt"


def test_size_limit_on_bytes():
    data = (FIXTURES / "seed.txt").read_bytes()
    with pytest.raises(EssayParseError) as info:
        parse_essay_bytes(data, "seed.txt", max_bytes=100)
    assert info.value.source == "seed.txt"
    assert info.value.reason == f"file is {len(data)} bytes, over the limit of 100 bytes"
    assert parse_essay_bytes(data, "seed.txt", max_bytes=len(data)).number == 10


def test_size_limit_on_file_is_checked_before_reading(tmp_path, monkeypatch):
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:  # sparse: no real disk use
        fh.truncate(MAX_BYTES_DEFAULT + 1)

    def no_open(*args, **kwargs):
        raise AssertionError("the file must not be opened")

    monkeypatch.setattr(parsing, "open", no_open, raising=False)
    with pytest.raises(EssayParseError) as info:
        parse_essay_file(big)
    assert info.value.source == "big.txt"
    assert info.value.reason == (
        f"file is {MAX_BYTES_DEFAULT + 1} bytes, over the limit of {MAX_BYTES_DEFAULT} bytes")
    with pytest.raises(EssayParseError) as info:
        parse_essay_file(str(FIXTURES / "seed.txt"), max_bytes=10)
    assert info.value.reason == "file is 11589 bytes, over the limit of 10 bytes"


def test_file_errors_become_parse_errors(tmp_path):
    with pytest.raises(EssayParseError) as info:
        parse_essay_file(tmp_path / "missing.txt")
    assert info.value.source == "missing.txt"
    assert info.value.reason.startswith("cannot read file")
    with pytest.raises(EssayParseError) as info:
        parse_essay_file(tmp_path)
    assert info.value.reason == "not a regular file"


def test_file_source_name_is_the_base_name():
    essay = parse_essay_file(os.path.join(str(FIXTURES), "p_tags.txt"))
    assert essay.source_name == "p_tags.txt"


# --- property tests: anything in, essay or EssayParseError out ------------------

HTMLISH = st.sampled_from([
    "<div>", "</div>", "<p>", "</p>", "<span style='x'>", "</span>", "<br>", "<br/>",
    "<b>", "</b>", "<h1>", "</h1>", "<title>", "</title>", "<script>", "</script>",
    "<style>", "<!--", "-->", "<![CDATA[", "]]>", "<?xml version='1.0'?>", "<!DOCTYPE html>",
    "&nbsp;", "&amp;", "&lt;", "&#x4E2D;", "&#0;", "&#xD800;", "&bogus;", "<", ">", "\u3000",
    "\n", "\r\n", "\r", " ", "10", "１２", ".txt", "、", "抓落实", "段落", "<li>", "<table><td>",
    "<svg>", "</html>", "<body>", "<head>", "\ufeff", "http://x.y", "a.html",
])
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def check_total(data, name="fuzz.txt"):
    try:
        essay = parse_essay_bytes(data, name)
    except EssayParseError as err:
        assert err.source == name and err.reason
        return
    assert_clean(essay)
    assert essay.source_name == name
    assert essay.encoding in {"utf-8", "utf-8-sig", "gb18030"}
    assert essay.content_hash == hashlib.sha256(data).hexdigest()
    assert essay.number is None or 0 <= essay.number < 10**9


@SETTINGS
@given(st.binary(max_size=3000))
def test_arbitrary_bytes(data):
    check_total(data)


@SETTINGS
@given(st.text(max_size=2000), st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_arbitrary_text(text, encoding):
    check_total(text.encode(encoding))


@SETTINGS
@given(st.lists(st.one_of(HTMLISH, st.text(max_size=20)), max_size=60))
def test_htmlish_fragments(parts):
    check_total("".join(parts).encode("utf-8"))
