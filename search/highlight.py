"""Highlight a query's matches in an essay page (the target of a snippet)."""
from .snippets import find_spans, split_highlights
from .syntax import QueryError, parse_query


def highlighted_paragraphs(essay, query_text):
    """[(number, [(piece, is_match), ...], matched), ...] for every
    paragraph; with no usable query every paragraph is one unhighlighted
    piece and `matched` is False."""
    terms = []
    if query_text.strip():
        try:
            parsed = parse_query(query_text)
            terms = [t.text for t in parsed.highlight_terms() if t.scope == "all"]
        except QueryError:
            terms = []
    out = []
    for number, text in essay.numbered_paragraphs():
        spans = find_spans(text, terms) if terms else []
        out.append((number, split_highlights(text, spans), bool(spans)))
    return out
