"""Turn the bytes of one essay file into plain-text paragraphs.

An essay file is its original file name on the first line (a sequence number
glued to the title, e.g. ``10让抓落实成为党员干部的鲜明特质.txt``) followed by an
HTML body of ``<div><span>　　paragraph</span></div><div>&nbsp;</div>`` blocks.
Files that are only HTML, or plain text with one paragraph per line, work too.

This module is deliberately pure (no Django, no I/O in ``parse_essay_bytes``)
so it can be tested and fuzzed on its own. Only plain text leaves it: every
tag, attribute, script and comment is dropped here, never "sanitised" later,
and so is every control character (an entity such as ``&#1;`` would otherwise
reach the database, and XML, the Atom feed, cannot hold it).

Every refusal is an EssayParseError whose reason is Chinese, for the editor
who uploaded the file.

Limits bound what one essay may cost later (segmenting, indexing, showing it):
at most ``max_paragraphs`` paragraphs of at most ``max_paragraph_chars``
characters each. The defaults are far above real essays: the seed has 11
paragraphs of at most 549 characters; a long speech (a party congress report)
has some 30,000 characters in a few hundred paragraphs. A file over either
limit is refused, not split: a paragraph of tens of thousands of characters
means the file lost its paragraph breaks (or is not prose at all), and
cutting it at arbitrary places would invent paragraph numbers (the ``#p<n>``
anchors readers cite) and make a quotation across a cut unfindable, since a
match never spans two paragraphs. The editor is told which paragraph is too
long and can fix the source.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass

from .decoding import DecodingError, decode, unsupported_format


MAX_BYTES_DEFAULT = 5 * 1024 * 1024
MAX_PARAGRAPHS_DEFAULT = 2000
MAX_PARAGRAPH_CHARS_DEFAULT = 20000

_DROPPED_TAGS = [
    "script", "style", "noscript", "template", "iframe", "object", "embed",
    "applet", "svg", "math", "canvas", "audio", "video",
]
# Elements that start and end a paragraph. Everything else (span, b, a, font…)
# is inline and must not split a paragraph: <b>抓</b>落实 is one word.
_BLOCK_TAGS = frozenset(
    "div p li blockquote h1 h2 h3 h4 h5 h6 ul ol dl dt dd table thead tbody "
    "tfoot tr td th caption section article header footer main nav aside "
    "figure figcaption address center form fieldset legend pre hr body html "
    "details summary".split()
)
# Text whose innermost block is one of these is "loose" text: there each line
# is a paragraph, so a plain-text body with one paragraph per line works.
_LINE_BLOCKS = frozenset({None, "body", "html", "pre"})

# Leading/trailing junk of a paragraph: any Unicode space (incl. U+3000, NBSP)
# plus zero-width characters that str.isspace() does not know about.
_EDGE_SPACE = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]+|[\s\u200b-\u200d\u2060\ufeff]+$")
# Internal runs collapsed to one space. U+3000 is kept: it is part of the text.
_INNER_SPACE = re.compile(r"[ \t\n\r\f\v\u00a0\u2028\u2029]+")
# Characters stripped from every title and paragraph: C0 and C1 controls
# except the whitespace ones (which become spaces), DEL, lone surrogates and
# the non-characters U+FFFE/U+FFFF. Together with the allowed whitespace this
# leaves only what XML 1.0 can hold (see essays.feeds.xml_safe).
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NAME_EXT = re.compile(r"\.(?:txt|html?)$", re.IGNORECASE)
# At most 9 digits: the number must fit a database integer, and int() of a
# huge digit run would even raise ValueError (Python's int max str digits).
_NAME_NUMBER = re.compile(r"^([0-9０-９]{1,9})(?![0-9０-９])(.*)$", re.DOTALL)
_NAME_SEPARATORS = " \t\u3000.．、_＿-－—–·:："
# A line starts HTML only if '<' opens a tag, comment or declaration; a title
# like "<<…>>" is not markup.
_STARTS_MARKUP = re.compile(r"^<[A-Za-z!/?]")


class EssayParseError(ValueError):
    """Raised for a file that cannot become an essay. str(err) == f"{source}: {reason}"."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


@dataclass(frozen=True)
class ParsedEssay:
    """One essay as plain text, plus where it came from."""

    number: int | None
    title: str
    paragraphs: tuple[str, ...]
    source_name: str
    original_name: str
    encoding: str
    content_hash: str


@dataclass(frozen=True)
class Limits:
    """What one file may hold (see the module docstring)."""

    max_bytes: int = MAX_BYTES_DEFAULT
    max_paragraphs: int = MAX_PARAGRAPHS_DEFAULT
    max_paragraph_chars: int = MAX_PARAGRAPH_CHARS_DEFAULT


def parse_essay_bytes(data: bytes, source_name: str, max_bytes: int = MAX_BYTES_DEFAULT,
                      max_paragraphs: int = MAX_PARAGRAPHS_DEFAULT,
                      max_paragraph_chars: int = MAX_PARAGRAPH_CHARS_DEFAULT) -> ParsedEssay:
    """Parse the raw bytes of one essay file.

    Deterministic and free of I/O. Raises only EssayParseError (with
    ``source == source_name``) for anything that is not a usable essay.
    """
    limits = Limits(max_bytes, max_paragraphs, max_paragraph_chars)
    try:
        return _parse(data, source_name, limits)
    except EssayParseError:
        raise
    except Exception as err:  # a parser bug must not escape as another type
        raise EssayParseError(source_name, f"无法解析文件（{type(err).__name__}）") from err


def parse_essay_file(path, max_bytes: int = MAX_BYTES_DEFAULT, **limits) -> ParsedEssay:
    """Read and parse one file; ``source_name`` is its base name.

    The size is checked with stat() before anything is read, and the read is
    capped, so an oversized (or growing) file is never loaded whole. OS errors
    become EssayParseError too, so a batch import can report and move on.
    """
    path = os.fspath(path)
    name = os.path.basename(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block/never end
            raise EssayParseError(name, "不是普通文件")
        if info.st_size > max_bytes:
            raise EssayParseError(name, too_large(info.st_size, max_bytes))
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as err:
        raise EssayParseError(name, f"无法读取文件（{err.strerror or type(err).__name__}）") from err
    return parse_essay_bytes(data, name, max_bytes, **limits)


EMPTY = "文件是空的；请检查是否选错了文件"
NUL_BYTES = "文件含有 NUL 字节（是二进制数据，不是文本）；请上传 .txt 或 .html 文本文件"
NO_TITLE = "找不到标题（第一行应是原文件名，或正文有 <h1> 或 <title>）；请在文件第一行写上标题"


def too_large(size: int, limit: int) -> str:
    """The reason given for a file over the size limit."""
    return f"文件大小 {size} 字节，超过上限 {limit} 字节"


def _parse(data, source_name, limits):
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise EssayParseError(source_name, f"需要文件的字节内容，收到的是 {type(data).__name__}")
    data = bytes(data)
    if len(data) > limits.max_bytes:
        raise EssayParseError(source_name, too_large(len(data), limits.max_bytes))
    if not data:
        raise EssayParseError(source_name, EMPTY)
    unsupported = unsupported_format(data, source_name)
    if unsupported:
        raise EssayParseError(source_name, unsupported)
    if b"\x00" in data:
        raise EssayParseError(source_name, NUL_BYTES)
    try:
        text, encoding = decode(data)
    except DecodingError as err:
        raise EssayParseError(source_name, err.reason) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not _clean(text):
        raise EssayParseError(source_name, "文件只有空白，没有内容")

    original_name, body = _split_first_line(text)
    number, title = _split_name(original_name) if original_name else (None, "")

    # Imported here: a web server process that never parses an upload does
    # not need bs4 and lxml in memory (about 6 MB).
    from bs4 import BeautifulSoup

    soup = BeautifulSoup("<body>" + body + "</body>", "lxml")  # <body> avoids bs4's
    # "looks like a URL/file name/XML" warnings and pins loose text to the body.
    _drop(soup.find_all(_DROPPED_TAGS))
    h1, title_tag = soup.find("h1"), soup.find("title")
    heading = _clean(_text_of(h1)) if h1 else ""
    doc_title = _clean(_text_of(title_tag)) if title_tag else ""
    # The first <h1> is the title again and <head>/<title> are metadata:
    # none of them is a paragraph.
    _drop([h1] + soup.find_all(["head", "title"]))

    if not title:
        fallback = heading or doc_title
        if not original_name and fallback:
            number, title = _split_name(fallback)
        title = title or fallback
    if not title and not original_name:
        # An HTML file with neither <h1> nor <title>: its file name is the
        # best title there is (as the first line would be for a .txt).
        number, title = _split_name(source_name)
    if not title:
        raise EssayParseError(source_name, NO_TITLE)

    paragraphs = tuple(_paragraphs(soup, source_name, limits))
    if not paragraphs:
        raise EssayParseError(source_name, "找不到正文段落")
    return ParsedEssay(
        number=number,
        title=title,
        paragraphs=paragraphs,
        source_name=source_name,
        original_name=original_name,
        encoding=encoding,
        content_hash=hashlib.sha256(data).hexdigest(),
    )


def _drop(tags):
    for tag in tags:
        # Skip tags already removed with an enclosing dropped tag.
        if tag is not None and not tag.decomposed:
            tag.decompose()


def _split_first_line(text):
    """Split off the file-name line; ('', text) if the file starts with HTML."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        stripped = _clean(line)
        if not stripped:
            continue
        if _STARTS_MARKUP.match(stripped):
            return "", text
        return _EDGE_SPACE.sub("", line), "\n".join(lines[i + 1:])
    return "", text


def _split_name(name):
    """'10让抓落实….txt' -> (10, '让抓落实…'); a name without digits -> (None, name)."""
    name = _clean(_NAME_EXT.sub("", _clean(name)))
    match = _NAME_NUMBER.match(name)
    if not match:
        return None, name
    return int(match.group(1)), _clean(match.group(2).lstrip(_NAME_SEPARATORS))


def _clean(text):
    """Drop control characters (_CONTROLS), collapse internal whitespace,
    strip the edges (incl. U+3000 and NBSP)."""
    return _EDGE_SPACE.sub("", _INNER_SPACE.sub(" ", _CONTROLS.sub("", text)))


def clean_text(text):
    """What the parser keeps of a title or paragraph typed elsewhere (the
    admin form): no control characters, whitespace as in imported text."""
    return _clean(text)


def _text_of(tag):
    from bs4.element import NavigableString, PreformattedString

    # Comments, CDATA, doctypes and processing instructions are not text.
    return "".join(
        s for s in tag.descendants
        if isinstance(s, NavigableString) and not isinstance(s, PreformattedString)
    )


def _paragraphs(soup, source_name, limits):
    """The cleaned paragraphs of the tree, in document order, refused
    (EssayParseError) as soon as one is too long or there are too many.

    One pass over ``descendants`` (iterative, so deep nesting cannot hit the
    recursion limit) with an explicit stack of open elements: entering or
    leaving a block element, and every <br>, ends the paragraph being built.
    """
    from bs4.element import NavigableString, PreformattedString, Tag

    out, buffer = [], []
    open_tags, open_blocks = [], []
    loose = True

    def flush():
        text = "".join(buffer)
        buffer.clear()
        pieces = text.split("\n") if loose else [text]
        for paragraph in map(_clean, pieces):
            if not paragraph:
                continue
            out.append(paragraph)
            if len(paragraph) > limits.max_paragraph_chars:
                raise EssayParseError(source_name, (
                    f"第 {len(out)} 段有 {len(paragraph)} 字，超过每段 {limits.max_paragraph_chars} 字的上限"
                    "（原文可能丢失了分段）；请在原文中分段后重新上传"))
            if len(out) > limits.max_paragraphs:
                raise EssayParseError(source_name, (
                    f"段落超过 {limits.max_paragraphs} 段的上限；请检查原文的分段，或把文章拆成几个文件上传"))

    for node in soup.descendants:
        # Close every element this node is not inside of (pre-order walk).
        while open_tags and open_tags[-1] is not node.parent:
            closed = open_tags.pop()
            if open_blocks and open_blocks[-1] is closed:
                flush()
                open_blocks.pop()
        loose = (open_blocks[-1].name if open_blocks else None) in _LINE_BLOCKS
        if isinstance(node, Tag):
            if node.name in _BLOCK_TAGS or node.name == "br":
                flush()
            if node.name in _BLOCK_TAGS:
                open_blocks.append(node)
            open_tags.append(node)
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            buffer.append(str(node))
    flush()  # whatever is still open at the end of the document
    return out
