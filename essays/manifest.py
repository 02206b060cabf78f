"""Metadata manifests: a CSV file beside the essay files saying, per file,
when, where and by whom it was published.

    file,date,source,author,column,url
    0001.txt,2019年7月1日,人民日报,任仲平,评论,https://example.org/a

`parse_manifest` is pure: bytes in, a frozen Manifest out. The header names
the columns, in any order (the English names above, or 文件, 日期, 来源,
作者, 栏目, 链接); `file` is required. A problem with the whole file (it
cannot be decoded, it has no header or no `file` column, a column is
unknown) raises ManifestError; a problem with one row (a date that cannot be
read or does not exist, an address that is not http(s), a file named twice)
is reported with its line number and leaves that row out, so the essay's
metadata stays as it was and every other row still applies.

A good row sets every field its manifest has a column for; an empty cell
clears that field. Fields the manifest has no column for are left alone.
"""
import csv
import io
import re
from dataclasses import dataclass

from .dates import DateError, parse_date

FIELDS = ("date", "source", "author", "column", "url")
ALIASES = {
    "file": "file", "文件": "file", "文件名": "file",
    "date": "date", "日期": "date", "发表日期": "date",
    "source": "source", "来源": "source", "媒体": "source",
    "author": "author", "作者": "author",
    "column": "column", "栏目": "column", "体裁": "column",
    "url": "url", "链接": "url", "原文链接": "url",
}
MAX_TEXT = 100  # characters of a source, author or column
MAX_URL = 500
MAX_ROWS = 100_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class ManifestError(ValueError):
    """The manifest as a whole cannot be used; `reason` names the line (Chinese)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Metadata:
    """One file's metadata. `given` names the fields the manifest has a
    column for; only those are set on the essay."""

    date: object = None  # essays.dates.PartialDate or None
    source: str = ""
    author: str = ""
    column: str = ""
    url: str = ""
    given: tuple = ()


@dataclass(frozen=True)
class RowProblem:
    line: int
    file: str
    reason: str

    def __str__(self):
        where = f"第 {self.line} 行" + (f"（{self.file}）" if self.file else "")
        return f"{where}：{self.reason}"


@dataclass(frozen=True)
class Manifest:
    name: str
    rows: dict  # file name -> Metadata, good rows only
    lines: dict  # file name -> its line number
    problems: tuple  # RowProblem, in line order

    def unused(self, imported_names):
        """RowProblems for good rows naming no file of this import."""
        imported = set(imported_names)
        return tuple(RowProblem(self.lines[f], f, "本次导入没有这个文件，此行未使用")
                     for f in sorted(self.rows, key=self.lines.get) if f not in imported)


def decode(data, name="metadata.csv"):
    """UTF-8 (with or without BOM), else GB18030; ManifestError otherwise."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ManifestError(f"{name}：无法识别的编码，请保存为 UTF-8 或 GB18030 编码的 CSV 文件")


def _clean(value):
    return _CONTROL.sub("", value or "").strip()


def parse_manifest(data, name="metadata.csv"):
    """Read a manifest's bytes (see the module docstring)."""
    text = decode(data, name)
    if "\x00" in text:
        raise ManifestError(f"{name}：含有二进制数据，不是 CSV 文本文件")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as err:
        raise ManifestError(f"{name} 第 1 行：CSV 格式错误（{err}）") from None
    while header is not None and not any(cell.strip() for cell in header):
        header = next(reader, None)  # blank lines before the header
    if header is None:
        raise ManifestError(f"{name}：文件是空的，第一行应是表头（file,date,source,author,column,url）")
    columns = []
    for cell in header:
        key = _clean(cell).lower()
        if key not in ALIASES:
            raise ManifestError(f"{name} 第 {reader.line_num} 行：未知的列「{_clean(cell)[:40]}」；"
                                "可用的列：file、date、source、author、column、url")
        columns.append(ALIASES[key])
    duplicates = sorted({c for c in columns if columns.count(c) > 1})
    if duplicates:
        raise ManifestError(f"{name} 第 {reader.line_num} 行：列「{duplicates[0]}」出现了不止一次")
    if "file" not in columns:
        raise ManifestError(f"{name} 第 {reader.line_num} 行：缺少必需的列 file（文章文件名）")
    given = tuple(f for f in FIELDS if f in columns)
    rows, lines, problems, seen = {}, {}, [], {}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            problems.append(RowProblem(reader.line_num, "", f"CSV 格式错误（{err}），此后各行未读取"))
            break
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(seen) >= MAX_ROWS:
            problems.append(RowProblem(line, "", f"超过 {MAX_ROWS} 行，此后各行未读取"))
            break
        values = dict(zip(columns, (_clean(c) for c in cells)))
        file = values.get("file", "")
        if len(cells) > len(columns):
            problems.append(RowProblem(line, file, f"有 {len(cells)} 个单元格，多于表头的 {len(columns)} 列"))
            continue
        if not file:
            problems.append(RowProblem(line, "", "file 列为空"))
            continue
        if file in seen:
            problems.append(RowProblem(line, file, f"与第 {seen[file]} 行重复；这两行都未采用"))
            rows.pop(file, None)
            continue
        seen[file] = line
        try:
            meta = _row(values, given)
        except ValueError as err:
            problems.append(RowProblem(line, file, getattr(err, "reason", str(err))))
            continue
        rows[file], lines[file] = meta, line
    problems.sort(key=lambda p: p.line)
    return Manifest(name, rows, lines, tuple(problems))


def _row(values, given):
    date = None
    if "date" in given:
        try:
            date = parse_date(values.get("date", ""))
        except DateError as err:
            raise ValueError(err.reason) from None
    for key in ("source", "author", "column"):
        if len(values.get(key, "")) > MAX_TEXT:
            raise ValueError(f"{key} 超过 {MAX_TEXT} 个字")
    url = values.get("url", "")
    if url and not re.fullmatch(r"https?://[^\s<>\"']+", url, flags=re.IGNORECASE):
        raise ValueError(f"原文链接「{url[:60]}」不是 http:// 或 https:// 开头的网址")
    if len(url) > MAX_URL:
        raise ValueError(f"原文链接超过 {MAX_URL} 个字符")
    return Metadata(date=date, source=values.get("source", ""), author=values.get("author", ""),
                    column=values.get("column", ""), url=url, given=given)
