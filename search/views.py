"""The search page and the search API: validate, call the service, render."""
import logging

from urllib.parse import quote, urlencode

from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from config.throttle import throttled_search

from . import service
from .documents import paragraph_url
from .charts import bar_chart
from .forms import SearchForm, TimelineForm
from .highlight import hit_items_html

log = logging.getLogger(__name__)

EXAMPLES = ['"天下大事必作于细"', "抓落实", "担当 -形式主义", "title:落实", "初心 OR 使命"]
UNAVAILABLE = "搜索暂时不可用：搜索索引缺失或损坏。请管理员运行 python manage.py rebuild_index。"


def _run(form, with_facets=True):
    """(result, error message, http status, error code)."""
    data = form.cleaned_data
    try:
        return (service.search(data["q"], sort=data["sort"], page=data["page"], per_page=data["per_page"],
                               filters=data["filters"], with_facets=with_facets), None, 200, None)
    except service.QueryError as err:
        return None, str(err), 400, "invalid_query"
    except service.IndexUnavailable:
        log.exception("search index unavailable")
        return None, UNAVAILABLE, 503, "index_unavailable"


def result_link_param(q_param, result):
    """The query part that links from a results page carry to the essay:
    the query (for highlights) and, when not the defaults, this page's
    sort and page number as `rsort`/`rpage`, so that the essay's
    "返回搜索结果" leads back to this very page (essays.views)."""
    extra = (f"&rsort={result.sort}" if result.sort != "relevance" else "") + \
            (f"&rpage={result.page}" if result.page > 1 else "")
    return q_param + extra


@require_safe
@throttled_search
def search_page(request):
    form = SearchForm(request.GET)
    q = request.GET.get("q", "")[:500]
    # q_param: the query for links, quoted as the urlencode filter would,
    # once per page instead of once per snippet.
    context = {"form": form, "examples": EXAMPLES, "q": q, "q_param": quote(q, safe="/")}
    status = 200
    if not form.is_valid():
        context["error"] = form.error_text()
        status = 400
    elif form.cleaned_data["q"]:
        result, error, status, _code = _run(form)
        context.update(result=result, error=error)
        if result is not None:
            concordance = (f"{reverse('search-concordance')}?q={context['q_param']}&"
                           f"{filter_query(request.GET)}") if result.query.highlight_terms() else ""
            context["concordance_url"] = concordance
            context["hits_html"] = hit_items_html(result.hits, result_link_param(context["q_param"], result)
                                                  if q else "", concordance)
            context.update(pagination(result, context["q_param"], filter_query(request.GET)))
            context["facet_links"] = facet_links(result.facets, request.GET)
            context["filter_params"] = filter_query(request.GET)
            years = (result.facets or {}).get("year") or {}
            if years:
                first, last = int(min(years)), int(max(years))
                context["chart"] = bar_chart([(str(y), years.get(f"{y:04d}", 0)) for y in range(first, last + 1)],
                                             " 篇")
            context["active_filters"] = [(name, value, remove_link(request.GET, name, value))
                                         for name, value in form.active_filters()]
    return render(request, "search/results.html", context, status=status)


FILTER_NAMES = ("from", "to", "source", "author", "column")
FACET_LABELS = {"year": "年份", "source": "来源", "column": "栏目"}


def filter_query(params):
    """The filters of these parameters as a query-string part ('' or ending in '&')."""
    kept = [(name, v) for name in FILTER_NAMES for v in params.getlist(name) if v.strip()]
    return urlencode(kept) + "&" if kept else ""


def facet_links(facets, params):
    """[(label, [(value, count, link that narrows to it)])] for the page:
    a year narrows `from`/`to` to that year, a source or column adds it.
    The page's own parameters are encoded once per facet, and each value
    appends its own: a results page has some sixty such links, and copying
    and encoding the whole query for each was half the page's time."""
    if not facets:
        return []
    kept = params.copy()
    kept.pop("page", None)
    out = []
    for name, counts in facets.items():
        if not counts:
            continue
        if name == "year":
            base = kept.copy()
            base.pop("from", None)
            base.pop("to", None)
            head = base.urlencode()
            links = [(v, n, f"?{head}&{urlencode([('from', v), ('to', v)])}") for v, n in counts.items()]
        else:
            head, chosen = kept.urlencode(), set(kept.getlist(name))
            links = [(v, n, f"?{head}" + ("" if v in chosen else f"&{urlencode([(name, v)])}"))
                     for v, n in counts.items()]
        out.append((FACET_LABELS[name], links))
    return out


def remove_link(params, name, value):
    """This page's address without one filter value."""
    kept = params.copy()
    kept.pop("page", None)
    kept.setlist(name, [v for v in kept.getlist(name) if v != value])
    return "?" + kept.urlencode()


def pagination(result, q_param, filters=""):
    """What essays/_pagination.html needs for a results page: Django's
    Paginator over the count (a range: no rows), its elided page range
    (1 … 4 5 [6] 7 8 … 20, as the essay list shows it) and the query the
    page links keep. Empty when the page is past the last (the page then
    says so)."""
    paginator = Paginator(range(result.count), result.per_page)
    if not 1 <= result.page <= paginator.num_pages:
        return {}
    per_page = f"per_page={result.per_page}&" if result.per_page != 20 else ""
    return {
        "page": paginator.page(result.page),
        "paginator": paginator,
        "page_range": paginator.get_elided_page_range(result.page, on_each_side=2, on_ends=1),
        "page_query": f"q={q_param}&sort={result.sort}&{per_page}{filters}",
    }


@require_safe
@throttled_search
def search_api(request):
    form = SearchForm(request.GET)
    if not form.is_valid():
        return _json({"error": form.error_text(), "code": form.error_code()}, 400)
    q = form.cleaned_data["q"]
    if not q:
        return _json({"error": "请提供搜索词。", "code": "missing_query"}, 400)
    # facets=0: the hits alone (what a client that shows no facets saves).
    result, error, status, code = _run(form, with_facets=request.GET.get("facets") != "0")
    if result is None:
        return _json({"error": error, "code": code}, status)
    origin = request.build_absolute_uri("/")[:-1]  # once, not a host check per hit
    return _json({
        "query": q,
        "mode": result.mode,
        "count": result.count,
        "page": result.page,
        "per_page": result.per_page,
        "sort": result.sort,
        **({"notice": result.notice} if result.notice else {}),
        "facets": result.facets,
        "results": [{
            "id": h.id, "number": h.number, "title": h.title,
            "url": origin + h.url,
            "date": h.date.iso() if h.date else None, "source": h.source,
            "score": h.score, "occurrences": h.occurrences,
            # Only where the count is a lower bound (snippets.HIT_SPAN_BUDGET).
            **({} if h.occurrences_exact else {"occurrences_exact": False}),
            "snippets": [{"paragraph": s.paragraph, "text": s.text, "highlights": [list(x) for x in s.highlights],
                          # the paragraph itself (its page of a long essay, #p<n>), or the title
                          "url": origin + (paragraph_url(h.url, s.paragraph) if s.paragraph else h.url)}
                         for s in h.snippets],
        } for h in result.hits],
    })


def _json(data, status=200):
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _timeline(form):
    """(timeline, error message, http status, error code) of a TimelineForm."""
    if not form.is_valid():
        return None, form.error_text(), 400, form.error_code()
    data = form.cleaned_data
    if not data["q"]:
        return None, "请提供搜索词。", 400, "missing_query"
    try:
        return service.timeline(data["q"], by=data["by"], filters=data["filters"]), None, 200, None
    except service.QueryError as err:
        return None, str(err), 400, "invalid_query"
    except service.IndexUnavailable:
        log.exception("search index unavailable")
        return None, UNAVAILABLE, 503, "index_unavailable"


@require_safe
@throttled_search
def timeline_page(request):
    """/search/timeline/?q=…: the chart (SVG, no script) and the table of a
    query's essays and occurrences per year or month."""
    form = TimelineForm(request.GET)
    context = {"form": form, "q": request.GET.get("q", "")[:500]}
    tl, error, status, _code = _timeline(form)
    if tl is None:
        context["error"] = error
        return render(request, "search/timeline.html", context, status=status)
    data = form.cleaned_data
    measure = data["measure"]
    for b in tl["buckets"]:
        b["rate"] = round(100 * b["essays"] / b["essays_in_period"], 1) if b["essays_in_period"] else 0.0
    unit = {"essays": " 篇", "occurrences": " 处", "rate": " 篇/百篇"}[measure]
    context.update(timeline=tl, measure=measure, q_param=quote(data["q"], safe="/"),
                   filter_params=filter_query(request.GET),
                   chart=bar_chart([(b["period"], b[measure]) for b in tl["buckets"]], unit))
    return render(request, "search/timeline.html", context)


@require_safe
@throttled_search
def timeline_api(request):
    """GET /api/timeline?q=…&by=year|month (and the search filters)."""
    tl, error, status, code = _timeline(TimelineForm(request.GET))
    if tl is None:
        return _json({"error": error, "code": code}, status)
    origin = request.build_absolute_uri("/")[:-1]
    for key in ("first", "last"):
        if tl[key]:
            tl[key]["url"] = origin + tl[key]["url"]
    return _json(tl)
