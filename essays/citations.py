"""References to an essay (or one paragraph of it) as researchers cite them:
GB/T 7714-2015 text, RIS (Zotero, EndNote, NoteExpress) and BibTeX.

Pure functions of a `Work`: what is known of the essay (its metadata may be
partial or missing; missing parts are left out, never printed as blanks),
the address cited and the access date. The archive's copy is an online
resource, so the GB/T 7714 type code carries /OL and the access date:

    任仲平. 让抓落实成为鲜明特质[N/OL]. 人民日报, 2019-07-01[2026-12-02]. https://…/#p3.

The document type is chosen from what is known: a journal (求是, 红旗文稿 …)
is J, any other named source N (newspapers and news agencies), and an essay
with no source EB (an electronic bulletin: the archive's own page).
"""
import re
from dataclasses import dataclass

JOURNALS = ("求是", "红旗文稿", "党建", "前线", "中国纪检监察", "学习与研究", "理论视野", "紫光阁")


@dataclass(frozen=True)
class Work:
    title: str
    url: str  # the stable address cited (with #p<n> for a paragraph)
    accessed: object  # datetime.date
    author: str = ""
    source: str = ""
    date: object = None  # essays.dates.PartialDate or None
    paragraph: int | None = None


def work_of(essay, url, accessed, paragraph=None):
    return Work(title=essay.title, url=url, accessed=accessed, author=essay.author, source=essay.source,
                date=essay.date, paragraph=paragraph)


def kind(work):
    """'J' (journal article), 'N' (newspaper or agency) or 'EB' (web page)."""
    if not work.source:
        return "EB"
    return "J" if any(work.source.startswith(j) for j in JOURNALS) else "N"


def _sentence(text):
    """Text ending in exactly one full stop, as GB/T 7714 separates parts."""
    text = text.strip()
    return text if text.endswith((".", "。", "?", "？", "!", "！")) else text + "."


def gbt7714(work):
    """The GB/T 7714-2015 reference string."""
    parts = []
    if work.author:
        parts.append(_sentence(work.author))
    parts.append(f"{work.title.strip()}[{kind(work)}/OL].")
    published = ", ".join(p for p in (work.source, work.date.iso() if work.date else "") if p)
    parts.append(f"{published}[{work.accessed.isoformat()}]." if published
                 else f"[{work.accessed.isoformat()}].")
    parts.append(_sentence(work.url))
    return " ".join(parts)


_RIS_TYPES = {"J": "JOUR", "N": "NEWS", "EB": "ELEC"}


def _one_line(text):
    return re.sub(r"\s+", " ", text or "").strip()


def ris(work):
    """An RIS record (CRLF line ends, as the format's readers expect)."""
    lines = [("TY", _RIS_TYPES[kind(work)]), ("TI", _one_line(work.title))]
    if work.author:
        lines.append(("AU", _one_line(work.author)))
    if work.source:
        lines.append(("T2", _one_line(work.source)))
    if work.date:
        lines.append(("PY", str(work.date.year)))
        lines.append(("DA", work.date.iso().replace("-", "/")))
    lines.append(("UR", work.url))
    lines.append(("Y2", work.accessed.isoformat().replace("-", "/")))
    if work.paragraph:
        lines.append(("N1", f"第 {work.paragraph} 段"))
    lines.append(("LA", "zh"))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {value}\r\n" if tag != "ER" else "ER  - \r\n" for tag, value in lines)


_BIB_SPECIAL = re.compile(r"([\\{}%&$#_^~])")


def _bib(text):
    """A BibTeX field value: braces around it, so a Chinese name stays one
    name, and TeX's special characters escaped."""
    def escape(m):
        ch = m.group(1)
        return {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}.get(ch, "\\" + ch)

    return "{" + _BIB_SPECIAL.sub(escape, _one_line(text)) + "}"


def bibtex_key(work, essay_key):
    year = work.date.year if work.date else "nd"
    return f"essay{essay_key}-{year}"


def bibtex(work, essay_key):
    """A BibTeX entry: @article for journals and newspapers, else @online."""
    entry_type = "online" if kind(work) == "EB" else "article"
    fields = [("title", _bib(work.title))]
    if work.author:
        fields.append(("author", "{" + _bib(work.author) + "}"))
    if work.source:
        fields.append(("journal", _bib(work.source)))
    if work.date:
        fields.append(("year", str(work.date.year)))
        fields.append(("date", work.date.iso()))
    fields.append(("url", "{" + work.url + "}"))  # verbatim: the url field is not TeX
    fields.append(("urldate", work.accessed.isoformat()))
    fields.append(("langid", "{chinese}"))
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@{entry_type}{{{bibtex_key(work, essay_key)},\n{body}\n}}\n"
