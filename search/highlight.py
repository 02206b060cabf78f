"""Highlighted text as HTML: search snippets and the essay page that a
snippet links to."""
from html import escape

from django.utils.safestring import mark_safe

from .documents import paragraph_url

from . import analysis, concordance
from .snippets import find_spans
from .syntax import QueryError, parse_query


def marked_html(text, spans, first_id=None):
    """`text` escaped, with each (start, end) span of `spans` (sorted, not
    overlapping) in <mark>. Built here rather than by a template loop over
    the pieces: a snippet page of 的 held some 800 pieces, and rendering them
    one template node at a time cost more than the search itself. (The
    standard library's escape: Django's is the same with a lazy-string
    wrapper around it, which cost a third of this function's time.)
    With `first_id` k, the marks are numbered <mark id="m<k>">, <mark id="m<k+1>">, …
    (the essay page's 上一处 / 下一处 link to them)."""
    out, pos = [], 0
    for n, (start, end) in enumerate(spans):
        if start > pos:
            out.append(escape(text[pos:start]))
        ident = "" if first_id is None else f' id="m{first_id + n}"'
        out.append(f"<mark{ident}>{escape(text[start:end])}</mark>")
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


def hit_items_html(hits, q_param, concordance_url=""):
    """The <li> items of a results page's hits (titles and links escaped,
    snippets from snippet_items_html), as one string: a template loop over
    them cost a third of a results page's time, the strings a tenth of
    that (docs/SEARCH.md, "Hits"). `q_param` is the query,
    quoted for a link, or empty (links without it). With `concordance_url`
    (the concordance of this query, ending in '&'), "还有 N 处" links to the
    essay's every occurrence there (`essay=<id>`)."""
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
            if hit.more and concordance_url:
                href = escape(f"{concordance_url}essay={hit.id}")
                item += f'<p class="more"><a href="{href}">还有 {at_least}{hit.more} 处</a></p>\n'
            elif hit.more:
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


def occurrence_marks(title, numbered, shown, query_text):
    """The essay page opened from a search: ([(number, html, matched)] of
    the `shown` paragraph numbers (a page of the essay) with every mark
    numbered across the whole essay (`m1`, `m2`, …), and what the page's
    上一处 / 下一处 need: {"count": occurrences by the concordance's rule
    (title included, overlaps counted), "marks": marks in the paragraphs
    (overlapping occurrences are one mark), "first"/"last": the numbers of
    this page's first and last mark (None if it has none), "before" /
    "after": the paragraph holding the nearest mark on an earlier / later
    page, with that mark's number}. Without a usable query: no marks, and
    the second value None."""
    try:
        parsed = parse_query(query_text) if query_text.strip() else None
    except QueryError:
        parsed = None
    terms = [(t.text, t.scope) for t in parsed.highlight_terms()] if parsed else []
    if not terms:
        return [(n, marked_html(t, []), False) for n, t in numbered if n in shown], None
    body_terms = [t for t, scope in terms if scope == "all"]
    count = concordance.essay_count([analysis.fold(title)], terms)
    items, k, first, last, before, after = [], 1, None, None, None, None
    for number, text in numbered:
        count += sum(concordance.count_in(analysis.fold(text), t) for t in body_terms)
        spans = find_spans(text, body_terms) if body_terms else []
        if number in shown:
            items.append((number, marked_html(text, spans, k), bool(spans)))
            if spans:
                first = k if first is None else first
                last = k + len(spans) - 1
        elif spans and not items:
            before = (number, k + len(spans) - 1)
        elif spans and after is None:
            after = (number, k)
        k += len(spans)
    return items, {"count": count, "marks": k - 1, "first": first, "last": last, "before": before, "after": after}
