"""What an essay file's bytes are: text in which encoding, or a format the
archive does not read. Pure functions; essays.parsing turns their
DecodingError into the file's EssayParseError.

`decode` takes UTF-8 (with or without BOM) first; a file that is UTF-8 but
for a few bytes (damaged, or cut in the middle of a character) is refused,
naming the line, since decoded as GB18030 it would be stored as mojibake.
Then GB18030, when the result reads like simplified Chinese, and else
charset-normalizer's best guess among GB18030, Big5 and Shift-JIS, when it
too reads like text.
"""
import os
import re
from collections import Counter

from charset_normalizer import from_bytes


class DecodingError(ValueError):
    """Bytes that are not an essay's text; `reason` is for the editor (Chinese)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


_UNDECODABLE = "无法识别文件的编码：不是 UTF-8、GB18030、Big5 或 Shift-JIS 文本；请另存为 UTF-8 后重新上传"
# Encodings tried, in order, for a file that is not UTF-8 (see _decode).
_LEGACY_ENCODINGS = ("gb18030", "big5", "cp932")
_ENCODING_NAMES = {"gb18030": "gb18030", "big5": "big5", "cp932": "shift_jis"}

# Controls that no text file holds (\t \n \r excepted; \v \f too in UTF-8 files).
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
ACCEPTED = "请另存为纯文本（.txt，UTF-8 编码）或网页（.html）后再上传"
# Formats editors send by mistake, by their first bytes: (magic, name).
_MAGIC = ((b"%PDF", "PDF 文件（.pdf）"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Word/Excel 文档（.doc/.xls）"),
          (b"{\\rtf", "RTF 文档（.rtf）"), (b"\x89PNG", "PNG 图片"), (b"\xff\xd8\xff", "JPEG 图片"),
          (b"GIF8", "GIF 图片"), (b"II*\x00", "TIFF 图片"), (b"MM\x00*", "TIFF 图片"))
# Zip-based office and archive formats, told apart by the file's suffix.
_ZIP_KINDS = {".docx": "Word 文档（.docx）", ".xlsx": "Excel 表格（.xlsx）", ".pptx": "PowerPoint 演示文稿（.pptx）",
              ".odt": "OpenDocument 文档（.odt）", ".epub": "EPUB 电子书（.epub）"}
# Suffixes that are never an essay file, whatever the bytes say.
_SUFFIX_KINDS = {**_ZIP_KINDS, ".doc": "Word 文档（.doc）", ".pdf": "PDF 文件（.pdf）", ".wps": "WPS 文档（.wps）",
                 ".rtf": "RTF 文档（.rtf）", ".jpg": "JPEG 图片", ".jpeg": "JPEG 图片", ".png": "PNG 图片",
                 ".gif": "GIF 图片", ".webp": "WebP 图片", ".bmp": "BMP 图片", ".tif": "TIFF 图片",
                 ".tiff": "TIFF 图片", ".heic": "HEIC 图片", ".zip": "ZIP 压缩包", ".rar": "RAR 压缩包",
                 ".7z": "7z 压缩包", ".xls": "Excel 表格（.xls）", ".ppt": "PowerPoint 演示文稿（.ppt）"}


def unsupported_format(data: bytes, source_name: str) -> str:
    """The reason for a file in a format the archive does not read (a Word
    document, a PDF, an image, an archive), named as the editor knows it,
    or "" for a file that may be text. Judged by the first bytes, then the
    name's suffix: such files would otherwise be refused as "NUL bytes",
    which tells an editor nothing."""
    suffix = os.path.splitext(source_name)[1].lower()
    kind = ""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        kind = _ZIP_KINDS.get(suffix, "ZIP 压缩包或 Office 文档")
    elif data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        kind = "WebP 图片"
    else:
        kind = next((name for magic, name in _MAGIC if data.startswith(magic)), "") or _SUFFIX_KINDS.get(suffix, "")
    return f"不支持的文件格式（{kind}），不是文本文件；{ACCEPTED}" if kind else ""


def decode(data):
    """Return (text, encoding name) or reject bytes that are not text.

    UTF-8 (with or without BOM) first. A file that is UTF-8 but for a few
    bytes (damaged, or cut in the middle of a character) is refused, naming
    the line: decoded as GB18030 it would be stored as mojibake. Otherwise
    GB18030, when the result reads like simplified Chinese: nearly all of
    its characters are in GB2312 (Big5 or Shift-JIS bytes decoded as
    GB18030 give kana, Cyrillic, private-use and rare characters instead).
    A file that fails that check is given to charset-normalizer, limited to
    GB18030, Big5 and Shift-JIS (cp932), and taken only when its best guess
    also passes the text check; anything else is refused, naming the
    problem."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, body = "utf-8-sig", data[3:]
    else:
        encoding, body = "utf-8", data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        _refuse_damaged_utf8(body, err, bom=encoding == "utf-8-sig")
    else:
        if _LOOSE_CONTROLS.search(text):
            raise DecodingError("文件含有控制字符（是二进制数据，不是文本）")
        return text, encoding
    gb = _legacy_text(data, "gb18030")
    if gb is not None and _gb2312_share(gb) >= 0.9:
        return gb, "gb18030"
    best = from_bytes(data, cp_isolation=list(_LEGACY_ENCODINGS)).best()
    if best is not None and best.encoding in _ENCODING_NAMES:
        text = _legacy_text(data, best.encoding)
        if text is not None:
            return text, _ENCODING_NAMES[best.encoding]
    raise DecodingError(_UNDECODABLE)


def _legacy_text(data, encoding):
    """`data` decoded strictly, if that reads like text, else None."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    # Legacy codecs decode many byte soups without error; accept a result
    # only when it reads like Chinese/ASCII text, not mojibake.
    if _BAD_CONTROLS.search(text) or not _looks_like_text(text):
        return None
    return text


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _gb2312_share(text):
    """The share of the non-ASCII characters of `text` that GB2312 holds
    (about 0.99 for the seed and generated essays, 0.95 for their first 20
    characters; 0.35–0.5 for Big5 text decoded as GB18030, 0 for
    Shift-JIS)."""
    counts = Counter(_NON_ASCII.findall(text))
    if not counts:
        return 1.0
    held = 0
    for ch, count in counts.items():
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            continue
        held += count
    return held / sum(counts.values())


def _refuse_damaged_utf8(body, err, bom):
    """Raise for a file that is UTF-8 but for a few bytes; return for one
    that is not UTF-8 at all (a legacy encoding may still read it)."""
    decoded = body.decode("utf-8", "replace")
    bad = decoded.count("\ufffd") - body.count("\ufffd".encode("utf-8"))
    good = len(_NON_ASCII.findall(decoded)) - decoded.count("\ufffd")
    if not bom and bad * 20 > good:
        return  # mostly not UTF-8: some other encoding
    line = body.count(b"\n", 0, err.start) + 1
    if err.end >= len(body) and bad == 1 and err.reason == "unexpected end of data":
        reason = (f"文件在第 {line} 行末尾断在一个字符的中间（UTF-8 不完整，文件可能被截断）；"
                  "请检查原文件是否完整后重新上传")
    else:
        reason = (f"不是有效的 UTF-8 文本：第 {line} 行起有 {bad} 处无法解码的字节（文件可能已损坏）；"
                  "请检查原文件后重新上传")
    raise DecodingError(reason)


def _looks_like_text(text):
    """True if nearly all visible characters are ones a Chinese essay uses."""
    visible = len(text) - len(_SPACES.findall(text))
    return not visible or len(_UNCOMMON.findall(text)) <= 0.05 * visible
