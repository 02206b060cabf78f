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

UNDECODABLE = "无法识别文件的编码：不是 UTF-8、GB18030、Big5 或 Shift-JIS 文本；请另存为 UTF-8 后重新上传"


@pytest.mark.parametrize("name, reason", [
    ("empty.txt", "文件是空的；请检查是否选错了文件"),
    ("whitespace.txt", "文件只有空白，没有内容"),
    ("spacers_only.txt", "找不到正文段落"),
    ("binary_junk.bin", UNDECODABLE),
    ("gb18030_mojibake.bin", UNDECODABLE),
    ("image.png", "不支持的文件格式（PNG 图片），不是文本文件；请另存为纯文本（.txt，UTF-8 编码）或网页（.html）后再上传"),
    ("nul_bytes.txt", "文件含有 NUL 字节（是二进制数据，不是文本）；请上传 .txt 或 .html 文本文件"),
    ("control_chars.txt", "文件含有控制字符（是二进制数据，不是文本）"),
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
    assert info.value.reason == f"文件大小 {len(data)} 字节，超过上限 100 字节"
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
    assert info.value.reason == f"文件大小 {MAX_BYTES_DEFAULT + 1} 字节，超过上限 {MAX_BYTES_DEFAULT} 字节"
    with pytest.raises(EssayParseError) as info:
        parse_essay_file(str(FIXTURES / "seed.txt"), max_bytes=10)
    assert info.value.reason == "文件大小 11589 字节，超过上限 10 字节"


def test_file_errors_become_parse_errors(tmp_path):
    with pytest.raises(EssayParseError) as info:
        parse_essay_file(tmp_path / "missing.txt")
    assert info.value.source == "missing.txt"
    assert info.value.reason.startswith("无法读取文件")
    with pytest.raises(EssayParseError) as info:
        parse_essay_file(tmp_path)
    assert info.value.reason == "不是普通文件"


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
    assert essay.encoding in {"utf-8", "utf-8-sig", "gb18030", "big5", "shift_jis"}
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


# --- legacy encodings, damaged UTF-8 ---------------------------------------------

def test_big5_file_is_decoded_as_big5():
    essay = parse_fixture("big5.txt")
    assert essay.encoding == "big5"
    assert (essay.number, essay.title) == (8, "我們的優良傳統")
    assert essay.paragraphs == ("反對空談、強調實幹、注重落實，是我們黨的優良傳統。", "有沒有守好初心，要靠抓落實來檢驗。")


def test_shift_jis_file_is_decoded_as_shift_jis():
    essay = parse_fixture("shift_jis.txt")
    assert essay.encoding == "shift_jis"
    assert (essay.number, essay.title) == (9, "現場の声")
    assert essay.paragraphs == ("私たちは常に現場の声を聞き、着実に実行します。", "反対するだけではなく、提案を示します。")


@pytest.mark.parametrize("name, reason", [
    ("utf8_truncated.txt", "文件在第 2 行末尾断在一个字符的中间（UTF-8 不完整，文件可能被截断）；请检查原文件是否完整后重新上传"),
    ("utf8_damaged.txt", "不是有效的 UTF-8 文本：第 2 行起有 2 处无法解码的字节（文件可能已损坏）；请检查原文件后重新上传"),
])
def test_damaged_utf8_is_refused_not_read_as_gb18030(name, reason):
    with pytest.raises(EssayParseError) as info:
        parse_fixture(name)
    assert info.value.reason == reason


def _corpus(count):
    from bench.generate import corpus_texts

    seed = parse_fixture("seed.txt")
    yield "\n".join([f"10{seed.title}.txt", *seed.paragraphs])
    for seq, title, paragraphs in corpus_texts(count, seed=11):
        yield "\n".join([f"{seq}{title}.txt", *paragraphs])


def test_gb18030_and_utf8_essays_keep_their_encoding_however_short():
    """The Big5 and Shift-JIS detection must not take real GB18030 or UTF-8
    files: the seed and 150 generated essays, whole and cut to their first
    12, 20, 40 and 80 characters."""
    checked = 0
    for text in _corpus(150):
        for cut in (12, 20, 40, 80, None):
            piece = text[:cut] if cut else text
            if "\n" not in piece.strip():
                piece = piece + "\n正文。"
            for encoding in ("gb18030", "utf-8"):
                essay = parse_essay_bytes(piece.encode(encoding), "x.txt")
                assert essay.encoding == encoding, (encoding, piece)
                checked += 1
    assert checked == 151 * 5 * 2


# --- control characters and limits ------------------------------------------------

def test_control_characters_from_entities_are_stripped():
    body = "<div>第一段&#1;含&#x1F;控制&#x7f;字符&#xFFFF;。</div><div>&#2;</div><div>第二段。</div>"
    essay = parse_essay_bytes(f"12控制字符\n{body}".encode(), "c.txt")
    assert essay.paragraphs == ("第一段含控制字符。", "第二段。")
    assert essay.title == "控制字符"


def _essay_with(paragraphs):
    body = "".join(f"<div>{p}</div>" for p in paragraphs)
    return f"1标题\n{body}".encode()


def test_paragraph_count_limit():
    ok = parse_essay_bytes(_essay_with(["段"] * 5), "n.txt", max_paragraphs=5)
    assert len(ok.paragraphs) == 5
    with pytest.raises(EssayParseError) as info:
        parse_essay_bytes(_essay_with(["段"] * 6), "n.txt", max_paragraphs=5)
    assert info.value.reason == "段落超过 5 段的上限；请检查原文的分段，或把文章拆成几个文件上传"
    # One-line paragraphs of a plain-text body count the same way.
    with pytest.raises(EssayParseError):
        parse_essay_bytes(("1标题\n" + "一行\n" * (parsing.MAX_PARAGRAPHS_DEFAULT + 1)).encode(), "lines.txt")


def test_paragraph_length_limit():
    ok = parse_essay_bytes(_essay_with(["短", "字" * 10]), "l.txt", max_paragraph_chars=10)
    assert ok.paragraphs[1] == "字" * 10
    with pytest.raises(EssayParseError) as info:
        parse_essay_bytes(_essay_with(["短", "字" * 11, "短"]), "l.txt", max_paragraph_chars=10)
    assert info.value.reason == ("第 2 段有 11 字，超过每段 10 字的上限（原文可能丢失了分段）；"
                                 "请在原文中分段后重新上传")


def test_default_limits_are_far_above_real_essays():
    seed = parse_fixture("seed.txt")
    assert len(seed.paragraphs) * 100 < parsing.MAX_PARAGRAPHS_DEFAULT
    assert max(map(len, seed.paragraphs)) * 20 < parsing.MAX_PARAGRAPH_CHARS_DEFAULT
    # A long speech: 40,000 characters in 400 paragraphs.
    speech = parse_essay_bytes(_essay_with([SEED_FIRST[:100]] * 400), "speech.txt")
    assert len(speech.paragraphs) == 400


# --- formats editors send by mistake, and HTML without a title ---------------

@pytest.mark.parametrize("name, data, kind", [
    ("报告.docx", b"PK\x03\x04\x14\x00\x06\x00word/document.xml\x00\x00", "Word 文档（.docx）"),
    ("报告.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00", "PDF 文件（.pdf）"),
    ("scan.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG 图片"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "旧版 Word/Excel 文档（.doc/.xls）"),
    ("misnamed.txt", b"PK\x03\x04\x14\x00\x00\x00", "ZIP 压缩包或 Office 文档"),
    # by the suffix alone, whatever the bytes
    ("notes.docx", "正文".encode(), "Word 文档（.docx）"),
])
def test_unsupported_formats_are_named_not_called_binary(name, data, kind):
    with pytest.raises(EssayParseError) as info:
        parse_essay_bytes(data, name)
    assert info.value.reason == (f"不支持的文件格式（{kind}），不是文本文件；"
                                 "请另存为纯文本（.txt，UTF-8 编码）或网页（.html）后再上传")
    assert "NUL" not in info.value.reason


def test_html_without_heading_or_title_takes_its_file_name():
    essay = parse_fixture("no_title.html")
    assert (essay.number, essay.title, essay.paragraphs) == (None, "no_title", ("正文",))
    numbered = parse_essay_bytes("<div>第一段。</div><p>第二段。</p>".encode(), "0042没有标题的网页.html")
    assert (numbered.number, numbered.title) == (42, "没有标题的网页")
    assert numbered.paragraphs == ("第一段。", "第二段。")
