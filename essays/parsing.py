"""Turn the bytes of one essay file into plain-text paragraphs.

An essay file is its original file name on the first line (a sequence number
glued to the title, e.g. ``10让抓落实成为党员干部的鲜明特质.txt``) followed by an
HTML body of ``<div><span>　　paragraph</span></div><div>&nbsp;</div>`` blocks.
Files that are only HTML, or plain text with one paragraph per line, work too.

This module is deliberately pure (no Django, no I/O in ``parse_essay_bytes``)
so it can be tested and fuzzed on its own. Only plain text leaves it: every
tag, attribute, script and comment is dropped here, never "sanitised" later.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass


MAX_BYTES_DEFAULT = 5 * 1024 * 1024

_UNDECODABLE = "undecodable bytes (not UTF-8 or GB18030 text)"

# Elements whose content is never essay text (code, embedded objects, metadata).
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
_BAD_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LOOSE_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # \v \f allowed
_SPACES = re.compile(r"\s")
# Characters a Chinese essay does not use. A GB18030 "decoding" of bytes that
# are not GB text lands mostly outside these ranges: ASCII, Latin-1 and pinyin
# letters, Greek/Cyrillic, punctuation and symbols (①, box drawing), CJK
# punctuation/kana, CJK ideographs (ext. A, unified, compatibility, ext. B-G),
# full-width forms.
_UNCOMMON = re.compile(
    r"[^\s\x20-\x7e\xa0-\u024f\u0370-\u04ff\u2000-\u27bf\u3000-\u33ff"
    r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
    r"\U00020000-\U0003134f]"
)
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


def parse_essay_bytes(data: bytes, source_name: str, max_bytes: int = MAX_BYTES_DEFAULT) -> ParsedEssay:
    """Parse the raw bytes of one essay file.

    Deterministic and free of I/O. Raises only EssayParseError (with
    ``source == source_name``) for anything that is not a usable essay.
    """
    try:
        return _parse(data, source_name, max_bytes)
    except EssayParseError:
        raise
    except Exception as err:  # a parser bug must not escape as another type
        raise EssayParseError(source_name, f"cannot parse file ({type(err).__name__})") from err


def parse_essay_file(path, max_bytes: int = MAX_BYTES_DEFAULT) -> ParsedEssay:
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
            raise EssayParseError(name, "not a regular file")
        if info.st_size > max_bytes:
            raise EssayParseError(name, _too_large(info.st_size, max_bytes))
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as err:
        raise EssayParseError(name, f"cannot read file ({err.strerror or type(err).__name__})") from err
    return parse_essay_bytes(data, name, max_bytes)


def _too_large(size: int, limit: int) -> str:
    return f"file is {size} bytes, over the limit of {limit} bytes"


def _parse(data, source_name, max_bytes):
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise EssayParseError(source_name, f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise EssayParseError(source_name, _too_large(len(data), max_bytes))
    if not data:
        raise EssayParseError(source_name, "empty file")
    if b"\x00" in data:
        raise EssayParseError(source_name, "contains NUL bytes (binary data, not text)")
    text, encoding = _decode(data, source_name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not _clean(text):
        raise EssayParseError(source_name, "empty file (only whitespace)")

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
    if not title:
        raise EssayParseError(source_name, "no title")

    paragraphs = tuple(_paragraphs(soup))
    if not paragraphs:
        raise EssayParseError(source_name, "no paragraphs found")
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


def _decode(data, source_name):
    """Return (text, encoding name) or reject bytes that are not text."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = [("utf-8-sig", False)]
    else:
        candidates = [("utf-8", False), ("gb18030", True)]
    for encoding, guessed in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if guessed:
            # GB18030 decodes many byte soups without error; accept it only
            # when the result reads like Chinese/ASCII text, not mojibake.
            if _BAD_CONTROLS.search(text) or not _looks_like_text(text):
                break
        elif _LOOSE_CONTROLS.search(text):
            raise EssayParseError(source_name, "contains control characters (binary data, not text)")
        return text, encoding
    raise EssayParseError(source_name, _UNDECODABLE)


def _looks_like_text(text):
    """True if nearly all visible characters are ones a Chinese essay uses."""
    visible = len(text) - len(_SPACES.findall(text))
    return not visible or len(_UNCOMMON.findall(text)) <= 0.05 * visible


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
    """Collapse internal whitespace, strip the edges (incl. U+3000 and NBSP)."""
    return _EDGE_SPACE.sub("", _INNER_SPACE.sub(" ", text))


def _text_of(tag):
    from bs4.element import NavigableString, PreformattedString

    # Comments, CDATA, doctypes and processing instructions are not text.
    return "".join(
        s for s in tag.descendants
        if isinstance(s, NavigableString) and not isinstance(s, PreformattedString)
    )


def _paragraphs(soup):
    """Yield the cleaned paragraphs of the tree, in document order.

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
        out.extend(p for p in map(_clean, pieces) if p)

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
