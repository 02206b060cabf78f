"""Highlighted text as HTML: search snippets and the essay page that a
snippet links to."""
from html import escape

from django.utils.safestring import mark_safe

from .documents import paragraph_url

from .snippets import find_spans
from .syntax import QueryError, parse_query


def marked_html(text, spans):
    """`text` escaped, with each (start, end) span of `spans` (sorted, not
    overlapping) in <mark>. Built here rather than by a template loop over
    the pieces: a snippet page of 的 held some 800 pieces, and rendering them
    one template node at a time cost more than the search itself. (The
    standard library's escape: Django's is the same with a lazy-string
    wrapper around it, which cost a third of this function's time.)"""
    out, pos = [], 0
    for start, end in spans:
        if start > pos:
            out.append(escape(text[pos:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        pos = end
    if pos < len(text):
        out.append(escape(text[pos:]))
    return mark_safe("".join(out))


def snippet_items_html(url, q_param, snippets):
    """The <li> items of a hit's snippets, each a link to its paragraph (on
    the page of a long essay that holds it: documents.paragraph_url) or
    to the title on the essay page with the query: one string per hit,
    since a results page holds up to a hundred snippets and every template
    tag costs more than the string it makes."""
    title_link = escape(f"{url}?q={q_param}#main")
    items = []
    for s in snippets:
        if s.paragraph:
            href, label = escape(paragraph_url(url, s.paragraph, q_param)), f"第 {s.paragraph} 段"
        else:
            href, label = title_link, "标题"
        items.append(f'<li><a href="{href}"><span class="para-ref">{label}</span>'
                     f"{marked_html(s.text, s.highlights)}</a></li>")
    return mark_safe("\n".join(items))


def hit_items_html(hits, q_param):
    """The <li> items of a results page's hits (titles and links escaped,
    snippets from snippet_items_html), as one string: a template loop over
    them cost a third of a results page's time, the strings a tenth of
    that (docs/SEARCH.md, "Hits"). `q_param` is the query,
    quoted for a link, or empty (links without it)."""
    items = []
    for hit in hits:
        number = "—" if hit.number is None else hit.number
        # A lower bound (snippets.HIT_SPAN_BUDGET) says so.
        at_least = "" if hit.occurrences_exact else "至少 "
        href = escape(f"{hit.url}?q={q_param}" if q_param else hit.url)
        # A query of exclusions only counts nothing: say what the essay is
        # instead (its opening is the snippet, search.service).
        preview_only = not hit.occurrences and hit.snippets and not hit.snippets[0].highlights
        count = "不含所排除的词（开头预览）" if preview_only else f"出现 {at_least}{hit.occurrences} 处"
        # The space keeps the number apart from the title when read as text
        # ("71 本报讯", not "71本报讯"); it is invisible in the layout.
        published = " · ".join(p for p in (hit.date.chinese() if hit.date else "", escape(hit.source)) if p)
        item = (f'<li class="hit">\n<h2><span class="essay-number">{number}</span> <a href="{href}">'
                f'{escape(hit.title)}</a></h2>\n<p class="meta">{published + " · " if published else ""}'
                f'{count}</p>\n')
        if hit.snippets:
            item += f'<ul class="snippets">\n{snippet_items_html(hit.url, q_param, hit.snippets)}\n</ul>\n'
            if hit.more:
                item += f'<p class="more">还有 {at_least}{hit.more} 处</p>\n'
        items.append(item + "</li>")
    return mark_safe("\n".join(items))


def highlighted_paragraphs(numbered, query_text):
    """[(number, html, matched), ...] for these (number, text) paragraphs
    (one page of an essay): `html` is the escaped text with the query's
    matches marked (marked_html); with no usable query nothing is marked
    and `matched` is False."""
    terms = []
    if query_text.strip():
        try:
            parsed = parse_query(query_text)
            terms = [t.text for t in parsed.highlight_terms() if t.scope == "all"]
        except QueryError:
            terms = []
    out = []
    for number, text in numbered:
        spans = find_spans(text, terms) if terms else []
        out.append((number, marked_html(text, spans), bool(spans)))
    return out
